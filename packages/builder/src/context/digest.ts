// Content digests for cache keys: what a COPY produces depends on each entry's destination path,
// type, permission bits, size, content and symlink target, so that is what is hashed, in a canonical
// order. Never mtimes (a touched file must still hit the cache), never uid/gid (COPY sets ownership
// itself), never host paths (two checkouts of a project share a cache).
import { createHash } from 'node:crypto';
import type { FileHasher } from './hash.js';
import { sha256Hex } from './hash.js';
import type { StatCache } from './stat-cache.js';
import type { ContextEntry, EntryDigest } from './types.js';
import { compareNames } from './walk.js';

const DIR_DIGEST = sha256Hex('tsbuild-context-dir');
const EMPTY_DIGEST = sha256Hex('');

export interface DigestEnv {
  hasher: FileHasher;
  cache: StatCache;
  /** Wall clock in ns, for the stat cache's racy-entry rule. */
  now: () => bigint;
  racyWindowNs: bigint;
}

/** sha256 (hex) of one entry's content: read only when the stat cache cannot vouch for it. */
export function contentDigest(env: DigestEnv, entry: ContextEntry): string {
  if (entry.type === 'dir') return DIR_DIGEST;
  if (entry.type === 'symlink') return sha256Hex(entry.linkTarget ?? '');
  const key = entry.pathBytes === undefined ? entry.path : `\0${entry.pathBytes.toString('base64')}`;
  const cached = env.cache.lookup(key, entry.statKey);
  if (cached !== undefined) return cached;
  // An empty regular file needs no read (its lstat said so; the copier reads what is there then).
  if (entry.size === 0) return EMPTY_DIGEST;
  const started = env.now();
  const hex = env.hasher.hashFile(entry.host, entry.path, entry.statKey);
  env.cache.record(key, entry.statKey, hex, started, env.racyWindowNs);
  return hex;
}

/** Per-entry digests in the shape copy/cache-inputs.ts keys on. */
export function entryDigests(env: DigestEnv, entries: readonly ContextEntry[]): EntryDigest[] {
  return entries.map((e) => ({ path: e.path, digest: `sha256:${contentDigest(env, e)}`, mode: e.mode }));
}

/** One digest over all entries, in (source, rel) order: "sha256:<hex>". */
export function digestEntries(env: DigestEnv, entries: readonly ContextEntry[]): string {
  const sorted = [...entries].sort((a, b) => a.source - b.source || compareNames(a.rel, b.rel) || compareNames(a.path, b.path));
  const hash = createHash('sha256');
  hash.update('tsbuild-context-digest/1\n');
  for (const e of sorted) {
    const rel = e.pathBytes === undefined ? e.rel : relBytesOf(e);
    hash.update(`${e.source}\0`);
    hash.update(rel);
    hash.update(`\0${e.type}\0${e.mode.toString(8)}\0${e.type === 'file' ? e.size : 0}\0${contentDigest(env, e)}\n`);
  }
  return `sha256:${hash.digest('hex')}`;
}

/** The raw bytes of `rel` for a path that is not UTF-8: the tail of pathBytes with rel's component count. */
function relBytesOf(e: ContextEntry): Buffer {
  const bytes = e.pathBytes!;
  const components = e.rel === '' ? 0 : e.rel.split('/').length;
  if (components === 0) return Buffer.alloc(0);
  let cut = bytes.length;
  for (let seen = 0; cut > 0; cut--) {
    if (bytes[cut - 1] === 0x2f && ++seen === components) break;
  }
  return bytes.subarray(cut);
}
