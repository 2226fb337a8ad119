// Snapshot dirs: each layer unpacked once under <root>/snapshots/<name>, usable as an overlay lowerdir.
//
// Naming: <name> is the first 8 hex digits of the diffID, plus "-<n>" (base 36) when that name is taken.
// Short names keep `lowerdir=` within one page for hundreds of layers when the runner chdirs into
// snapshots/ (9 bytes a layer: 127 layers ≈ 1.1 KiB, 400 ≈ 3.6 KiB). A truncated digest alone could be
// forced to collide (2^16 work for a birthday pair at 32 bits), so the name is never trusted as identity:
// the record layers/<diffID hex>/snapshot is the only mapping, and a dir is claimed by an atomic
// rename-without-replace, then published by writing that record (first writer wins; a loser discards its
// copy). A crash between the two leaves an unreferenced dir that gc may remove.
//
// Durability: a snapshot dir is never fsynced. A committed one is the step's overlay upper dir, mounted
// `volatile` (no sync at unmount); an unpacked one is written by the extractor without fsync. What is
// durable is the layer blob (fsynced, verified against the diffID) and the record, which says "unsynced
// under boot <id>" (/proc/sys/kernel/random/boot_id). A process crash loses nothing from the page cache,
// so under the same boot the dir is as complete as when it was recorded. Under another boot it may be
// torn (power loss, kernel crash), so find() treats it as absent: record and dir are dropped, and the
// next snapshot() unpacks the blob again. A record without the line (older stores) counts as on disk.
//
// Locking: the record and the dir of one layer change only under an exclusive flock on
// layers/<hex>/snapshot.lock (plus an in-process mutex, so one waiter per process sits on the thread
// pool). Readers take no lock: a record they read names a complete dir, or a missing one (forgotten
// then), or a stale one (handled under the lock). gc holds the store's exclusive gc lock instead, which
// excludes builds altogether.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { StoreError } from '../errors.js';
import { FileLock, Mutex } from '../lock/file-lock.js';
import { fsx } from '../native.js';
import { hexOf } from './digest.js';
import type { LayerRecords, SnapshotRecord } from './records.js';

export interface SnapshotDirs {
  tmpDir: string;
  snapshotsDir: string;
}

export const SNAPSHOT_NAME_HEX = 8;

const NAME = /^[0-9a-f]{8}(-[0-9a-z]+)?$/;

let cachedBootId: string | undefined;

/**
 * The kernel's boot id. Should /proc not say, 'unknown': no real boot id equals it, so what this
 * process writes is taken as on disk by nobody (this process included) and unpacked again when needed.
 */
export function currentBootId(): string {
  if (cachedBootId !== undefined) return cachedBootId;
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    cachedBootId = /^[0-9a-f-]{8,64}$/.test(id) ? id : 'unknown';
  } catch {
    cachedBootId = 'unknown';
  }
  return cachedBootId;
}

/**
 * Snapshots this process published ("<diffID> <name>"): complete as far as this process is concerned
 * even when the boot id is unknown (else every lookup would drop and unpack again a dir that a parallel
 * stage may already use as a lower).
 */
const publishedHere = new Set<string>();

/** Tests only: pretend the kernel reports `id` (undefined: read /proc again). */
export function overrideBootIdForTests(id: string | undefined): void {
  cachedBootId = id;
}

/** Whether the dir a record names can be trusted to be complete now. */
function trusted(diffID: string, rec: SnapshotRecord): boolean {
  if (rec.unsyncedBoot === undefined) return true;
  if (rec.unsyncedBoot === 'unknown') return publishedHere.has(`${diffID} ${rec.name}`);
  return rec.unsyncedBoot === currentBootId();
}

export class Snapshots {
  private readonly mutexes = new Map<string, Mutex>();

  constructor(
    private readonly dirs: SnapshotDirs,
    private readonly records: LayerRecords,
  ) {}

  /**
   * The snapshot dir of a layer if it is unpacked and can be trusted; a record left unsynced by
   * another boot, or naming a missing dir, is dropped (and the stale dir removed).
   */
  async find(diffID: string): Promise<string | undefined> {
    const rec = this.record(diffID);
    if (rec === undefined) return undefined;
    const dir = path.join(this.dirs.snapshotsDir, rec.name);
    // The common case, without a lock: a trusted record whose dir is there.
    if (trusted(diffID, rec) && existsSync(dir)) return dir;
    const trash: string[] = [];
    const found = await this.locked(diffID, () => this.findLocked(diffID, trash));
    await this.removeTrash(trash);
    return found;
  }

  /**
   * Makes `readyDir` (on the store's filesystem, written without fsync) the snapshot of `diffID`, or
   * discards it when the layer already has one. Returns the snapshot dir either way.
   */
  async adopt(diffID: string, readyDir: string): Promise<string> {
    const trash: string[] = [];
    const dir = await this.locked(diffID, () => {
      const existing = this.findLocked(diffID, trash);
      if (existing !== undefined) {
        trash.push(this.toTrash(readyDir));
        return existing;
      }
      const prefix = hexOf(diffID).slice(0, SNAPSHOT_NAME_HEX);
      let name = prefix;
      for (let n = 1; !fsx.renameNoReplace(readyDir, path.join(this.dirs.snapshotsDir, name)); n++) {
        name = `${prefix}-${n.toString(36)}`;
      }
      const ours = path.join(this.dirs.snapshotsDir, name);
      if (this.records.claimSnapshot(diffID, name, currentBootId())) {
        publishedHere.add(`${diffID} ${name}`);
        return ours;
      }
      // Only a writer that does not take the lock (an older tsbuild on the same store) gets here.
      trash.push(this.toTrash(ours));
      const theirs = this.findLocked(diffID, trash);
      if (theirs === undefined) {
        throw new StoreError('ECONFLICT', `the snapshot record of ${diffID} changed while it was claimed`, { details: { diffID } });
      }
      return theirs;
    });
    await this.removeTrash(trash);
    return dir;
  }

  /** Removes a dir we own: renamed into tmp/ first so a half-removed tree is never under snapshots/. */
  async discard(dir: string): Promise<void> {
    await this.removeTrash([this.toTrash(dir)]);
  }

  private record(diffID: string): SnapshotRecord | undefined {
    const rec = this.records.snapshotRecord(diffID);
    if (rec !== undefined && !NAME.test(rec.name)) {
      throw new StoreError('ECORRUPT', `bad snapshot record for ${diffID}: ${JSON.stringify(rec.name)}`, { details: { diffID } });
    }
    return rec;
  }

  /** find() under the layer's lock: drops what cannot be used, moving stale dirs to `trash`. */
  private findLocked(diffID: string, trash: string[]): string | undefined {
    const rec = this.record(diffID);
    if (rec === undefined) return undefined;
    const dir = path.join(this.dirs.snapshotsDir, rec.name);
    const present = existsSync(dir);
    if (trusted(diffID, rec) && present) return dir;
    // Written unsynced under another boot: it may be torn. Or removed behind our back (gc removes the
    // record first, so that is a crash or a manual rm). Either way forget it; the caller unpacks again.
    if (present) trash.push(this.toTrash(dir));
    this.records.forgetSnapshot(diffID);
    return undefined;
  }

  private toTrash(dir: string): string {
    const trash = path.join(this.dirs.tmpDir, `trash-${randomBytes(8).toString('hex')}`);
    renameSync(dir, trash);
    return trash;
  }

  private async removeTrash(trash: string[]): Promise<void> {
    for (const t of trash) await rm(t, { recursive: true, force: true });
  }

  /** Runs `fn` holding the layer's snapshot lock (one waiter per process; flock across processes). */
  private async locked<T>(diffID: string, fn: () => T): Promise<T> {
    let mutex = this.mutexes.get(diffID);
    if (mutex === undefined) this.mutexes.set(diffID, (mutex = new Mutex()));
    return mutex.run(async () => {
      const dir = this.records.dirOf(diffID);
      mkdirSync(dir, { recursive: true });
      const lock = await FileLock.open(path.join(dir, 'snapshot.lock'));
      try {
        await lock.lock('exclusive');
        return fn();
      } finally {
        await lock.close();
      }
    });
  }
}
