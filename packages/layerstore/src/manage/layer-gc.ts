// The part of prune and verify that belongs to the layer code (snapshots/, layers/): the store
// calls optional methods on its Layers when they exist, so each side owns its own folders.
import type { OpenedStore } from '../store.js';
import type { Digest } from '../types.js';

/** Optional members a Layers implementation may add for prune and verify. */
export interface LayerMaintenance {
  /**
   * Called by prune under the exclusive gc lock with every live digest (blobs and diffIDs).
   * Removes snapshots and layer records none of them needs (unless dryRun) and returns the blob
   * digests it still needs (e.g. compressed variants of live layers) and what it freed.
   */
  collect?(live: ReadonlySet<Digest>, dryRun: boolean): Promise<{ keep: Digest[]; removed: string[]; bytes: number }>;
  /** Called by verify: problems in snapshots/ and layers/ (repair: quarantine or remove them). */
  verify?(live: ReadonlySet<Digest>, repair: boolean): Promise<Array<{ code: string; path: string; message: string }>>;
}

export async function collectLayers(store: OpenedStore, live: ReadonlySet<Digest>, dryRun: boolean): Promise<{ keep: Digest[]; removed: string[]; bytes: number }> {
  const m = store.layers as Partial<LayerMaintenance>;
  if (typeof m.collect !== 'function') return { keep: [], removed: [], bytes: 0 };
  return m.collect(live, dryRun);
}

export async function verifyLayers(store: OpenedStore, live: ReadonlySet<Digest>, repair: boolean): Promise<Array<{ code: string; path: string; message: string }>> {
  const m = store.layers as Partial<LayerMaintenance>;
  if (typeof m.verify !== 'function') return [];
  return m.verify(live, repair);
}
