// Reading an image out of the store: manifest → config → layers, every document size-capped,
// verified against its digest (getBytes) and checked for shape before anything trusts it.
import { StoreError } from '../errors.js';
import { LIMITS, isObject, parseJSON } from '../json.js';
import { isIndexType, isManifestType } from '../registry/media-types.js';
import type { BlobStore, Descriptor, Digest, ImageConfig, ImageManifest, ImageRecord, Platform } from '../types.js';
import { validateDigest } from '../blobs/digest.js';
import { checkDescriptor } from './oci-index.js';

function badImage(digest: Digest, why: string): StoreError {
  return new StoreError('EBADIMAGE', `image ${digest}: ${why}`, { details: { digest } });
}

/** Parses and checks a manifest document (OCI or Docker schema2). */
export function checkManifest(doc: unknown, digest: Digest): ImageManifest {
  if (!isObject(doc) || doc.schemaVersion !== 2) throw badImage(digest, 'not a schema 2 manifest');
  if (doc.manifests !== undefined) throw badImage(digest, 'has both layers and manifests (CVE-2021-41190)');
  if (doc.mediaType !== undefined && !isManifestType(String(doc.mediaType))) throw badImage(digest, `unsupported media type ${String(doc.mediaType)}`);
  if (!Array.isArray(doc.layers)) throw badImage(digest, 'manifest has no layers array');
  checkDescriptor(doc.config, `manifest ${digest} config`);
  for (const l of doc.layers as unknown[]) checkDescriptor(l, `manifest ${digest} layer`);
  return doc as unknown as ImageManifest;
}

/** Parses and checks an image config enough that layers and diffIDs line up. */
export function checkConfig(doc: unknown, digest: Digest): ImageConfig {
  if (!isObject(doc) || !isObject(doc.rootfs) || !Array.isArray(doc.rootfs.diff_ids)) throw badImage(digest, 'config has no rootfs.diff_ids');
  for (const d of doc.rootfs.diff_ids as unknown[]) if (!validateDigest(d)) throw badImage(digest, 'config has an invalid diff_id');
  if (doc.config !== undefined && doc.config !== null && !isObject(doc.config)) throw badImage(digest, 'config.config is not an object');
  return { ...(doc as unknown as ImageConfig), config: (doc.config ?? {}) as ImageConfig['config'] };
}

/** The host platform in OCI terms, for choosing from a multi-platform index. */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch };
}

/** Reads the image a manifest (or an index, resolved to the host platform's entry) describes. */
export async function readImage(blobs: BlobStore, digest: Digest, names: string[] = []): Promise<ImageRecord> {
  let manifestDigest = digest;
  let doc = parseJSON<unknown>(await blobs.getBytes(digest, LIMITS.manifest), LIMITS.manifest, `manifest ${digest}`);
  if (isObject(doc) && typeof doc.mediaType === 'string' && isIndexType(doc.mediaType)) {
    manifestDigest = pickPlatform(doc, digest).digest;
    doc = parseJSON<unknown>(await blobs.getBytes(manifestDigest, LIMITS.manifest), LIMITS.manifest, `manifest ${manifestDigest}`);
  }
  const manifest = checkManifest(doc, manifestDigest);
  const configDigest = manifest.config.digest;
  const config = checkConfig(parseJSON(await blobs.getBytes(configDigest, LIMITS.config), LIMITS.config, `config ${configDigest}`), configDigest);
  const diffIDs = config.rootfs.diff_ids;
  if (diffIDs.length !== manifest.layers.length) {
    throw badImage(manifestDigest, `${manifest.layers.length} layers but ${diffIDs.length} diff_ids`);
  }
  const layers = manifest.layers.map((blob, i) => ({ diffID: diffIDs[i]!, blob }));
  return { names, manifestDigest, manifest, configDigest, config, layers };
}

function pickPlatform(index: Record<string, unknown>, digest: Digest): Descriptor {
  const entries = (Array.isArray(index.manifests) ? index.manifests : []).map((d) => checkDescriptor(d, `index ${digest}`));
  const host = hostPlatform();
  const match = entries.find((d) => d.platform?.os === host.os && d.platform.architecture === host.architecture && isManifestType(d.mediaType));
  const chosen = match ?? entries.find((d) => isManifestType(d.mediaType));
  if (!chosen) throw badImage(digest, 'index has no image manifest');
  return chosen;
}

/** Digests an image needs: its manifest(s), config and layer blobs, plus diffIDs (snapshots are keyed by them). */
export function imageDigests(r: ImageRecord): Digest[] {
  return [r.manifestDigest, r.configDigest, ...r.layers.flatMap((l) => [l.blob.digest, l.diffID])];
}
