// push: upload an image's blobs the registry lacks, then its manifest. Blobs are checked with HEAD
// first, mounted from another repository of the same registry when we saw them there, uploaded whole
// or in chunks otherwise. The manifest goes last, so a tag never names an incomplete image.
// Images pulled in a compressed form are pushed byte for byte (same digest); built images (uncompressed
// layers) are pushed as OCI manifests with gzip layers made and kept by layers.compressed.
import { StoreError, isStoreError } from '../errors.js';
import type { Descriptor, Digest, ImageRecord, Store } from '../types.js';
import { findMountSource, recordBlobSources } from './blob-sources.js';
import { RegistryClient, repoScope } from './client.js';
import { discard } from './http.js';
import { LIMITS, OCI_CONFIG, OCI_LAYER_TAR, OCI_MANIFEST } from './media-types.js';
import type { PushOptions, TransferProgress } from './options.js';
import { parseReference, type Reference } from './reference.js';
import { mapLimit, retryPolicy, withRetries, type RetryPolicy } from './retry.js';
import { checkReturnedDigest, openSession, uploadChunked, uploadMonolithic, type UploadContext } from './upload.js';
import { sha256Of } from './verify.js';

export interface PushResult {
  reference: Reference;
  /** Digest of the manifest as pushed (equal to the local one unless layers were compressed for the push). */
  digest: Digest;
  size: number;
  mediaType: string;
}

type PushStore = Pick<Store, 'blobs' | 'layers' | 'images' | 'stateDir'>;

interface Prepared {
  raw: Buffer;
  mediaType: string;
  blobs: { desc: Descriptor; kind: 'config' | 'layer' }[];
}

/** The manifest bytes to push and the blobs they need. */
async function prepare(store: PushStore, image: ImageRecord): Promise<Prepared> {
  const m = image.manifest;
  if (!image.layers.some((l) => l.blob.mediaType === OCI_LAYER_TAR)) {
    // Pushed as stored: the bytes, hence the digest, stay the same.
    const raw = await store.blobs.getBytes(image.manifestDigest, LIMITS.manifestBytes);
    return { raw, mediaType: m.mediaType, blobs: [{ desc: m.config, kind: 'config' }, ...m.layers.map((desc) => ({ desc, kind: 'layer' as const }))] };
  }
  const layers: Descriptor[] = [];
  for (const layer of image.layers) {
    layers.push(layer.blob.mediaType === OCI_LAYER_TAR ? await store.layers.compressed(layer, 'gzip') : layer.blob);
  }
  const config: Descriptor = { mediaType: OCI_CONFIG, digest: m.config.digest, size: m.config.size };
  const manifest = {
    schemaVersion: 2, mediaType: OCI_MANIFEST, config,
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    ...(m.annotations ? { annotations: m.annotations } : {}),
  };
  const raw = Buffer.from(JSON.stringify(manifest));
  // Kept so the next push (and a pull of this digest) finds it locally.
  await store.blobs.putBytes(raw, { digest: sha256Of(raw), size: raw.length });
  return { raw, mediaType: OCI_MANIFEST, blobs: [{ desc: config, kind: 'config' }, ...layers.map((desc) => ({ desc, kind: 'layer' as const }))] };
}

interface PushContext {
  store: PushStore;
  client: RegistryClient;
  reference: Reference;
  policy: RetryPolicy;
  opts: PushOptions;
  progress: (p: TransferProgress) => void;
}

async function blobExists(ctx: PushContext, digest: Digest): Promise<boolean> {
  const res = await withRetries(ctx.policy, () => ctx.client.request({
    method: 'HEAD', target: `/v2/${ctx.reference.repository}/blobs/${digest}`,
    scopes: [repoScope(ctx.reference.repository, 'pull,push')], expect: [200, 404], what: 'blob HEAD',
  }), undefined, ctx.opts.signal);
  await discard(res.body);
  return res.status === 200;
}

/** Tries a cross-repository mount; any refusal just means a normal upload (a mount is an optimization). */
async function openMountSession(upload: UploadContext, digest: Digest, from: string): ReturnType<typeof openSession> {
  try {
    return await openSession(upload, { digest, from, scopes: [...upload.scopes, repoScope(from, 'pull')] });
  } catch (e) {
    if (isStoreError(e, 'EABORTED')) throw e;
    upload.client.log(`mount of ${digest} from ${from} failed (${isStoreError(e) ? e.code : 'error'}); uploading instead`);
    return openSession(upload);
  }
}

async function pushBlob(ctx: PushContext, desc: Descriptor, kind: 'config' | 'layer'): Promise<void> {
  const { store, client, reference, opts } = ctx;
  const report = (phase: TransferProgress['phase'], current: number, extra: Partial<TransferProgress> = {}): void =>
    ctx.progress({ digest: desc.digest, kind, phase, current, total: desc.size, ...extra });
  if (await blobExists(ctx, desc.digest)) {
    report('exists', desc.size);
    return;
  }
  const scopes = [repoScope(reference.repository, 'pull,push')];
  const upload: UploadContext = {
    client, repository: reference.repository, scopes,
    open: () => store.blobs.get(desc.digest),
    onBytes: (n) => report('uploading', n),
    chunkSize: Math.max(1, opts.chunkSize ?? 16 * 1024 * 1024),
    chunkAttempts: ctx.policy.attempts,
  };
  const from = opts.mount === false ? undefined : await findMountSource(store, reference.registry, reference.repository, desc.digest);
  await withRetries(ctx.policy, async (attempt) => {
    const session = from !== undefined && attempt === 1 ? await openMountSession(upload, desc.digest, from) : await openSession(upload);
    if (session.mounted) {
      report('mounted', desc.size);
      return;
    }
    const chunkSize = Math.max(upload.chunkSize, session.minChunk);
    report('uploading', 0);
    if (desc.size > (opts.chunkThreshold ?? 64 * 1024 * 1024)) {
      await uploadChunked({ ...upload, chunkSize }, session.location, desc);
    } else {
      await uploadMonolithic(upload, session.location, desc);
    }
    report('done', desc.size);
  }, (attempt, e) => report('retrying', 0, { attempt, reason: isStoreError(e) ? e.code : 'error' }), opts.signal);
}

/**
 * Pushes the local image `name` to `dest` (default: `name` itself). Blobs the registry already has are
 * skipped; the manifest is pushed last and the digest the registry reports must equal ours.
 */
export async function push(store: PushStore, name: string, dest?: string, opts: PushOptions = {}): Promise<PushResult> {
  const image = await store.images.resolve(name);
  if (!image) throw new StoreError('ENOTFOUND', `no image named ${name} in the store`, { details: { name } });
  const reference = parseReference(dest ?? name);
  const client = new RegistryClient(reference.registry, opts);
  const ctx: PushContext = { store, client, reference, policy: retryPolicy(opts.retry), opts, progress: (p) => opts.onProgress?.(p) };

  const prepared = await prepare(store, image);
  const digest = sha256Of(prepared.raw);
  if (reference.digest !== undefined && reference.digest !== digest) {
    throw new StoreError('EDIGEST', `the destination names digest ${reference.digest} but the manifest is ${digest}`, { details: { expected: reference.digest, actual: digest } });
  }
  const unique = [...new Map(prepared.blobs.map((b) => [b.desc.digest, b])).values()];
  for (const b of unique) ctx.progress({ digest: b.desc.digest, kind: b.kind, phase: 'waiting', current: 0, total: b.desc.size });
  await mapLimit(unique, Math.max(1, opts.concurrency ?? 3), (b) => pushBlob(ctx, b.desc, b.kind));

  const tagOrDigest = reference.digest ?? reference.tag ?? 'latest';
  const res = await withRetries(ctx.policy, () => client.request({
    method: 'PUT', target: `/v2/${reference.repository}/manifests/${tagOrDigest}`, body: prepared.raw,
    headers: { 'Content-Type': prepared.mediaType, 'Content-Length': String(prepared.raw.length) },
    scopes: [repoScope(reference.repository, 'pull,push')], expect: [201], what: 'manifest PUT',
  }), undefined, opts.signal);
  await discard(res.body);
  checkReturnedDigest(res, digest, 'manifest PUT');
  ctx.progress({ digest, kind: 'manifest', phase: 'done', current: prepared.raw.length, total: prepared.raw.length });
  await recordBlobSources(store, reference.registry, reference.repository, unique.map((b) => b.desc.digest))
    .catch((e: unknown) => client.log(`could not record blob sources: ${(e as Error).message}`));
  return { reference, digest, size: prepared.raw.length, mediaType: prepared.mediaType };
}
