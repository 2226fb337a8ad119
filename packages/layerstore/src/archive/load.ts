// load: an OCI layout tar (index.json) or a docker-save tar (manifest.json), plain or gzipped,
// with gzip/zstd/plain layers. The archive is streamed into the blob store first (read-archive.ts);
// then its documents are read with size caps, every referenced blob is checked present with the
// size its descriptor claims, every layer is checked against its diffID, and the images are
// recorded with their tags: the caller's, else the archive's (io.containerd.image.name /
// ref.name / RepoTags). A docker-save archive has no manifests: one is made (OCI media types).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { StoreError } from '../errors.js';
import { LIMITS, isObject, parseJSON, stringifyManifest } from '../json.js';
import { CONTAINERD_NAME, REF_NAME, tryNormalizeTag } from '../images/names.js';
import { checkIndex } from '../images/oci-index.js';
import { readImage } from '../images/records.js';
import { mediaTypeFor } from '../layers/media-types.js';
import { OCI_CONFIG, OCI_MANIFEST } from '../registry/media-types.js';
import type { OpenedStore } from '../store.js';
import type { Descriptor, Digest, ImageManifest, ImageRecord } from '../types.js';
import { lookupFile, readArchive, type ArchiveContents } from './read-archive.js';
import { sniffCompression, verifyDiffID } from './diff-id.js';
import { compressionOf } from '../layers/media-types.js';

interface Found {
  manifestDigest: Digest;
  names: string[];
}

export async function loadArchive(store: OpenedStore, source: Readable, opts: { tags?: string[] } = {}): Promise<ImageRecord[]> {
  const contents = await readArchive(source, store.blobs);
  const found = contents.documents.has('index.json') ? await fromOciIndex(store, contents) : await fromDockerManifest(store, contents);
  if (found.length === 0) throw new StoreError('EARCHIVE', 'the archive holds no image');
  if (opts.tags && opts.tags.length > 0) {
    if (found.length !== 1) throw new StoreError('EUSAGE', `tags were given but the archive holds ${found.length} images`, { details: { images: found.length } });
    found[0]!.names = opts.tags;
  }
  const out: ImageRecord[] = [];
  for (const f of mergeByDigest(found)) {
    const image = await readImage(store.blobs, f.manifestDigest);
    await checkLayers(store, image);
    out.push(await store.images.add(f.manifestDigest, f.names));
  }
  return out;
}

function mergeByDigest(found: Found[]): Found[] {
  const by = new Map<Digest, Set<string>>();
  for (const f of found) {
    const names = by.get(f.manifestDigest) ?? new Set<string>();
    f.names.forEach((n) => names.add(n));
    by.set(f.manifestDigest, names);
  }
  return [...by].map(([manifestDigest, names]) => ({ manifestDigest, names: [...names].sort() }));
}

/** Every layer present with its descriptor's size, and unpacking to its diffID. */
async function checkLayers(store: OpenedStore, image: ImageRecord): Promise<void> {
  for (const l of image.layers) {
    const st = await store.blobs.stat(l.blob.digest);
    if (!st) throw new StoreError('ENOTFOUND', `layer ${l.blob.digest} is neither in the archive nor in the store`, { details: { digest: l.blob.digest } });
    if (st.size !== l.blob.size) throw new StoreError('EBADSIZE', `layer ${l.blob.digest} is ${st.size} bytes, its descriptor says ${l.blob.size}`, { details: { digest: l.blob.digest } });
    const declared = compressionOf(l.blob.mediaType);
    await verifyDiffID(store, l.blob.digest, declared ?? (await sniffCompression(store, l.blob.digest)), l.diffID);
  }
}

/** An archive's own names for an index entry. "latest"-style bare tags name nothing. */
function namesOf(d: Descriptor): string[] {
  const full = d.annotations?.[CONTAINERD_NAME] ?? d.annotations?.[REF_NAME];
  if (full === undefined || !/[/:]/.test(full)) return [];
  const n = tryNormalizeTag(full);
  return n ? [n] : [];
}

async function fromOciIndex(store: OpenedStore, contents: ArchiveContents): Promise<Found[]> {
  const index = checkIndex(parseJSON(contents.documents.get('index.json')!, LIMITS.index, 'index.json'), 'index.json');
  const out: Found[] = [];
  for (const d of index.manifests) {
    const stored = await store.blobs.stat(d.digest);
    if (!stored) throw new StoreError('ENOTFOUND', `index.json names ${d.digest}, which is not in the archive`, { details: { digest: d.digest } });
    if (stored.size !== d.size) throw new StoreError('EBADSIZE', `${d.digest} is ${stored.size} bytes, index.json says ${d.size}`, { details: { digest: d.digest } });
    out.push({ manifestDigest: d.digest, names: namesOf(d) });
  }
  return out;
}

async function fromDockerManifest(store: OpenedStore, contents: ArchiveContents): Promise<Found[]> {
  const doc = contents.documents.get('manifest.json');
  if (!doc) throw new StoreError('EARCHIVE', 'the archive has neither index.json nor manifest.json');
  const list = parseJSON<unknown>(doc, LIMITS.index, 'manifest.json');
  if (!Array.isArray(list)) throw new StoreError('EARCHIVE', 'manifest.json is not a list');
  const out: Found[] = [];
  for (const item of list) {
    if (!isObject(item) || typeof item.Config !== 'string' || !Array.isArray(item.Layers)) throw new StoreError('EARCHIVE', 'manifest.json has a malformed entry');
    const config = need(contents, item.Config);
    const layers: Descriptor[] = [];
    for (const key of item.Layers) {
      if (typeof key !== 'string') throw new StoreError('EARCHIVE', 'manifest.json has a malformed layer');
      const f = need(contents, key);
      layers.push({ mediaType: mediaTypeFor(await sniffCompression(store, f.digest)), digest: f.digest, size: f.size });
    }
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size },
      layers,
    };
    const bytes = Buffer.from(stringifyManifest(manifest));
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    await store.blobs.putBytes(bytes, { digest, size: bytes.length });
    const tags = Array.isArray(item.RepoTags) ? item.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    out.push({ manifestDigest: digest, names: tags.map(tryNormalizeTag).filter((t): t is string => t !== undefined) });
  }
  return out;
}

/** The stored blob of an archive key; the key is looked up, never opened. */
function need(contents: ArchiveContents, key: string): { digest: Digest; size: number } {
  const f = lookupFile(contents, key);
  if (!f) throw new StoreError('EARCHIVE', `manifest.json names ${JSON.stringify(key.slice(0, 200))}, which is not in the archive`, { details: { name: key.slice(0, 200) } });
  return f;
}
