// Snapshot dirs: each layer unpacked once under <root>/snapshots/<name>, usable as an overlay lowerdir.
//
// Naming: <name> is the first 8 hex digits of the diffID, plus "-<n>" (base 36) when that name is taken.
// Short names keep `lowerdir=` within one page for hundreds of layers when the runner chdirs into
// snapshots/ (9 bytes a layer: 127 layers ≈ 1.1 KiB, 400 ≈ 3.6 KiB). A truncated digest alone could be
// forced to collide (2^16 work for a birthday pair at 32 bits), so the name is never trusted as identity:
// the record layers/<diffID hex>/snapshot is the only mapping, and a dir is claimed by an atomic
// rename-without-replace, then published by writing that record (first writer wins; a loser discards its
// copy). A crash between the two leaves an unreferenced dir that gc may remove.
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { StoreError } from '../errors.js';
import { fsx } from '../native.js';
import { hexOf } from './digest.js';
import type { LayerRecords } from './records.js';

export interface SnapshotDirs {
  tmpDir: string;
  snapshotsDir: string;
}

export const SNAPSHOT_NAME_HEX = 8;

export class Snapshots {
  constructor(
    private readonly dirs: SnapshotDirs,
    private readonly records: LayerRecords,
  ) {}

  /** The snapshot dir of a layer if it is already unpacked. */
  find(diffID: string): string | undefined {
    const name = this.records.snapshotName(diffID);
    if (name === undefined) return undefined;
    if (!/^[0-9a-f]{8}(-[0-9a-z]+)?$/.test(name)) {
      throw new StoreError('ECORRUPT', `bad snapshot record for ${diffID}: ${JSON.stringify(name)}`, { details: { diffID } });
    }
    const dir = path.join(this.dirs.snapshotsDir, name);
    if (!existsSync(dir)) {
      // Removed behind our back (gc removes the record first, so this is a crash or a manual rm):
      // forget it and let the caller unpack again.
      this.records.forgetSnapshot(diffID);
      return undefined;
    }
    return dir;
  }

  /**
   * Makes `readyDir` (on the store's filesystem) the snapshot of `diffID`, or discards it when the layer
   * already has one. Returns the snapshot dir either way.
   */
  async adopt(diffID: string, readyDir: string): Promise<string> {
    const existing = this.find(diffID);
    if (existing !== undefined) {
      await this.discard(readyDir);
      return existing;
    }
    const prefix = hexOf(diffID).slice(0, SNAPSHOT_NAME_HEX);
    let name = prefix;
    for (let n = 1; !fsx.renameNoReplace(readyDir, path.join(this.dirs.snapshotsDir, name)); n++) {
      name = `${prefix}-${n.toString(36)}`;
    }
    if (this.records.claimSnapshot(diffID, name)) return path.join(this.dirs.snapshotsDir, name);
    // Another writer published first: ours is a duplicate of the same layer.
    await this.discard(path.join(this.dirs.snapshotsDir, name));
    return this.find(diffID) as string;
  }

  /** Removes a dir we own: renamed into tmp/ first so a half-removed tree is never under snapshots/. */
  async discard(dir: string): Promise<void> {
    const trash = path.join(this.dirs.tmpDir, `trash-${randomBytes(8).toString('hex')}`);
    renameSync(dir, trash);
    await rm(trash, { recursive: true, force: true });
  }
}
