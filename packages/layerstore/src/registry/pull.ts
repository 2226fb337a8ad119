// pull: resolve a reference to an image manifest for one platform, fetch what the store lacks (layers
// several at once, each streamed and verified into the store), then record the image with its tag.
// Order matters for crash safety: blobs first, the manifest blob next, the tag last.
import { printable } from './redact.js';
import { StoreError, isStoreError } from '../errors.js';
import type { Descriptor, Digest, ImageRecord, Platform, Store } from '../types.js';
import { recordBlobSources } from './blob-sources.js';
import { RegistryClient, repoScope } from './client.js';
import { discard } from './http.js';
import { fetchDocument, fetchSmallBlob, streamBlob, type FetchedDocument } from './fetch.js';
import { parseDocument, parsePlatform, platformString, selectPlatform, type ManifestDocument } from './manifest.js';
import { CONFIG_TYPES, FOREIGN_LAYER_TYPES, LAYER_TYPES, LIMITS, MANIFEST_ACCEPT } from './media-types.js';
import type { PullOptions, TransferProgress } from './options.js';
import { parseReference, isLoopbackHost, type Reference } from './reference.js';
import { mapLimit, retryPolicy, withRetries, type RetryPolicy } from './retry.js';
import { checkDigest, verifyBytes } from './verify.js';

export interface PullResult {
  image: ImageRecord;
  reference: Reference;
  /** The platform image's manifest digest. */
  manifestDigest: Digest;
  /** The index the manifest was chosen from, if the reference named one. */
  indexDigest?: Digest;
  /** False when everything came from the store (no request was made). */
  contacted: boolean;
}

type PullStore = Pick<Store, 'blobs' | 'layers' | 'images' | 'stateDir'>;

/** Resolves a digest entirely from the store (index → platform manifest), or undefined if anything is missing. */
async function resolveLocal(store: PullStore, digest: Digest, platform: Platform): Promise<{ manifestDigest: Digest; indexDigest?: Digest } | undefined> {
  if (!await store.blobs.stat(digest)) return undefined;
  const doc = parseDocument(await store.blobs.getBytes(digest, LIMITS.manifestBytes), undefined);
  let manifestDigest = digest;
  let manifest: ManifestDocument;
  if (doc.kind === 'index') {
    manifestDigest = selectPlatform(doc, platform).digest;
    if (!await store.blobs.stat(manifestDigest)) return undefined;
    const child = parseDocument(await store.blobs.getBytes(manifestDigest, LIMITS.manifestBytes), undefined);
    if (child.kind !== 'manifest') return undefined;
    manifest = child;
  } else {
    manifest = doc;
  }
  for (const d of [manifest.config, ...manifest.layers]) {
    if (!await store.blobs.stat(d.digest)) return undefined;
  }
  return { manifestDigest, indexDigest: doc.kind === 'index' ? digest : undefined };
}

function checkImageManifest(m: ManifestDocument): void {
  if (!(CONFIG_TYPES as readonly string[]).includes(m.config.mediaType)) {
    throw new StoreError('EMANIFEST_UNSUPPORTED', `the manifest's config is ${printable(m.config.mediaType)}, not an image config (an artifact?)`, {
      details: { reason: 'not-an-image', mediaType: printable(m.config.mediaType) },
    });
  }
  for (const l of m.layers) {
    if (!(LAYER_TYPES as readonly string[]).includes(l.mediaType)) {
      throw new StoreError('EMANIFEST_UNSUPPORTED', `unsupported layer media type ${printable(l.mediaType)}`, {
        details: { reason: 'layer-media-type', mediaType: printable(l.mediaType), digest: l.digest },
      });
    }
  }
}

/** The config's diff_ids, which must pair one-to-one with the manifest's layers. */
function diffIdsOf(configBytes: Buffer, m: ManifestDocument): Digest[] {
  let config: { rootfs?: { diff_ids?: unknown } };
  try {
    config = JSON.parse(configBytes.toString('utf8')) as typeof config;
  } catch {
    throw new StoreError('EMANIFEST_INVALID', 'the image config is not JSON', { details: { reason: 'config-json', digest: m.config.digest } });
  }
  const ids = config.rootfs?.diff_ids;
  if (!Array.isArray(ids) || ids.length !== m.layers.length) {
    throw new StoreError('EMANIFEST_INVALID', `the image config lists ${Array.isArray(ids) ? ids.length : 'no'} diff_ids for ${m.layers.length} layers`, {
      details: { reason: 'diffid-count', digest: m.config.digest },
    });
  }
  return ids.map((d, i) => checkDigest(d, `diff_id ${i}`));
}

interface PullContext {
  store: PullStore;
  client: RegistryClient;
  reference: Reference;
  policy: RetryPolicy;
  opts: PullOptions;
  progress: (p: TransferProgress) => void;
}

/** The https (or loopback http) urls a foreign layer may be fetched from, without credentials. */
function foreignUrls(desc: Descriptor): URL[] {
  const out: URL[] = [];
  for (const u of desc.urls ?? []) {
    try {
      const url = new URL(u);
      if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.host))) out.push(url);
    } catch {
      // An unparsable url is skipped; the digest check would catch any content anyway.
    }
  }
  return out;
}

async function pullLayer(ctx: PullContext, desc: Descriptor, diffID: Digest): Promise<void> {
  const { store, client, reference, policy, progress } = ctx;
  if (await store.blobs.stat(desc.digest)) {
    progress({ digest: desc.digest, kind: 'layer', phase: 'exists', current: desc.size, total: desc.size });
    return;
  }
  const sink = async (s: import('node:stream').Readable): Promise<void> => {
    await store.layers.import(s, desc.mediaType, { digest: desc.digest, size: desc.size, diffID });
  };
  const streamOpts = {
    onBytes: (n: number) => progress({ digest: desc.digest, kind: 'layer', phase: 'downloading', current: n, total: desc.size }),
    onRetry: (attempt: number, e: unknown) => progress({ digest: desc.digest, kind: 'layer', phase: 'retrying', current: 0, total: desc.size, attempt, reason: isStoreError(e) ? e.code : 'error' }),
  };
  progress({ digest: desc.digest, kind: 'layer', phase: 'downloading', current: 0, total: desc.size });
  const foreign = (FOREIGN_LAYER_TYPES as readonly string[]).includes(desc.mediaType) && (desc.urls?.length ?? 0) > 0;
  try {
    // Foreign layers are tried at the registry first, like containerd: many registries hold them.
    await streamBlob(client, reference.repository, desc, policy, sink, streamOpts);
  } catch (e) {
    if (!foreign || !isStoreError(e, 'ENOTFOUND')) throw e;
    if (ctx.opts.foreignLayers !== 'fetch') {
      throw new StoreError('EFOREIGN_LAYER', `layer ${desc.digest} is a foreign layer the registry does not serve; fetching its urls is disabled`, {
        details: { digest: desc.digest },
      });
    }
    const urls = foreignUrls(desc);
    if (urls.length === 0) throw new StoreError('EFOREIGN_LAYER', `layer ${desc.digest} has no usable https url`, { details: { digest: desc.digest } });
    let last: unknown = e;
    for (const url of urls) {
      try {
        await streamBlob(client, reference.repository, desc, policy, sink, { ...streamOpts, foreignUrl: url });
        last = undefined;
        break;
      } catch (err) {
        last = err;
      }
    }
    if (last !== undefined) throw last;
  }
  progress({ digest: desc.digest, kind: 'layer', phase: 'done', current: desc.size, total: desc.size });
}

/** Fetches the platform manifest a top-level document leads to (storing the index blob on the way). */
async function resolveRemote(ctx: PullContext, platform: Platform): Promise<{ manifest: FetchedDocument & { doc: ManifestDocument }; indexDigest?: Digest }> {
  const { store, client, reference, policy } = ctx;
  const top = await fetchDocument(client, reference.repository, reference.digest ?? reference.tag ?? 'latest', policy);
  ctx.progress({ digest: top.digest, kind: top.doc.kind, phase: 'done', current: top.raw.length, total: top.raw.length });
  if (top.doc.kind === 'manifest') return { manifest: top as FetchedDocument & { doc: ManifestDocument } };
  const entry = selectPlatform(top.doc, platform);
  await store.blobs.putBytes(top.raw, { digest: top.digest, size: top.raw.length });
  const child = await fetchDocument(client, reference.repository, entry.digest, policy, entry);
  if (child.doc.kind !== 'manifest') {
    throw new StoreError('EMANIFEST_UNSUPPORTED', 'nested indexes are not supported', { details: { reason: 'nested-index', digest: entry.digest } });
  }
  return { manifest: child as FetchedDocument & { doc: ManifestDocument }, indexDigest: top.digest };
}

/**
 * On re-resolve: HEAD the tag; when the registry says it still names the manifest we already hold,
 * nothing is fetched. The header only ever confirms content we verified earlier (the tag keeps
 * pointing at it); it never names new content, which is always identified by hashing its bytes.
 */
async function tagUnchanged(ctx: PullContext, localDigest: Digest): Promise<boolean> {
  const { client, reference, policy } = ctx;
  try {
    const res = await withRetries(policy, () => client.request({
      method: 'HEAD', target: `/v2/${reference.repository}/manifests/${reference.tag ?? 'latest'}`, headers: { Accept: MANIFEST_ACCEPT },
      scopes: [repoScope(reference.repository, 'pull')], expect: [200], what: 'manifest HEAD',
    }), undefined, ctx.opts.signal);
    await discard(res.body);
    return res.headers['docker-content-digest'] === localDigest;
  } catch (e) {
    // A registry without HEAD support (or any failure here) just means the full GET decides, and reports.
    if (isStoreError(e, 'EABORTED')) throw e;
    return false;
  }
}

/** Pulls `ref` into the store and tags it (by-digest references are not tagged, as docker does). */
export async function pull(store: PullStore, ref: string, opts: PullOptions = {}): Promise<PullResult> {
  const reference = parseReference(ref);
  const platform = parsePlatform(opts.platform);
  const tags = reference.digest === undefined ? [reference.canonical] : [];
  const progress = (p: TransferProgress): void => opts.onProgress?.(p);

  // Fast paths: content named by digest never changes; a tag is reused unless asked to re-resolve.
  if (reference.digest !== undefined) {
    const local = await resolveLocal(store, reference.digest, platform);
    if (local) {
      const image = await store.images.add(local.manifestDigest, tags);
      return { image, reference, ...local, contacted: false };
    }
  }
  const local = reference.digest === undefined ? await store.images.resolve(reference.canonical) : undefined;
  if (local && opts.pull !== true) return { image: local, reference, manifestDigest: local.manifestDigest, contacted: false };

  const client = new RegistryClient(reference.registry, opts);
  const policy = retryPolicy(opts.retry);
  const ctx: PullContext = { store, client, reference, policy, opts, progress };
  if (local && await tagUnchanged(ctx, local.manifestDigest)) {
    return { image: local, reference, manifestDigest: local.manifestDigest, contacted: true };
  }
  const { manifest, indexDigest } = await resolveRemote(ctx, platform);
  const m = manifest.doc;
  checkImageManifest(m);

  let configBytes: Buffer;
  if (await store.blobs.stat(m.config.digest)) {
    configBytes = await store.blobs.getBytes(m.config.digest, LIMITS.configBytes);
    verifyBytes(configBytes, m.config, 'config');
  } else {
    configBytes = await fetchSmallBlob(client, reference.repository, m.config, LIMITS.configBytes, policy);
    await store.blobs.putBytes(configBytes, { digest: m.config.digest, size: m.config.size });
  }
  const diffIds = diffIdsOf(configBytes, m);
  const configPlatform = JSON.parse(configBytes.toString('utf8')) as Partial<Platform>;
  if (indexDigest === undefined && (configPlatform.os !== platform.os || configPlatform.architecture !== platform.architecture)) {
    client.log(`${reference.canonical} is ${configPlatform.os}/${configPlatform.architecture}, not ${platformString(platform)}`);
  }

  for (const l of m.layers) progress({ digest: l.digest, kind: 'layer', phase: 'waiting', current: 0, total: l.size });
  await mapLimit(m.layers, Math.max(1, opts.concurrency ?? 3), (l, i) => pullLayer(ctx, l, diffIds[i]!));

  await store.blobs.putBytes(manifest.raw, { digest: manifest.digest, size: manifest.raw.length });
  await recordBlobSources(store, reference.registry, reference.repository, [m.config.digest, ...m.layers.map((l) => l.digest)])
    .catch((e: unknown) => client.log(`could not record blob sources: ${(e as Error).message}`));
  const image = await store.images.add(manifest.digest, tags);
  return { image, reference, manifestDigest: manifest.digest, indexDigest, contacted: true };
}
