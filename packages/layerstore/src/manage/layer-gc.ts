// The part of prune and verify that concerns snapshots/ and layers/ (the layer code's folders).
// When the Layers implementation has `collect` / `verify` (LayerMaintenance), the store calls
// those. Otherwise it applies the layout src/layers/ documents:
//   layers/<diffID hex>/{layer.json, none.json, gzip.json, zstd.json, snapshot}
//   snapshots/<first 8 hex of diffID>[-n]   named by the `snapshot` record
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { OpenedStore } from '../store.js';
import type { Digest } from '../types.js';
import { validateDigest } from '../blobs/digest.js';

export interface LayerProblem {
  code: string;
  path: string;
  message: string;
  repaired?: boolean;
}

/** Optional members a Layers implementation may add for prune and verify. */
export interface LayerMaintenance {
  /**
   * Called by prune under the exclusive gc lock with every live digest (blobs and diffIDs).
   * Removes snapshots and layer records none of them needs (unless dryRun) and returns the blob
   * digests it still needs (e.g. compressed variants of live layers) and what it freed.
   * It must not call the guarded BlobStore methods (put, get, getBytes): prune holds the gc lock
   * exclusively and they wait for it. Read and unlink files directly.
   */
  collect?(live: ReadonlySet<Digest>, dryRun: boolean): Promise<{ keep: Digest[]; removed: string[]; bytes: number }>;
  /** Called by verify: problems in snapshots/ and layers/ (with repair: fixed or quarantined). */
  verify?(live: ReadonlySet<Digest>, repair: boolean): Promise<LayerProblem[]>;
}

/** A snapshot dir nobody references is left alone this long: its writer may be about to claim it. */
const UNCLAIMED_GRACE_MS = 60 * 60 * 1000;

interface LayerDir {
  hex: string;
  diffID: Digest;
  /** Blob digests the records name (as stored + compressed variants). */
  blobs: Digest[];
  snapshot?: string;
}

async function readLayerDirs(store: OpenedStore): Promise<LayerDir[]> {
  const out: LayerDir[] = [];
  for (const hex of await readdir(store.paths.layers).catch(() => [] as string[])) {
    const diffID = `sha256:${hex}`;
    if (!validateDigest(diffID)) continue;
    const dir = join(store.paths.layers, hex);
    const blobs: Digest[] = [];
    for (const name of ['layer.json', 'none.json', 'gzip.json', 'zstd.json']) {
      try {
        const doc = JSON.parse(await readFile(join(dir, name), 'utf8')) as { digest?: unknown; blob?: { digest?: unknown } };
        const d = doc.blob?.digest ?? doc.digest;
        if (validateDigest(d)) blobs.push(d);
      } catch {
        // absent or unreadable: nothing to keep for it
      }
    }
    // The name is the record's first line (then "unsynced <boot id>", see src/layers/records.ts).
    const snapshot = (await readFile(join(dir, 'snapshot'), 'utf8').catch(() => '')).split('\n')[0].trim() || undefined;
    out.push({ hex, diffID, blobs, snapshot });
  }
  return out;
}

async function sizeOfTree(path: string): Promise<number> {
  let total = 0;
  const st = await stat(path).catch(() => undefined);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  for (const e of await readdir(path, { withFileTypes: true }).catch(() => [])) {
    const p = join(path, e.name);
    total += e.isDirectory() ? await sizeOfTree(p) : ((await stat(p).catch(() => undefined))?.size ?? 0);
  }
  return total;
}

/** Removes a tree by renaming it into tmp/ first, so no half-removed dir is ever under snapshots/. */
async function removeTree(store: OpenedStore, path: string): Promise<void> {
  const trash = join(store.lease.tmpDir, `trash-${randomBytes(6).toString('hex')}`);
  await rename(path, trash);
  await rm(trash, { recursive: true, force: true });
}

export async function collectLayers(store: OpenedStore, live: ReadonlySet<Digest>, dryRun: boolean): Promise<{ keep: Digest[]; removed: string[]; bytes: number }> {
  const m = store.layers as Partial<LayerMaintenance>;
  if (typeof m.collect === 'function') return m.collect(live, dryRun);
  const keep: Digest[] = [];
  const removed: string[] = [];
  let bytes = 0;
  const claimed = new Set<string>();
  for (const l of await readLayerDirs(store)) {
    if (live.has(l.diffID) || l.blobs.some((b) => live.has(b))) {
      keep.push(...l.blobs);
      if (l.snapshot) claimed.add(l.snapshot);
      continue;
    }
    if (l.snapshot) {
      const snap = join(store.paths.snapshots, l.snapshot);
      bytes += await sizeOfTree(snap);
      removed.push(`snapshots/${l.snapshot}`);
      if (!dryRun) await removeTree(store, snap).catch(() => undefined);
    }
    removed.push(`layers/${l.hex}`);
    if (!dryRun) await removeTree(store, join(store.paths.layers, l.hex)).catch(() => undefined);
  }
  const livePrefixes = new Set([...live].map((d) => d.slice(7, 15)));
  for (const name of await readdir(store.paths.snapshots).catch(() => [] as string[])) {
    if (claimed.has(name) || livePrefixes.has(name.slice(0, 8))) continue;
    const path = join(store.paths.snapshots, name);
    // rename(2) sets ctime: this is how long ago it was put under snapshots/.
    const st = await stat(path).catch(() => undefined);
    if (!st || Date.now() - st.ctimeMs < UNCLAIMED_GRACE_MS) continue;
    bytes += await sizeOfTree(path);
    removed.push(`snapshots/${name}`);
    if (!dryRun) await removeTree(store, path).catch(() => undefined);
  }
  return { keep, removed, bytes };
}

/** verify's check of snapshots/ and layers/: every snapshot claimed, every claim present. */
export async function verifyLayers(store: OpenedStore, live: ReadonlySet<Digest>, repair: boolean): Promise<LayerProblem[]> {
  const m = store.layers as Partial<LayerMaintenance>;
  if (typeof m.verify === 'function') return m.verify(live, repair);
  const problems: LayerProblem[] = [];
  const claimed = new Set<string>();
  for (const l of await readLayerDirs(store)) {
    if (!l.snapshot) continue;
    claimed.add(l.snapshot);
    if (!(await stat(join(store.paths.snapshots, l.snapshot)).catch(() => undefined))) {
      const p: LayerProblem = { code: 'EMISSINGSNAPSHOT', path: `layers/${l.hex}/snapshot`, message: `names snapshots/${l.snapshot}, which is missing` };
      // Dropping the record makes the layer unpack again on next use.
      if (repair) p.repaired = await rm(join(store.paths.layers, l.hex, 'snapshot')).then(() => true, () => false);
      problems.push(p);
    }
  }
  for (const name of await readdir(store.paths.snapshots).catch(() => [] as string[])) {
    if (claimed.has(name)) continue;
    const st = await stat(join(store.paths.snapshots, name)).catch(() => undefined);
    if (!st || Date.now() - st.ctimeMs < UNCLAIMED_GRACE_MS) continue;
    const p: LayerProblem = { code: 'ESTRAYSNAPSHOT', path: `snapshots/${name}`, message: 'no layer record names this snapshot' };
    if (repair) {
      p.repaired = await (async () => {
        await mkdir(store.paths.quarantine, { recursive: true, mode: 0o700 });
        await rename(join(store.paths.snapshots, name), join(store.paths.quarantine, `snapshot-${name}-${Date.now()}`));
        return true;
      })().catch(() => false);
    }
    problems.push(p);
  }
  return problems;
}
