// openStore: wires the store's parts over one root. See Store in ./types.ts and the README's
// "Concurrency" section for the lock discipline implemented here:
//   locks/gc.lock     shared for every operation that writes or looks up content, exclusive for prune
//   locks/index.lock  exclusive for each index.json read-modify-write
//   locks/procs/<id>  one per open store: liveness (flock) + lease (digests in use)
import { mkdir } from 'node:fs/promises';
import { removeTree } from './remove-tree.js';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { StoreError } from './errors.js';
import { FsBlobStore } from './blobs/fs-blob-store.js';
import { StoreCacheRecords } from './cache/cache-records.js';
import { IndexFile } from './images/oci-index.js';
import { StoreImages } from './images/store-images.js';
import { ProcessLease, recoverDeadProcesses } from './lock/process-lease.js';
import { RwLock } from './lock/rw-lock.js';
import { defaultRoot, ensureLayout, storePaths, type StorePaths } from './store-layout.js';
import type { Digest, ExportOptions, ImageRecord, Layers, Store, WorkArea } from './types.js';

export interface OpenStoreOptions {
  /** Overrides the Layers implementation (tests, fakes). */
  layers?: (deps: StoreLayerDeps) => Layers;
  /** Skip removing dead processes' leftovers at open (verify wants to see them). */
  skipRecovery?: boolean;
}

/** What the layer code gets from the store (agreed with src/layers/). */
export interface StoreLayerDeps {
  root: string;
  blobs: FsBlobStore;
  /** This process's own folder under <root>/tmp (same filesystem); removed when the process is gone. */
  tmpDir: string;
  snapshotsDir: string;
  metaDir: string;
}

/** A Store plus the internals the management functions (prune, verify) work with. */
export interface OpenedStore extends Store {
  readonly blobs: FsBlobStore;
  readonly images: StoreImages;
  readonly cache: StoreCacheRecords;
  readonly paths: StorePaths;
  readonly index: IndexFile;
  readonly gc: RwLock;
  readonly lease: ProcessLease;
  /** Dead processes whose leftovers this open removed. */
  readonly recovered: string[];
}

let workCounter = 0;

export async function openStore(root?: string, opts: OpenStoreOptions = {}): Promise<OpenedStore> {
  const paths = storePaths(root ?? defaultRoot());
  await ensureLayout(paths);
  const recovered = opts.skipRecovery ? [] : await recoverDeadProcesses(paths.root);
  const lease = await ProcessLease.create(paths.root);
  const gc = new RwLock(join(paths.locks, 'gc.lock'));
  const guard = <T>(fn: () => Promise<T>) => gc.shared(fn);
  const addLease = (d: Digest[]) => lease.add(d);
  const blobs = new FsBlobStore({ blobsDir: paths.blobs, tmpDir: lease.tmpDir, lease: addLease, guard });
  const index = new IndexFile(paths.root, lease.tmpDir);
  const images = new StoreImages({ blobs, index, lease: addLease, guard });
  const cache = new StoreCacheRecords({ dir: paths.cache, tmpDir: lease.tmpDir, lease: addLease, guard });
  const layerDeps: StoreLayerDeps = { root: paths.root, blobs, tmpDir: lease.tmpDir, snapshotsDir: paths.snapshots, metaDir: paths.layers };
  const layers = opts.layers ? opts.layers(layerDeps) : lazyLayers(layerDeps);
  let closed = false;

  const store: OpenedStore = {
    root: paths.root,
    paths,
    blobs,
    images,
    cache,
    layers,
    index,
    gc,
    lease,
    recovered,
    async workArea(): Promise<WorkArea> {
      const dir = join(lease.tmpDir, `work-${++workCounter}`);
      const area = { upperDir: join(dir, 'upper'), workDir: join(dir, 'work'), scratchDir: join(dir, 'scratch') };
      for (const d of [dir, area.upperDir, area.workDir, area.scratchDir]) await mkdir(d, { mode: 0o755 });
      return { ...area, dispose: () => removeTree(dir) };
    },
    async stateDir(name: string): Promise<string> {
      if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) throw new StoreError('EINVALIDNAME', `state dir name ${JSON.stringify(name)} is not allowed`);
      const dir = join(paths.state, name);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      return dir;
    },
    // Archives (tar-stream, compression) load on first use: a build never needs them.
    save: async (imgs: ImageRecord[], dest: Writable, o: ExportOptions) => (await import('./archive/save.js')).saveImages(store, imgs, dest, o),
    load: async (source: Readable, o?: { tags?: string[] }) => (await import('./archive/load.js')).loadArchive(store, source, o),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await gc.close();
      await lease.close();
    },
  };
  return store;
}

/**
 * The real Layers from src/layers/, loaded on the first call: layer generation and extraction bring
 * tar-stream, zlib and zstd, which a fully cached build (or `tsbuild images`) never needs.
 */
function lazyLayers(deps: StoreLayerDeps): Layers {
  let real: Promise<Layers> | undefined;
  const get = (): Promise<Layers> => (real ??= import('./layers/index.js').then((mod) => mod.createLayers(deps)));
  return {
    commit: async (...a) => (await get()).commit(...a),
    snapshot: async (...a) => (await get()).snapshot(...a),
    import: async (...a) => (await get()).import(...a),
    compressed: async (...a) => (await get()).compressed(...a),
    extractTar: async (...a) => (await get()).extractTar(...a),
  };
}
