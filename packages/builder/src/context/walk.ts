// Walks a source directory (the context's, or a rootfs's for COPY --from wildcards) without recursion
// (a 20,000-deep tree must not overflow the stack), with synchronous readdir + lstat (the fastest way
// measured), in sorted order. Symlinks are entries, never followed. Excluded paths are skipped; an
// excluded directory is only entered when a `!` line could re-include something below it, and then
// kept only if something below it was kept (as BuildKit sends the parents of included files). FIFOs,
// sockets and devices are reported, never opened.
import type { BigIntStats } from 'node:fs';
import { unreadable } from './codes.js';
import type { ContextFs, HostPath } from './fs-port.js';
import type { ExclusionRules, IgnoreRules } from './ignore-rules.js';
import { compareNames } from '@tsbuild/layerstore';

export type WalkType = 'file' | 'dir' | 'symlink' | 'special';

export interface WalkEntry {
  /** Context-relative path ('/'-separated; lossy when a name is not UTF-8, see pathBytes). */
  path: string;
  /** Path relative to the walk's base. */
  rel: string;
  host: HostPath;
  /** Raw bytes of `path`, only when some component is not valid UTF-8. */
  pathBytes?: Buffer;
  info: EntryInfo;
  type: WalkType;
}

/**
 * What the context keeps of an lstat. The BigIntStats object itself (with four Date objects in
 * Node 20) is dropped at once: a 10^6-file context must not hold 10^6 of them.
 */
export interface EntryInfo {
  /** Full st_mode. */
  mode: number;
  size: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  /** "dev:ino:size:mtimeNs:ctimeNs:mode": identity and change signature, the stat cache's key. */
  statKey: string;
}

export function infoOf(stat: BigIntStats): EntryInfo {
  return {
    mode: Number(stat.mode),
    size: Number(stat.size),
    uid: Number(stat.uid),
    gid: Number(stat.gid),
    mtimeMs: Number(stat.mtimeMs),
    statKey: `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.mode}`,
  };
}

/** The part of a statKey that must not change while a file is read: "dev:ino:size:mtimeNs:". */
export function identityPrefix(stat: BigIntStats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:`;
}

export interface WalkOptions {
  fs: ContextFs;
  /** The context's rules, applied to context paths. */
  ignore: IgnoreRules;
  /** COPY --exclude rules, applied to paths relative to the base. */
  exclude?: ExclusionRules;
  /** How messages name the root (default "the build context"). */
  where?: string;
  /**
   * Called for each kept entry; return false to not descend into a directory (wildcard matching
   * uses it to stop at a match and to prune below the pattern's depth).
   */
  visit?: (entry: WalkEntry, depth: number) => boolean;
}

export function typeOf(stat: BigIntStats): WalkType {
  if (stat.isFile()) return 'file';
  if (stat.isDirectory()) return 'dir';
  if (stat.isSymbolicLink()) return 'symlink';
  return 'special';
}

/** Code-point order, which is UTF-8 byte order (Go sorts names that way); one definition, in layerstore. */
export { compareNames } from '@tsbuild/layerstore';

interface DirFrame {
  path: string;
  host: HostPath;
  rel: string;
  pathBytes: Buffer | undefined;
  depth: number;
}

/**
 * The entries below `base` (not `base` itself), depth-first pre-order with sorted siblings. Excluded
 * directories that were only entered for a possible exception and kept nothing are dropped at the end.
 */
export function walkBelow(baseRel: string, baseHost: HostPath, opts: WalkOptions): WalkEntry[] {
  const out: WalkEntry[] = [];
  const provisional = new Set<WalkEntry>();
  const base: DirFrame = { path: baseRel, host: baseHost, rel: '', pathBytes: undefined, depth: 0 };
  const stack = listDir(base, opts).reverse();
  while (stack.length > 0) {
    const child = stack.pop()!;
    let stat: BigIntStats | undefined;
    try {
      stat = opts.fs.lstat(child.host);
    } catch (err) {
      throw unreadable(child.path, err, opts.where);
    }
    if (stat === undefined) continue; // removed while we walked
    const type = typeOf(stat);
    const isDir = type === 'dir';
    const excluded = opts.ignore.excludedBy(child.path, isDir) !== undefined ||
      (opts.exclude?.excludedBy(child.rel, isDir) !== undefined);
    const mayHoldExceptions = isDir && (opts.ignore.hasExceptions() || (opts.exclude?.hasExceptions() ?? false));
    if (excluded && !mayHoldExceptions) continue;
    const entry: WalkEntry = { path: child.path, rel: child.rel, host: child.host, info: infoOf(stat), type };
    if (child.pathBytes !== undefined) entry.pathBytes = child.pathBytes;
    out.push(entry);
    if (excluded) provisional.add(entry);
    const descend = opts.visit === undefined || excluded ? true : opts.visit(entry, child.depth);
    if (isDir && descend) {
      const children = listDir(child, opts);
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    }
  }
  return provisional.size === 0 ? out : dropEmptyProvisional(out, provisional);
}

/** Keeps a provisional directory only when the next kept entry (depth-first order) lies below it. */
function dropEmptyProvisional(entries: WalkEntry[], provisional: Set<WalkEntry>): WalkEntry[] {
  const kept: WalkEntry[] = [];
  let next: WalkEntry | undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (provisional.has(e) && (next === undefined || !next.path.startsWith(`${e.path}/`))) continue;
    kept.push(e);
    next = e;
  }
  return kept.reverse();
}

function listDir(dir: DirFrame, { fs, where }: WalkOptions): DirFrame[] {
  let names: string[];
  let raw: Buffer[] | undefined;
  try {
    names = fs.readdir(dir.host);
    // A name that is not UTF-8 decodes with U+FFFD and could not be opened by that string: take the raw
    // bytes (and their decoding, from the same read, so names and bytes pair up).
    if (names.some((n) => n.includes('\uFFFD'))) {
      raw = fs.readdirRaw(dir.host);
      names = raw.map((b) => b.toString('utf8'));
    }
  } catch (err) {
    throw unreadable(dir.path, err, where);
  }
  const frames = names.map((name, i): DirFrame => {
    const path = dir.path === '' ? name : `${dir.path}/${name}`;
    const rel = dir.rel === '' ? name : `${dir.rel}/${name}`;
    const bytes = raw?.[i];
    const needsBytes = dir.pathBytes !== undefined || (bytes !== undefined && !Buffer.from(name).equals(bytes));
    if (!needsBytes && typeof dir.host === 'string') {
      return { path, rel, host: `${dir.host}/${name}`, pathBytes: undefined, depth: dir.depth + 1 };
    }
    const nameBytes = bytes ?? Buffer.from(name);
    const slash = Buffer.from('/');
    const host = Buffer.concat([toBytes(dir.host), slash, nameBytes]);
    const parentBytes = dir.pathBytes ?? Buffer.from(dir.path);
    const pathBytes = dir.path === '' ? nameBytes : Buffer.concat([parentBytes, slash, nameBytes]);
    return { path, rel, host, pathBytes, depth: dir.depth + 1 };
  });
  return frames.sort((a, b) => compareNames(a.path, b.path));
}

function toBytes(p: HostPath): Buffer {
  return typeof p === 'string' ? Buffer.from(p) : p;
}
