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
import type { BigIntStats } from 'node:fs';

const FORMAT = 'tsbuild-context-stat-cache/2';

/** [dev, ino, size, mtimeNs, ctimeNs, mode, sha256 hex, day last used]; bigints as decimal strings. */
type Row = [string, string, string, string, string, number, string, number];

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
  lookup(key: string, stat: BigIntStats): string | undefined {
    const row = this.entries.get(key);
    if (row === undefined) return undefined;
    // Cheapest fields first: a changed file nearly always differs in mtime or size.
    const same = row[3] === String(stat.mtimeNs) && row[2] === String(stat.size) && row[4] === String(stat.ctimeNs) &&
      row[1] === String(stat.ino) && row[0] === String(stat.dev) && row[5] === Number(stat.mode);
    if (!same) return undefined;
    if (row[7] !== this.today) {
      row[7] = this.today;
      this.dirty = true;
    }
    return row[6];
  }

  /** Records a hash taken at `startedNs` (wall clock), unless the file is too young to trust. */
  record(key: string, stat: BigIntStats, sha256: string, startedNs: bigint, racyWindowNs: bigint): void {
    const limit = startedNs - racyWindowNs;
    if (stat.mtimeNs >= limit || stat.ctimeNs >= limit) {
      if (this.entries.delete(key)) this.dirty = true;
      return;
    }
    this.entries.set(key, rowOf(stat, sha256, this.today));
    this.dirty = true;
  }

  /** Writes the cache if it changed: temp file in the same directory, fsync, rename. */
  save(): void {
    if (!this.dirty || this.file === undefined) return;
    for (const [key, row] of this.entries) if (this.today - row[7] > KEEP_DAYS) this.entries.delete(key);
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

function rowOf(stat: BigIntStats, sha256: string, day: number): Row {
  return [String(stat.dev), String(stat.ino), String(stat.size), String(stat.mtimeNs), String(stat.ctimeNs), Number(stat.mode), sha256, day];
}

function isRow(row: unknown): row is Row {
  return Array.isArray(row) && row.length === 8 &&
    row.every((v, i) => (i === 5 || i === 7 ? typeof v === 'number' : typeof v === 'string')) &&
    /^[0-9a-f]{64}$/.test(row[6] as string);
}
