// createLayers: the Layers implementation over a BlobStore and the store's tmp/, snapshots/ and layers/.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobStore, CommitOptions, CommittedLayer, Compression, Descriptor, Expected, LayerRef, Layers } from '../types.js';
import { StoreError } from '../errors.js';
import { commitUpper } from './commit/commit.js';
import { compressors, decompressors, through } from './compress.js';
import { hexOf } from './digest.js';
import { extractTarInto, type ExtractOptions } from './extract/extract-tar.js';
import { importLayer } from './import-layer.js';
import { compressionOf, mediaTypeFor } from './media-types.js';
import { LayerRecords } from './records.js';
import { Snapshots } from './snapshots.js';
import { DigestCheck } from './verify.js';

export interface LayerDeps {
  root: string;
  blobs: BlobStore;
  /** <root>/tmp: same filesystem as snapshots/ (renames must be atomic). */
  tmpDir: string;
  /** <root>/snapshots */
  snapshotsDir: string;
  /** <root>/layers: diffID ↔ blob records. */
  metaDir: string;
}

/** Layers plus what this implementation adds. */
export interface LayerStore extends Layers {
  /** The record of a layer by diffID (how it was first stored), if known. */
  lookup(diffID: string): Promise<LayerRef | undefined>;
  extractTar(source: Readable, targetDir: string, opts?: Omit<ExtractOptions, 'tap'>): Promise<void>;
}

export function createLayers(deps: LayerDeps): LayerStore {
  for (const d of [deps.tmpDir, deps.snapshotsDir, deps.metaDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const records = new LayerRecords(deps);
  const snapshots = new Snapshots(deps, records);
  const inflight = new Map<string, Promise<unknown>>();

  // One in-process job per key; other processes are handled by the atomic publish steps.
  function once<T>(key: string, job: () => Promise<T>): Promise<T> {
    const running = inflight.get(key);
    if (running !== undefined) return running as Promise<T>;
    const p = job().finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  }

  /** The cheapest stored blob of a layer: the uncompressed variant if we have it, else `layer.blob`. */
  async function sourceBlob(layer: LayerRef): Promise<string> {
    const plain = records.variant(layer.diffID, 'none');
    if (plain !== undefined && (await deps.blobs.stat(plain.digest)) !== undefined) return plain.digest;
    return layer.blob.digest;
  }

  async function unpack(layer: LayerRef): Promise<string> {
    const source = await sourceBlob(layer);
    const work = await mkdtemp(path.join(deps.tmpDir, 'unpack-'));
    try {
      const rootfs = path.join(work, 'rootfs');
      const hash = createHash('sha256');
      await extractTarInto(await deps.blobs.get(source), rootfs, {
        mode: 'overlay', fresh: true, tap: (c) => hash.update(c),
      });
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== layer.diffID) {
        throw new StoreError('EINTEGRITY', `blob ${source} unpacks to ${got}, not diffID ${layer.diffID}`, {
          details: { digest: source, diffID: layer.diffID, got },
        });
      }
      return await snapshots.adopt(layer.diffID, rootfs);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  async function makeVariant(layer: LayerRef, c: Compression): Promise<Descriptor> {
    const src = records.variant(layer.diffID, 'none') ?? layer.blob;
    const srcCompression = compressionOf(src.mediaType) ?? 'none';
    if (srcCompression === c) {
      const desc = { mediaType: mediaTypeFor(c), digest: src.digest, size: src.size };
      records.recordVariant(layer.diffID, c, desc);
      return desc;
    }
    // An uncompressed source's digest is the diffID, and blobs.get already verifies it: no second hash.
    const verified = srcCompression === 'none' && src.digest === layer.diffID;
    const plain = through(await deps.blobs.get(src.digest), [
      ...decompressors(srcCompression),
      ...(verified ? [] : [new DigestCheck(layer.diffID, `layer ${src.digest}`)]),
    ]);
    const put = await deps.blobs.put(through(plain, compressors(c)));
    const desc = { mediaType: mediaTypeFor(c), digest: put.digest, size: put.size };
    records.recordVariant(layer.diffID, c, desc);
    return desc;
  }

  return {
    commit: (upperDir: string, opts?: CommitOptions): Promise<CommittedLayer> =>
      commitUpper({ blobs: deps.blobs, records, snapshots }, upperDir, opts),

    async snapshot(layer: LayerRef): Promise<string> {
      hexOf(layer.diffID);
      return (await snapshots.find(layer.diffID)) ?? once(`snapshot:${layer.diffID}`, () => unpack(layer));
    },

    import: (source: Readable, mediaType: string, expected: Expected & { diffID?: string }): Promise<LayerRef> =>
      importLayer({ blobs: deps.blobs, records }, source, mediaType, expected),

    async compressed(layer: LayerRef, c: Compression): Promise<Descriptor> {
      hexOf(layer.diffID);
      const known = records.variant(layer.diffID, c);
      if (known !== undefined && (await deps.blobs.stat(known.digest)) !== undefined) return known;
      return once(`compress:${c}:${layer.diffID}`, () => makeVariant(layer, c));
    },

    async extractTar(source: Readable, targetDir: string, opts: Omit<ExtractOptions, 'tap'> = {}): Promise<void> {
      await extractTarInto(source, targetDir, { mode: 'add', ...opts });
    },

    async lookup(diffID: string): Promise<LayerRef | undefined> {
      hexOf(diffID);
      return records.layer(diffID);
    },
  };
}
