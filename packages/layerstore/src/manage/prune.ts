// prune: removes what nothing needs, under the exclusive gc lock (it waits for every in-flight
// operation of every process, and none starts until it is done). Roots: tagged images (and
// unnamed ones unless danglingImages), kept cache records, and the leases of live processes.
import { unlink } from 'node:fs/promises';
import { failpoint } from '../failpoints.js';
import type { OpenedStore } from '../store.js';
import type { Digest } from '../types.js';
import { entryName } from '../images/oci-index.js';
import { readLiveLeases, recoverDeadProcesses } from '../lock/process-lease.js';
import { markLive } from './live-set.js';
import { collectLayers } from './layer-gc.js';

export interface PruneOptions {
  /** Drop images without a name (docker's "<none>") first. Default true. */
  danglingImages?: boolean;
  /** Cache records to drop: 'none' (default), 'all', or those unused for longer than unusedForMs. */
  cache?: 'none' | 'all' | { unusedForMs: number };
  /** Report what would be freed without removing anything. */
  dryRun?: boolean;
}

export interface PruneResult {
  blobs: Digest[];
  /** Bytes freed in blobs/ plus what the layer code freed. */
  bytes: number;
  /** Manifest digests of unnamed images dropped from index.json. */
  images: Digest[];
  cacheRecords: number;
  /** Snapshots / layer records removed by the layer code. */
  layers: string[];
  /** Dead processes whose temp files were removed. */
  tmp: string[];
}

export async function prune(store: OpenedStore, opts: PruneOptions = {}): Promise<PruneResult> {
  return store.gc.exclusive(async () => {
    const result: PruneResult = { blobs: [], bytes: 0, images: [], cacheRecords: 0, layers: [], tmp: [] };
    if (!opts.dryRun) result.tmp = await recoverDeadProcesses(store.root);
    // Leases first, then tags and records. Writers tag (index.json) and save cache records outside
    // the gc lock, after their blobs are leased, and drop their lease only when they close. Read in
    // this order, a writer alive now has its blobs in the lease; one that has already closed wrote
    // its tags and records before, so the reads below see them. (The other order missed a build that
    // tagged and exited in between, and deleted its manifest under a fresh tag.)
    const leased = await readLiveLeases(store.root);
    if (opts.danglingImages !== false) {
      const index = await store.index.read();
      result.images = index.manifests.filter((e) => entryName(e) === undefined).map((e) => e.digest);
      if (!opts.dryRun && result.images.length > 0) await store.index.update((entries) => entries.filter((e) => entryName(e) !== undefined));
    }
    const roots = new Set<Digest>();
    for (const e of (await store.index.read()).manifests) if (!(opts.dryRun && result.images.includes(e.digest) && entryName(e) === undefined)) roots.add(e.digest);
    const now = Date.now();
    for (const rec of await store.cache.entries()) {
      const drop = opts.cache === 'all' || (typeof opts.cache === 'object' && now - rec.lastUsed.getTime() > opts.cache.unusedForMs);
      if (drop) {
        result.cacheRecords++;
        if (!opts.dryRun) await unlink(rec.file).catch(() => undefined);
      } else for (const r of rec.refs) roots.add(r);
    }
    await failpoint('prune.afterRoots');
    for (const d of leased) roots.add(d);
    const live = await markLive(store.paths.blobs, roots);

    const layerPart = await collectLayers(store, live, !!opts.dryRun);
    for (const d of layerPart.keep) live.add(d);
    result.layers = layerPart.removed;
    result.bytes += layerPart.bytes;

    for await (const d of store.blobs.list()) {
      if (live.has(d)) continue;
      const st = await store.blobs.stat(d);
      result.blobs.push(d);
      result.bytes += st?.size ?? 0;
      if (!opts.dryRun) {
        await store.blobs.delete(d);
        await failpoint('prune.afterDelete');
      }
    }
    return result;
  });
}
