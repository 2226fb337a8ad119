// save: one tar of images, in one of three shapes:
//   'oci'    an OCI image layout (oci-layout, index.json, blobs/sha256/…)
//   'docker' what `docker load` reads (manifest.json + repositories) with Docker schema2 media
//            types; it also carries oci-layout + index.json (Docker 25's shape), so its manifest
//            digest survives a load
//   'both'   (the CLI default) an OCI layout that also has manifest.json + repositories
// Layers come from layers.compressed() (default gzip), streamed from the blob store, verified.
// The manifest of an image is reused byte for byte when the layers already have the requested
// form, so the saved image has the same digest as the stored one.
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { StoreError } from '../errors.js';
import { LIMITS, stringifyManifest, stringifySorted } from '../json.js';
import { familiarName, normalizeTag, splitTag } from '../images/names.js';
import { namedEntry, sortEntries, unnamedEntry } from '../images/oci-index.js';
import { DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_MANIFEST, OCI_CONFIG, OCI_INDEX, OCI_MANIFEST } from '../registry/media-types.js';
import { compressionOf } from '../layers/media-types.js';
import type { Compression, Descriptor, Digest, ExportOptions, ImageManifest, ImageRecord, LayerRef } from '../types.js';
import type { OpenedStore } from '../store.js';
import { writeTar, type ArchiveEntry } from './tar-writer.js';

const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';

interface DockerManifestEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

const blobName = (d: Digest) => `blobs/sha256/${d.slice(7)}`;

export async function saveImages(store: OpenedStore, images: ImageRecord[], dest: Writable, opts: ExportOptions): Promise<void> {
  const format = opts.format ?? 'both';
  const compression: Compression = opts.compression ?? 'gzip';
  if (!['oci', 'docker', 'both'].includes(format)) throw new StoreError('EUSAGE', `unknown export format ${String(format)}`);
  const extraNames = (opts.names ?? []).map(normalizeTag);
  const blobs = new Map<Digest, ArchiveEntry>();
  const index: Descriptor[] = [];
  const dockerManifest: DockerManifestEntry[] = [];
  const repositories: Record<string, Record<string, string>> = {};

  for (const image of images) {
    const names = [...new Set([...image.names, ...extraNames])].sort();
    const layers = await Promise.all(image.layers.map((l) => layerIn(store, l, compression)));
    const config = await store.blobs.getBytes(image.configDigest, LIMITS.config);
    blobs.set(image.configDigest, { name: blobName(image.configDigest), body: config });
    for (const l of layers) {
      blobs.set(l.digest, { name: blobName(l.digest), size: l.size, body: () => store.blobs.get(l.digest, { size: l.size }) });
    }
    const manifest = await manifestFor(store, image, layers, config.length, format === 'docker');
    blobs.set(manifest.desc.digest, { name: blobName(manifest.desc.digest), body: manifest.bytes });
    index.push(...(names.length === 0 ? [unnamedEntry(manifest.desc)] : names.map((n) => namedEntry(manifest.desc, n))));
    dockerManifest.push({ Config: blobName(image.configDigest), RepoTags: names.map(familiarName), Layers: layers.map((l) => blobName(l.digest)) });
    for (const n of names) {
      const { repository, tag } = splitTag(familiarName(n));
      (repositories[repository] ??= {})[tag] = image.configDigest.slice(7);
    }
  }

  const entries: ArchiveEntry[] = [{ name: 'blobs/' }, { name: 'blobs/sha256/' }, ...blobs.values()];
  const json = (v: string) => Buffer.from(v);
  entries.push({ name: 'oci-layout', body: json(JSON.stringify({ imageLayoutVersion: '1.0.0' })) });
  entries.push({ name: 'index.json', body: json(stringifyManifest({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: sortEntries(index) })) });
  if (format !== 'oci') {
    entries.push({ name: 'manifest.json', body: json(JSON.stringify(dockerManifest)) });
    entries.push({ name: 'repositories', body: json(stringifySorted(repositories)) });
  }
  await writeTar(entries, dest, new Date((opts.sourceDateEpoch ?? 0) * 1000));
}

/** The layer blob in the requested compression (the stored blob itself when it already is). */
async function layerIn(store: OpenedStore, layer: LayerRef, c: Compression): Promise<Descriptor> {
  if (compressionOf(layer.blob.mediaType) === c) return { mediaType: layer.blob.mediaType, digest: layer.blob.digest, size: layer.blob.size };
  return store.layers.compressed(layer, c);
}

/** The stored manifest when it already describes these blobs in this format, else a new one. */
async function manifestFor(
  store: OpenedStore,
  image: ImageRecord,
  layers: Descriptor[],
  configSize: number,
  docker: boolean,
): Promise<{ desc: Descriptor; bytes: Buffer }> {
  const sameLayers = layers.length === image.manifest.layers.length && layers.every((l, i) => l.digest === image.manifest.layers[i]!.digest);
  const wanted = docker ? DOCKER_MANIFEST : OCI_MANIFEST;
  if (sameLayers && (image.manifest.mediaType ?? OCI_MANIFEST) === wanted) {
    const bytes = await store.blobs.getBytes(image.manifestDigest, LIMITS.manifest);
    return { desc: { mediaType: wanted, digest: image.manifestDigest, size: bytes.length }, bytes };
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: wanted,
    config: { mediaType: docker ? DOCKER_CONFIG : OCI_CONFIG, digest: image.configDigest, size: configSize },
    layers: layers.map((l) => ({ mediaType: docker ? dockerLayerType(l.mediaType) : l.mediaType, digest: l.digest, size: l.size })),
    ...(image.manifest.annotations ? { annotations: image.manifest.annotations } : {}),
  };
  const bytes = Buffer.from(stringifyManifest(manifest));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  return { desc: { mediaType: wanted, digest, size: bytes.length }, bytes };
}

function dockerLayerType(ociType: string): string {
  const c = compressionOf(ociType);
  return c === 'gzip' ? DOCKER_LAYER_GZIP : c === 'none' ? DOCKER_LAYER_TAR : ociType;
}
