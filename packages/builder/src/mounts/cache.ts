// RUN --mount=type=cache: a directory kept in the store's state dir "cache-mounts" across steps and
// builds, never part of a layer. One directory per id, named by sha256(id) so no id ("../../etc",
// "/") can name a path outside the cache dir (CVE-2024-9675). Created once with the mount's
// uid/gid/mode (defaults 0:0 0755, as BuildKit).
//
// sharing (BuildKit's meanings):
// - shared: every user at once, no lock;
// - locked: one user at a time: an in-process queue, then an exclusive flock(2) on "<dir>.lock" so
//   other tsbuild processes wait too (kernel locks die with their holder, so a crash frees them);
// - private: one user at a time; a user that finds it taken gets a fresh empty directory instead,
//   discarded after the step.
import { createHash } from 'node:crypto';
import { chownSync, chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { FileLock } from '@tsbuild/layerstore';
import { lstatOrUndefined } from '../copy/dest.js';
import type { RunMount } from '../instructions/types.js';

export interface CacheMountDir {
  /** Host dir to bind at the target. */
  dir: string;
  /** Whether the dir was created by this call (for `from=` seeding). */
  created: boolean;
  /** Releases the lock / removes a private throwaway dir. Safe to call twice. */
  release(): Promise<void>;
}

/** Per-lock-file in-process queues: only one waiter per file sits in flock on the thread pool. */
const queues = new Map<string, Promise<void>>();

async function withQueue(key: string): Promise<() => void> {
  const prev = queues.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = prev.then(() => mine);
  queues.set(key, tail);
  await prev;
  return () => {
    release();
    if (queues.get(key) === tail) queues.delete(key);
  };
}

/** The directory of cache id `id` under `cacheRoot` (no filesystem access). */
export function cacheDirOf(cacheRoot: string, id: string): string {
  return `${cacheRoot}/${createHash('sha256').update(id).digest('hex')}`;
}

function ensureDir(dir: string, m: RunMount): boolean {
  if (lstatOrUndefined(dir)?.isDirectory() === true) return false;
  mkdirSync(dir, 0o700);
  chownSync(dir, m.uid ?? 0, m.gid ?? 0);
  chmodSync(dir, m.mode ?? 0o755);
  return true;
}

/**
 * Opens the cache mount `m` (id already defaulted to its target by the front end). `scratchDir` holds
 * private throwaway dirs.
 */
export async function openCacheMount(cacheRoot: string, scratchDir: string, m: RunMount, target: string): Promise<CacheMountDir> {
  const id = m.id ?? target;
  const dir = cacheDirOf(cacheRoot, id);
  const sharing = m.sharing ?? 'shared';
  if (sharing === 'shared') {
    const created = ensureDir(dir, m);
    return { dir, created, release: async () => undefined };
  }
  const lockPath = `${dir}.lock`;
  if (sharing === 'locked') {
    const leave = await withQueue(lockPath);
    const lock = await FileLock.open(lockPath).catch((e: unknown) => {
      leave();
      throw e;
    });
    try {
      await lock.lock('exclusive');
    } catch (e) {
      await lock.close();
      leave();
      throw e;
    }
    const created = ensureDir(dir, m);
    return { dir, created, release: once(async () => {
      lock.unlock();
      await lock.close();
      leave();
    }) };
  }
  // private: take it if free, else a fresh dir for this step only.
  const lock = await FileLock.open(lockPath);
  if (lock.tryLock('exclusive')) {
    const created = ensureDir(dir, m);
    return { dir, created, release: once(async () => {
      lock.unlock();
      await lock.close();
    }) };
  }
  await lock.close();
  const tmp = mkdtempSync(`${scratchDir}/cache-private-`);
  chownSync(tmp, m.uid ?? 0, m.gid ?? 0);
  chmodSync(tmp, m.mode ?? 0o755);
  return { dir: tmp, created: true, release: once(async () => rmSync(tmp, { recursive: true, force: true })) };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
