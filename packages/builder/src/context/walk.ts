// Walks a source directory (the context's, or a rootfs's for COPY --from wildcards) without recursion
// (a 20,000-deep tree must not overflow the stack), in sorted order, with one call per directory that
// lists it and lstats every entry (ContextFs.lstatDir: the fsx addon, ~2x cheaper than Node's readdir
// plus one lstat and one BigIntStats per entry). Symlinks are entries, never followed. Excluded paths
// are skipped; an excluded directory is only entered when a `!` line could re-include something below
// it, and then kept only if something below it was kept (as BuildKit sends the parents of included
// files). FIFOs, sockets and devices are reported, never opened.
import type { BigIntStats } from 'node:fs';
import { LSTAT_DIR_STRIDE, type DirStats } from '@tsbuild/layerstore';
import { unreadable } from './codes.js';
import type { ContextFs, HostPath } from './fs-port.js';
import type { ExclusionRules, IgnoreRules } from './ignore-rules.js';

export type WalkType = 'file' | 'dir' | 'symlink' | 'special';

/** One walked entry: where it is and what its lstat said (one object per entry: big walks hold many). */
export interface WalkEntry extends EntryInfo {
  /** Context-relative path ('/'-separated; lossy when a name is not UTF-8, see pathBytes). */
  path: string;
  /** Path relative to the walk's base. */
  rel: string;
  host: HostPath;
  /** Raw bytes of `path`, only when some component is not valid UTF-8. */
  pathBytes?: Buffer;
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
  return typeOfMode(Number(stat.mode));
}

const S_IFMT = 0o170000;

/** The entry type from a full st_mode. */
export function typeOfMode(mode: number): WalkType {
  switch (mode & S_IFMT) {
    case 0o100000: return 'file';
    case 0o040000: return 'dir';
    case 0o120000: return 'symlink';
    default: return 'special';
  }
}

/** Code-point order, which is UTF-8 byte order (Go sorts names that way); one definition, in layerstore. */
export { compareNames } from '@tsbuild/layerstore';

/** A listed entry on the walk's stack: what the caller gets, plus its depth below the base. */
interface Frame extends WalkEntry {
  depth: number;
}

/**
 * The entries below `base` (not `base` itself), depth-first pre-order with sorted siblings. Excluded
 * directories that were only entered for a possible exception and kept nothing are dropped at the end.
 */
export function walkBelow(baseRel: string, baseHost: HostPath, opts: WalkOptions): WalkEntry[] {
  const out: WalkEntry[] = [];
  const provisional = new Set<WalkEntry>();
  const mayHoldExceptions = opts.ignore.hasExceptions() || (opts.exclude?.hasExceptions() ?? false);
  const stack: Frame[] = [];
  pushListing(stack, { path: baseRel, rel: '', host: baseHost, depth: 0 }, opts);
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const isDir = entry.type === 'dir';
    const excluded = opts.ignore.excludedBy(entry.path, isDir) !== undefined ||
      (opts.exclude !== undefined && opts.exclude.excludedBy(entry.rel, isDir) !== undefined);
    if (excluded && !(isDir && mayHoldExceptions)) continue;
    out.push(entry);
    if (excluded) provisional.add(entry);
    const descend = opts.visit === undefined || excluded ? true : opts.visit(entry, entry.depth);
    if (isDir && descend) pushListing(stack, entry, opts);
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

type Parent = Pick<Frame, 'path' | 'rel' | 'host' | 'pathBytes' | 'depth'>;

/** Lists `dir` and pushes its entries so that they pop in sorted order. */
function pushListing(stack: Frame[], dir: Parent, { fs, where }: WalkOptions): void {
  let listing: DirStats;
  try {
    // Below the root a directory is entered without following a link it may have become meanwhile.
    listing = fs.lstatDir(dir.host, dir.path !== '');
  } catch (err) {
    const entry = (err as { entry?: unknown }).entry;
    throw unreadable(typeof entry !== 'string' ? dir.path : dir.path === '' ? entry : `${dir.path}/${entry}`, err, where);
  }
  const { names, keys, info } = listing;
  // lstatDir sorts by name bytes: code-point order for UTF-8 names (compareNames' order), and a name
  // that is not UTF-8 (a Buffer: shown by its lossy decoding, opened by its bytes) by its bytes.
  for (let i = names.length - 1; i >= 0; i--) {
    const raw = names[i]!;
    const name = typeof raw === 'string' ? raw : raw.toString('utf8');
    const at = i * LSTAT_DIR_STRIDE;
    const mode = info[at]!;
    const frame: Frame = {
      path: dir.path === '' ? name : `${dir.path}/${name}`,
      rel: dir.rel === '' ? name : `${dir.rel}/${name}`,
      host: '',
      type: typeOfMode(mode),
      mode,
      size: info[at + 1]!,
      uid: info[at + 2]!,
      gid: info[at + 3]!,
      mtimeMs: info[at + 4]!,
      statKey: keys[i]!,
      depth: dir.depth + 1,
    };
    if (dir.pathBytes === undefined && typeof raw === 'string' && typeof dir.host === 'string') {
      frame.host = `${dir.host}/${name}`;
    } else {
      const nameBytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
      frame.host = Buffer.concat([toBytes(dir.host), SLASH, nameBytes]);
      frame.pathBytes = dir.path === '' ? nameBytes : Buffer.concat([dir.pathBytes ?? Buffer.from(dir.path), SLASH, nameBytes]);
    }
    stack.push(frame);
  }
}

const SLASH = Buffer.from('/');

function toBytes(p: HostPath): Buffer {
  return typeof p === 'string' ? Buffer.from(p) : p;
}
