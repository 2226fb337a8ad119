// The persistent stat cache of one context directory, in two files under the state dir, each read only
// when first needed and replaced atomically (temp file, fsync, rename) so a crash leaves the old or the
// new file, never half of one:
//  - `context-<h>.stat`: per file, (dev, ino, size, mtime ns, ctime ns, mode) → sha256. A file whose stat
//    matches is never read again.
//  - `context-<h>.sets`: per source set (what one COPY reads), a signature of all its entries' paths and
//    stats → the set's digest (source-set.ts). An unchanged context answers a COPY's key with this one
//    lookup, without loading the per-file table at all (a no-op rebuild reads a few KB, not ~1 MB).
// Each file is "<sha256 hex of the body>\n<body>", the body one JSON array (the fastest thing to parse
// measured: a flat array of strings). A file whose sum, format or root does not match is ignored and
// rebuilt: the cache only ever saves work, it never decides content.
//
// Racy entries (git's "racily clean" problem): a file written twice within one timestamp tick keeps its
// mtime and ctime, so a hash taken between the two writes would later look valid. Entries are only
// recorded when both times are older than `racyWindowNs` before the hash started; younger files are
// simply hashed again next time, and a set with such a file is not remembered.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const STAT_FORMAT = 'tsbuild-context-stat-cache/4';
const SETS_FORMAT = 'tsbuild-context-sets/1';

/** Entries unused for this many days are dropped when the cache is saved (deleted files, old branches). */
const KEEP_DAYS = 30;
/** Source sets kept per context (each COPY of the context is one; branches and edits add more). */
const MAX_SETS = 256;

type FileRow = [statKey: string, sha256: string, day: number];
type SetRow = [digest: string, day: number];

/**
 * One lazily read table: a Map persisted as one flat JSON array [key, ...row, key, ...row], each row
 * `width` values long and ending with the day it was last used.
 */
class Table<Row extends [...unknown[], number]> {
  private rows: Map<string, Row> | undefined;
  dirty = false;

  constructor(private readonly file: string | undefined, private readonly format: string, private readonly root: string,
    private readonly rowAt: (flat: unknown[], at: number) => Row | undefined, private readonly width: number) {}

  get map(): Map<string, Row> {
    this.rows ??= this.read();
    return this.rows;
  }

  private read(): Map<string, Row> {
    const rows = new Map<string, Row>();
    const body = this.file === undefined ? undefined : readChecked(this.file);
    if (body === undefined) return rows;
    try {
      const doc = JSON.parse(body) as unknown;
      if (!Array.isArray(doc) || doc[0] !== this.format || doc[1] !== this.root || !Array.isArray(doc[2])) return rows;
      const flat = doc[2] as unknown[];
      for (let i = 0; i + this.width + 1 <= flat.length; i += this.width + 1) {
        const key = flat[i];
        const row = this.rowAt(flat, i + 1);
        if (typeof key === 'string' && row !== undefined) rows.set(key, row);
      }
    } catch {
      // A sum that matched over text that is not JSON: written by something else; start empty.
    }
    return rows;
  }

  /** Drops rows unused for KEEP_DAYS and the first (least recently used) beyond `max`, then writes the table if it changed. */
  save(today: number, max = Infinity): void {
    if (!this.dirty || this.file === undefined || this.rows === undefined) return;
    const flat: unknown[] = [];
    let excess = this.rows.size - max;
    for (const [key, row] of this.rows) {
      if (excess-- > 0 || today - (row[row.length - 1] as number) > KEEP_DAYS) {
        this.rows.delete(key);
        continue;
      }
      flat.push(key, ...row);
    }
    writeChecked(this.file, JSON.stringify([this.format, this.root, flat]));
    this.dirty = false;
  }
}

export class StatCache {
  private readonly today = Math.floor(Date.now() / 86_400_000);

  private readonly files: Table<FileRow>;

  private readonly sets: Table<SetRow>;

  private constructor(private readonly base: string | undefined, root: string) {
    this.files = new Table(base && `${base}.stat`, STAT_FORMAT, root, fileRowAt, 3);
    this.sets = new Table(base && `${base}.sets`, SETS_FORMAT, root, setRowAt, 2);
  }

  /**
   * The cache of context `root` in `stateDir` (none: an in-memory cache). Reads nothing yet: each table
   * is read on first use. A damaged file is ignored.
   */
  static open(stateDir: string | undefined, root: string): StatCache {
    const base = stateDir === undefined ? undefined : path.join(stateDir, `context-${createHash('sha256').update(root).digest('hex').slice(0, 32)}`);
    return new StatCache(base, root);
  }

  /** The recorded sha256 for `key` if `statKey` is exactly what was recorded with it. */
  lookup(key: string, statKey: string): string | undefined {
    const row = this.files.map.get(key);
    if (row === undefined || row[0] !== statKey) return undefined;
    if (row[2] !== this.today) {
      row[2] = this.today;
      this.files.dirty = true;
    }
    return row[1];
  }

  /**
   * Records a hash taken at `startedNs` (wall clock), unless the file is too young to trust. Returns
   * whether it was recorded (false: the next lookup will miss, and nothing built on it may be cached).
   */
  record(key: string, statKey: string, sha256: string, startedNs: bigint, racyWindowNs: bigint): boolean {
    const rows = this.files.map;
    const limit = startedNs - racyWindowNs;
    const [, , , mtimeNs, ctimeNs] = statKey.split(':');
    if (BigInt(mtimeNs ?? '0') >= limit || BigInt(ctimeNs ?? '0') >= limit) {
      if (rows.delete(key)) this.files.dirty = true;
      return false;
    }
    rows.set(key, [statKey, sha256, this.today]);
    this.files.dirty = true;
    return true;
  }

  /** The digest remembered for a source set with signature `sig` (see digest.ts setSignature). */
  knownSet(sig: string): string | undefined {
    const rows = this.sets.map;
    const row = rows.get(sig);
    if (row === undefined) return undefined;
    if (row[1] !== this.today) {
      // Most recently used last: the oldest sets are the ones dropped beyond MAX_SETS.
      rows.delete(sig);
      rows.set(sig, [row[0], this.today]);
      this.sets.dirty = true;
    }
    return row[0];
  }

  /** Remembers a set's digest; only for sets whose every file digest was recorded (none racy). */
  rememberSet(sig: string, digest: string): void {
    const rows = this.sets.map;
    rows.delete(sig);
    rows.set(sig, [digest, this.today]);
    this.sets.dirty = true;
  }

  /** Writes what changed. */
  save(): void {
    if (this.base !== undefined && (this.files.dirty || this.sets.dirty)) {
      fs.mkdirSync(path.dirname(this.base), { recursive: true, mode: 0o700 });
      // The format before this one, one JSON object: replaced by the two files.
      fs.rmSync(`${this.base}.json`, { force: true });
    }
    this.files.save(this.today);
    this.sets.save(this.today, MAX_SETS);
  }
}

function fileRowAt(flat: unknown[], i: number): FileRow | undefined {
  const statKey = flat[i];
  const sha256 = flat[i + 1];
  const day = flat[i + 2];
  if (typeof statKey !== 'string' || typeof sha256 !== 'string' || sha256.length !== 64 || typeof day !== 'number') return undefined;
  return [statKey, sha256, day];
}

function setRowAt(flat: unknown[], i: number): SetRow | undefined {
  const digest = flat[i];
  const day = flat[i + 1];
  if (typeof digest !== 'string' || digest.length !== 71 || !digest.startsWith('sha256:') || typeof day !== 'number') return undefined;
  return [digest, day];
}

/** The body of a "<sha256 hex>\n<body>" file, or undefined when it is missing or its sum does not match. */
function readChecked(file: string): string | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  if (bytes.length < 65 || bytes[64] !== 0x0a) return undefined;
  const body = bytes.subarray(65);
  if (createHash('sha256').update(body).digest('hex') !== bytes.toString('latin1', 0, 64)) return undefined;
  return body.toString('utf8');
}

function writeChecked(file: string, body: string): void {
  const bytes = Buffer.from(body, 'utf8');
  const sum = createHash('sha256').update(bytes).digest('hex');
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      // writeFileSync loops until everything is written (one writeSync may write less).
      fs.writeFileSync(fd, `${sum}\n`);
      fs.writeFileSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
