// Liveness and leases of the processes using a store.
//
// Each open store registers as <root>/locks/procs/<id>.lock, held LOCK_EX for its whole life,
// and owns <root>/tmp/<id>/ (ingest files, work areas, the layer code's temp files). Because the
// kernel drops a flock when its holder dies, "can I lock <id>.lock?" is an exact test for "is
// <id> dead?", with no pid reuse problem: recovery removes only dead processes' leftovers.
//
// <id>.lease lists, one per line, the digests the process put or resolved. While the process
// lives they are GC roots, so prune never removes a blob that a running build has written but
// not yet tagged. Entries are appended before a blob becomes visible (see BlobStore.put).
import { appendFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { removeTree } from '../remove-tree.js';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FileLock } from './file-lock.js';
import type { Digest } from '../types.js';

const ID_RE = /^[0-9]+-[0-9a-f]{8}$/;

export class ProcessLease {
  private readonly leased = new Set<Digest>();

  private constructor(
    readonly id: string,
    readonly tmpDir: string,
    private readonly lock: FileLock,
    private readonly lockPath: string,
    private readonly leasePath: string,
  ) {}

  /** Registers this process: lock file first, then its tmp dir (recovery relies on that order). */
  static async create(root: string): Promise<ProcessLease> {
    const id = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const procs = join(root, 'locks', 'procs');
    // Lock under a private name, then rename into place: a prober must never find an unlocked
    // lock file of a live process (it would take it for dead and remove its tmp dir).
    const fresh = join(procs, `.${id}.new`);
    const lock = await FileLock.open(fresh);
    try {
      if (!lock.tryLock('exclusive')) throw new Error(`fresh lock file ${fresh} is held elsewhere`);
      await rename(fresh, join(procs, `${id}.lock`));
    } catch (e) {
      await lock.close();
      throw e;
    }
    const tmpDir = join(root, 'tmp', id);
    await mkdir(tmpDir, { mode: 0o700 });
    return new ProcessLease(id, tmpDir, lock, join(procs, `${id}.lock`), join(procs, `${id}.lease`));
  }

  /** Makes digests GC roots for as long as this process lives. */
  async add(digests: Iterable<Digest>): Promise<void> {
    const fresh = [...digests].filter((d) => !this.leased.has(d));
    if (fresh.length === 0) return;
    for (const d of fresh) this.leased.add(d);
    // Synchronous: one small append, cheaper than three thread-pool round trips (a cached step leases
    // its layer, and a 40-step rebuild does that 40 times).
    appendFileSync(this.leasePath, fresh.map((d) => `${d}\n`).join(''), { mode: 0o600 });
  }

  has(d: Digest): boolean {
    return this.leased.has(d);
  }

  /** Unregisters: removes the tmp dir and lease, then drops the lock. */
  async close(): Promise<void> {
    await removeTree(this.tmpDir);
    await unlink(this.leasePath).catch(() => undefined);
    await unlink(this.lockPath).catch(() => undefined);
    await this.lock.close();
  }
}

/** Is the process that registered `id` still alive? (Its lock file is locked.) */
async function probeAlive(procs: string, id: string): Promise<{ alive: boolean; lock?: FileLock }> {
  let lock: FileLock;
  try {
    lock = await FileLock.openExisting(join(procs, `${id}.lock`));
  } catch {
    return { alive: false };
  }
  if (lock.tryLock('exclusive')) return { alive: false, lock };
  await lock.close();
  return { alive: true };
}

/** Removes the tmp dirs, leases and lock files of dead processes; returns the ids cleaned. */
export async function recoverDeadProcesses(root: string): Promise<string[]> {
  const procs = join(root, 'locks', 'procs');
  const tmp = join(root, 'tmp');
  const ids = new Set<string>();
  for (const name of await readdir(tmp).catch(() => [] as string[])) if (ID_RE.test(name)) ids.add(name);
  for (const name of await readdir(procs).catch(() => [] as string[])) {
    const m = /^(.*)\.(lock|lease)$/.exec(name);
    if (m && ID_RE.test(m[1]!)) ids.add(m[1]!);
  }
  for (const name of await readdir(procs).catch(() => [] as string[])) {
    // A process killed between creating and renaming its lock file leaves ".<id>.new".
    if (!/^\.[0-9]+-[0-9a-f]{8}\.new$/.test(name)) continue;
    // It is locked only a moment after it is created, so only old unlocked ones are stale.
    const st = await stat(join(procs, name)).catch(() => undefined);
    if (!st || Date.now() - st.mtimeMs < 60_000) continue;
    const stale = await FileLock.openExisting(join(procs, name)).catch(() => undefined);
    if (stale?.tryLock('exclusive')) await unlink(join(procs, name)).catch(() => undefined);
    await stale?.close();
  }
  const cleaned: string[] = [];
  for (const id of ids) {
    const { alive, lock } = await probeAlive(procs, id);
    if (alive) continue;
    try {
      // Order matters: the tmp dir goes first, the lock file last, so a concurrent recoverer
      // either sees the lock held (skips) or finds nothing left to do.
      // A dir that keeps a mount (EBUSY) stays, and so does its lock file: verify reports it.
      try {
        await removeTree(join(tmp, id));
      } catch {
        continue;
      }
      await unlink(join(procs, `${id}.lease`)).catch(() => undefined);
      await unlink(join(procs, `${id}.lock`)).catch(() => undefined);
      cleaned.push(id);
    } finally {
      await lock?.close();
    }
  }
  return cleaned;
}

/** Digests leased by live processes (GC roots). Call under the exclusive gc lock. */
export async function readLiveLeases(root: string): Promise<Set<Digest>> {
  const procs = join(root, 'locks', 'procs');
  const out = new Set<Digest>();
  for (const name of await readdir(procs).catch(() => [] as string[])) {
    const m = /^(.*)\.lease$/.exec(name);
    if (!m || !ID_RE.test(m[1]!)) continue;
    const { alive, lock } = await probeAlive(procs, m[1]!);
    await lock?.close();
    if (!alive) continue;
    const text = await readFile(join(procs, name), 'utf8').catch(() => '');
    for (const line of text.split('\n')) if (line) out.add(line);
  }
  return out;
}

/** Is `name` (an entry of tmp/) owned by a live process? */
export async function isLiveTmpEntry(root: string, name: string): Promise<boolean> {
  if (!ID_RE.test(name)) return false;
  const { alive, lock } = await probeAlive(join(root, 'locks', 'procs'), name);
  await lock?.close();
  return alive;
}
