// In-root path resolution with containerd `fs.RootPath` semantics: the path is walked one component at a
// time, each component is lstat'ed, and symlinks are expanded as if the process were chrooted at `root`
// (absolute targets restart at root, `..` never climbs above root). Nothing is cached across calls:
// caching resolutions across tar entries is exactly what CVE-2021-32803/37701/37712 and CVE-2025-47290
// exploited. Safe only while nothing else mutates the tree (the runner guarantees a quiescent rootfs).
//
// The work is synchronous on purpose: a resolution is a handful of lstat calls, and synchronous lstat is
// several times faster than the promise API for this (PERFORMANCE.md). The async wrappers exist so
// callers can stay in promise style.
import { lstatSync, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { StoreError } from '../errors.js';

/** Symlink expansions allowed in one resolution (Linux allows 40; containerd allows 255). */
export const MAX_SYMLINK_HOPS = 255;

/** Splits a slash-separated path into components, dropping empty ones and `.`. Keeps `..`. */
export function splitPath(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * Lexically cleans `p` as if it were rooted: `..` above the top is dropped, duplicate slashes and `.`
 * removed. Returns a relative path without a leading slash ('' for the root itself).
 */
export function cleanInRoot(p: string): string {
  const out: string[] = [];
  for (const c of splitPath(p)) {
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out.join('/');
}

interface WalkOptions {
  /** Create missing components as directories with this mode (mkdir -p semantics, in-root). */
  createMode?: number;
  /** Receives the host path of every directory the walk created, in creation order. */
  created?: string[];
}

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

function walk(root: string, p: string, opts: WalkOptions): string {
  const rootAbs = path.resolve(root);
  // `todo` is a stack: the next component to look at is at the end.
  const todo = splitPath(p).reverse();
  const done: string[] = [];
  let hops = 0;
  while (todo.length > 0) {
    const c = todo.pop() as string;
    if (c === '..') {
      done.pop(); // clamped at the root: popping an empty list is a no-op
      continue;
    }
    done.push(c);
    const cur = rootAbs + '/' + done.join('/');
    let st = lstatOrUndefined(cur);
    if (st === undefined) {
      if (opts.createMode === undefined) continue; // missing: later components are resolved lexically
      try {
        mkdirSync(cur, opts.createMode);
        opts.created?.push(cur);
      } catch (e) {
        if (errnoOf(e) !== 'EEXIST') throw e;
      }
      st = lstatSync(cur);
    }
    if (st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) {
        throw new StoreError('ELOOP', `too many symlinks resolving ${JSON.stringify(p)} in ${root}`, {
          details: { root, path: p, hops: MAX_SYMLINK_HOPS },
        });
      }
      const target = readlinkSync(cur);
      done.pop();
      if (target.startsWith('/')) done.length = 0;
      for (const t of splitPath(target).reverse()) todo.push(t);
      continue;
    }
    if (opts.createMode !== undefined && !st.isDirectory()) {
      throw new StoreError('ENOTDIR', `${JSON.stringify('/' + done.join('/'))} is not a directory in ${root}`, {
        details: { root, path: p, component: '/' + done.join('/') },
      });
    }
  }
  return done.length === 0 ? rootAbs : rootAbs + '/' + done.join('/');
}

/**
 * The host path `p` names inside `root`, every symlink (the last component's too) expanded in-root.
 * Missing components are allowed (the result names where they would be). Throws StoreError ELOOP after
 * MAX_SYMLINK_HOPS expansions. The result is always `root` or below it.
 */
export function resolveInRootSync(root: string, p: string): string {
  return walk(root, p, {});
}

export async function resolveInRoot(root: string, p: string): Promise<string> {
  return walk(root, p, {});
}

export interface ParentResolution {
  /** The resolved host path of the parent directory (in-root). */
  parent: string;
  /** The last component, never `..`, `.` or empty unless the path is the root itself. */
  base: string;
  /** parent + '/' + base, or the root when `p` cleans to the root. The leaf is NOT followed. */
  path: string;
}

/**
 * Resolves everything but the last component of `p` in-root; the leaf itself is not followed, so the
 * caller can create, replace or lstat it (containerd's split of hdr.Name). `p` is cleaned lexically first.
 */
export function resolveParentInRoot(root: string, p: string): ParentResolution {
  const clean = cleanInRoot(p);
  const rootAbs = path.resolve(root);
  if (clean === '') return { parent: rootAbs, base: '', path: rootAbs };
  const slash = clean.lastIndexOf('/');
  const base = clean.slice(slash + 1);
  const parent = slash < 0 ? rootAbs : walk(rootAbs, clean.slice(0, slash), {});
  return { parent, base, path: parent === '/' ? '/' + base : parent + '/' + base };
}

/**
 * mkdir -p inside `root`: creates each missing component (mode, default 0755, before umask), following
 * existing symlinks in-root. Throws StoreError ENOTDIR when a component exists and is not a directory.
 * Returns the resolved host path of the directory; `created` (if given) receives the host path of each
 * directory it made, symlink targets' parents included.
 */
export function mkdirAllInRootSync(root: string, p: string, mode = 0o755, created?: string[]): string {
  return walk(root, p, { createMode: mode, ...(created ? { created } : {}) });
}

export async function mkdirAllInRoot(root: string, p: string, mode = 0o755, created?: string[]): Promise<string> {
  return walk(root, p, { createMode: mode, ...(created ? { created } : {}) });
}

/** True when host path `p` is `root` or inside it (lexically; both must be absolute and clean). */
export function isWithin(root: string, p: string): boolean {
  const r = path.resolve(root);
  return p === r || p.startsWith(r === '/' ? '/' : r + '/');
}
