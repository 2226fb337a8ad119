// The persistent stat cache: (dev, ino, size, mtime ns, ctime ns, mode) → sha256, one JSON file per
// context directory under the state dir, replaced atomically (temp file, fsync, rename) so a crash
// leaves the old or the new file, never half of one. A file whose stat matches is never read again.
//
// Racy entries (git's "racily clean" problem): a file written twice within one timestamp tick keeps its
// mtime and ctime, so a hash taken between the two writes would later look valid. Entries are only
// recorded when both times are older than `racyWindowNs` before the hash started; younger files are
// simply hashed again next time.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const FORMAT = 'tsbuild-context-stat-cache/3';

/** [statKey "dev:ino:size:mtimeNs:ctimeNs:mode", sha256 hex, day last used]. */
type Row = [string, string, number];

/** Entries unused for this many days are dropped when the cache is saved (deleted files, old branches). */
const KEEP_DAYS = 30;

interface CacheFile {
  format: string;
  root: string;
  entries: Record<string, Row>;
}

export class StatCache {
  private dirty = false;

  private readonly today = Math.floor(Date.now() / 86_400_000);

  private constructor(private readonly file: string | undefined, private readonly root: string,
    private readonly entries: Map<string, Row>) {}

  /** Loads the cache of context `root` from `stateDir` (none → an in-memory cache). A damaged file is ignored. */
  static load(stateDir: string | undefined, root: string): StatCache {
    if (stateDir === undefined) return new StatCache(undefined, root, new Map());
    const file = path.join(stateDir, `context-${createHash('sha256').update(root).digest('hex').slice(0, 32)}.json`);
    const entries = new Map<string, Row>();
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<CacheFile>;
      if (parsed.format === FORMAT && parsed.root === root && typeof parsed.entries === 'object' && parsed.entries !== null) {
        for (const [key, row] of Object.entries(parsed.entries)) if (isRow(row)) entries.set(key, row);
      }
    } catch {
      // Missing or unreadable: start empty. The cache only ever saves work; it never decides content.
    }
    return new StatCache(file, root, entries);
  }

  /** The recorded sha256 for `key` if `stat` is exactly what was recorded with it. */
  lookup(key: string, statKey: string): string | undefined {
    const row = this.entries.get(key);
    if (row === undefined || row[0] !== statKey) return undefined;
    if (row[2] !== this.today) {
      row[2] = this.today;
      this.dirty = true;
    }
    return row[1];
  }

  /** Records a hash taken at `startedNs` (wall clock), unless the file is too young to trust. */
  record(key: string, statKey: string, sha256: string, startedNs: bigint, racyWindowNs: bigint): void {
    const limit = startedNs - racyWindowNs;
    const [, , , mtimeNs, ctimeNs] = statKey.split(':');
    if (BigInt(mtimeNs ?? '0') >= limit || BigInt(ctimeNs ?? '0') >= limit) {
      if (this.entries.delete(key)) this.dirty = true;
      return;
    }
    this.entries.set(key, [statKey, sha256, this.today]);
    this.dirty = true;
  }

  /** Writes the cache if it changed: temp file in the same directory, fsync, rename. */
  save(): void {
    if (!this.dirty || this.file === undefined) return;
    for (const [key, row] of this.entries) if (this.today - row[2] > KEEP_DAYS) this.entries.delete(key);
    const body: CacheFile = { format: FORMAT, root: this.root, entries: Object.fromEntries(this.entries) };
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const fd = fs.openSync(tmp, 'wx', 0o600);
      try {
        fs.writeFileSync(fd, JSON.stringify(body));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
      this.dirty = false;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
}

function isRow(row: unknown): row is Row {
  return Array.isArray(row) && row.length === 3 && typeof row[0] === 'string' && /^\d+(:\d+){5}$/.test(row[0]) &&
    typeof row[1] === 'string' && /^[0-9a-f]{64}$/.test(row[1]) && typeof row[2] === 'number';
}
