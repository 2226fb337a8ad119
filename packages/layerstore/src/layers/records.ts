// Layer records under <root>/layers/<diffID hex>/ (metaDir). Each is a small file published atomically
// (temp file in tmp/, fsync, rename, fsync dir), so a reader sees a whole record or none:
//   layer.json      the LayerRef as first stored: {diffID, blob} (blob = how the layer was stored)
//   <c>.json        the Descriptor of the blob in compression c ('none' | 'gzip' | 'zstd')
//   snapshot        the short name of the unpacked snapshot dir under snapshots/, then (since snapshots
//                   are written without fsync) a line "unsynced <boot id>": the kernel boot under which
//                   that dir may still be only in the page cache. A record without it (older stores) is
//                   taken as on disk.
//   snapshot.lock   flock(2) file: changes to the snapshot record and its dir happen under it
// The first writer of layer.json/snapshot wins (rename without replace); <c>.json is idempotent.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Compression, Descriptor, LayerRef } from '../types.js';
import { StoreError } from '../errors.js';
import { fsx } from '../native.js';
import { hexOf } from './digest.js';

export interface RecordDirs {
  tmpDir: string;
  metaDir: string;
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** What the `snapshot` record says. */
export interface SnapshotRecord {
  /** The dir's name under snapshots/. */
  name: string;
  /** The boot id under which the dir was written without fsync; undefined: on disk. */
  unsyncedBoot?: string;
}

export class LayerRecords {
  constructor(private readonly dirs: RecordDirs) {}

  dirOf(diffID: string): string {
    return path.join(this.dirs.metaDir, hexOf(diffID));
  }

  /** Writes `data` to `<layer dir>/<name>`; returns false when `replace` is off and it existed. */
  private publish(diffID: string, name: string, data: string, replace: boolean): boolean {
    const dir = this.dirOf(diffID);
    mkdirSync(dir, { recursive: true });
    const tmp = path.join(this.dirs.tmpDir, `record-${randomBytes(8).toString('hex')}`);
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    let renamed = false;
    try {
      if (replace) {
        renameSync(tmp, path.join(dir, name));
        renamed = true;
      } else {
        renamed = fsx.renameNoReplace(tmp, path.join(dir, name));
      }
    } finally {
      if (!renamed) rmSync(tmp, { force: true });
    }
    fsyncDir(dir);
    return renamed;
  }

  private read(diffID: string, name: string): string | undefined {
    try {
      return readFileSync(path.join(this.dirOf(diffID), name), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Records how a layer is stored (first writer wins) and its blob as a compression variant. */
  recordLayer(ref: LayerRef, compression: Compression): void {
    this.recordVariant(ref.diffID, compression, ref.blob);
    this.publish(ref.diffID, 'layer.json', JSON.stringify({ diffID: ref.diffID, blob: ref.blob }), false);
  }

  layer(diffID: string): LayerRef | undefined {
    const s = this.read(diffID, 'layer.json');
    return s === undefined ? undefined : (JSON.parse(s) as LayerRef);
  }

  recordVariant(diffID: string, compression: Compression, blob: Descriptor): void {
    this.publish(diffID, `${compression}.json`, JSON.stringify(blob), true);
  }

  variant(diffID: string, compression: Compression): Descriptor | undefined {
    const s = this.read(diffID, `${compression}.json`);
    return s === undefined ? undefined : (JSON.parse(s) as Descriptor);
  }

  /**
   * Claims `name` as the layer's snapshot, written without fsync under boot `unsyncedBoot`; false when
   * another writer recorded one first.
   */
  claimSnapshot(diffID: string, name: string, unsyncedBoot: string): boolean {
    return this.publish(diffID, 'snapshot', `${name}\nunsynced ${unsyncedBoot}\n`, false);
  }

  /** Drops the snapshot record (its dir is gone); the next snapshot() unpacks and claims again. */
  forgetSnapshot(diffID: string): void {
    rmSync(path.join(this.dirOf(diffID), 'snapshot'), { force: true });
  }

  snapshotRecord(diffID: string): SnapshotRecord | undefined {
    const text = this.read(diffID, 'snapshot');
    if (text === undefined) return undefined;
    const [first, ...rest] = text.split('\n');
    const rec: SnapshotRecord = { name: first.trim() };
    for (const line of rest) {
      const m = /^unsynced (\S+)$/.exec(line.trim());
      if (m) rec.unsyncedBoot = m[1];
      else if (line.trim() !== '') {
        throw new StoreError('ECORRUPT', `bad snapshot record for ${diffID}: ${JSON.stringify(text)}`, { details: { diffID } });
      }
    }
    return rec;
  }
}
