// Build-cache records: cache/<sha256(key)>.json = {key, refs, value}. The file name is a hash of
// the key, so no key can become a path. Writes are temp → fsync → rename → fsync-dir; a reader
// sees the old record or the new one, never a torn one. `get` refreshes the file's mtime (prune
// can drop records unused for a while) and leases the refs so a running build keeps what it reuses.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, utimesSync } from 'node:fs';
import { open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../errors.js';
import { validateDigest } from '../blobs/digest.js';
import { fsyncDir } from '../blobs/fsync-dir.js';
import { LIMITS, isObject, parseJSON } from '../json.js';
import type { CacheRecord, CacheRecords, Digest } from '../types.js';

/** A record's mtime is refreshed on a hit only when older than this (prune counts unused days). */
const TOUCH_AFTER_MS = 60 * 60 * 1000;

export interface CacheDeps {
  dir: string;
  tmpDir: string;
  lease: (digests: Digest[]) => Promise<void>;
  guard: <T>(fn: () => Promise<T>) => Promise<T>;
}

interface StoredRecord extends CacheRecord {
  key: string;
}

export interface CacheEntryInfo {
  file: string;
  key: string;
  refs: Digest[];
  lastUsed: Date;
  size: number;
}

export class StoreCacheRecords implements CacheRecords {
  constructor(private readonly deps: CacheDeps) {}

  private fileOf(key: string): string {
    return join(this.deps.dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  }

  async get(key: string): Promise<CacheRecord | undefined> {
    return this.deps.guard(async () => {
      const file = this.fileOf(key);
      // Synchronous reads: a cached step is a few small-file operations, and a rebuild does them for
      // every step; thread-pool round trips cost more than the reads themselves.
      const found = readRecordSync(file);
      if (!found || found.record.key !== key) return undefined;
      await this.deps.lease(found.record.refs);
      // The mtime says when the record was last used (prune); refreshing it is a metadata write,
      // so only when it is older than TOUCH_AFTER_MS.
      const now = Date.now();
      if (now - found.mtimeMs > TOUCH_AFTER_MS) {
        try {
          utimesSync(file, now / 1000, now / 1000);
        } catch {
          // a read-only store still serves hits
        }
      }
      return { refs: found.record.refs, value: found.record.value };
    });
  }

  async put(key: string, record: CacheRecord): Promise<void> {
    for (const r of record.refs) {
      if (!validateDigest(r)) throw new StoreError('EINVALIDDIGEST', `cache record ref ${JSON.stringify(String(r).slice(0, 80))} is not a digest`);
    }
    const body = JSON.stringify({ key, refs: [...new Set(record.refs)].sort(), value: record.value } satisfies StoredRecord);
    await this.deps.guard(async () => {
      await this.deps.lease(record.refs);
      const tmp = join(this.deps.tmpDir, `cache-${randomBytes(6).toString('hex')}.json`);
      try {
        const fh = await open(tmp, 'wx', 0o600);
        try {
          await fh.writeFile(body);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, this.fileOf(key));
        await fsyncDir(this.deps.dir);
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
    });
  }

  async delete(key: string): Promise<void> {
    await unlink(this.fileOf(key)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  /** Every record with its last use (for prune and `tsbuild cache ls`). Unreadable files are skipped. */
  async entries(): Promise<CacheEntryInfo[]> {
    const out: CacheEntryInfo[] = [];
    for (const name of (await readdir(this.deps.dir).catch(() => [] as string[])).sort()) {
      if (!/^[0-9a-f]{64}\.json$/.test(name)) continue;
      const file = join(this.deps.dir, name);
      const rec = await readRecord(file).catch(() => undefined);
      const st = await stat(file).catch(() => undefined);
      if (rec && st) out.push({ file, key: rec.key, refs: rec.refs, lastUsed: st.mtime, size: st.size });
    }
    return out;
  }
}

/** A record and its file's mtime (last use), or undefined when there is none. */
function readRecordSync(file: string): { record: StoredRecord; mtimeMs: number } | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const { mtimeMs } = fstatSync(fd);
    return { record: checkRecord(readFileSync(fd), file), mtimeMs };
  } finally {
    closeSync(fd);
  }
}

async function readRecord(file: string): Promise<StoredRecord | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return checkRecord(bytes, file);
}

function checkRecord(bytes: Buffer, file: string): StoredRecord {
  const doc = parseJSON<unknown>(bytes, LIMITS.config, `cache record ${file}`);
  if (!isObject(doc) || typeof doc.key !== 'string' || !Array.isArray(doc.refs) || !doc.refs.every(validateDigest)) {
    throw new StoreError('EBADRECORD', `cache record ${file} is malformed`, { details: { file } });
  }
  return doc as unknown as StoredRecord;
}
