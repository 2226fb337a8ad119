// Looking at a path through a stack of overlay lower dirs without mounting them, and creating its
// parent directories in an upper dir the way overlayfs' copy-up would. This is what lets a COPY write
// into a step's upper dir directly when its destination is new or an empty directory (the builder's
// executor/dispatch-copy-direct.ts).
//
// Overlay semantics, as fs/overlayfs/namei.c applies them to a lookup of `name` in a directory D:
// the layers searched are D's own stack (topmost first: the layers in which D is a merged directory);
// in each, a missing name means "look further down", a whiteout (0/0 character device) hides the name
// and everything below, a non-directory is the answer (or, under a directory already found, ends the
// search), and a directory joins the result's stack, which ends after an opaque one
// (trusted.overlay.opaque=y). The root's stack is every layer.
//
// Nothing here follows a symlink: each lstat is of a name inside a directory that was itself lstat'ed
// as a real directory of that same layer, so the kernel never meets a symlink on the way (stricter
// than in-root resolution, which would follow it: a symlink on the path is an answer here, not a hop).
// Safe while the lower dirs do not change (they are the store's snapshots).
import { lchownSync, lstatSync, lutimesSync, mkdirSync, chmodSync, readdirSync, type Stats } from 'node:fs';
import { fsx } from '../native.js';
import { cleanInRoot, splitPath } from './resolve.js';

const OPAQUE = 'trusted.overlay.opaque';
const REDIRECT = 'trusted.overlay.redirect';
const OVERLAY_PRIVATE = 'trusted.overlay.';

/** An existing directory of the merged lower view. */
export interface LowerDir {
  /** Path below the root without a leading slash: "usr/local". */
  rel: string;
  /** Host path of its topmost copy: the one overlayfs would copy up. */
  source: string;
  /** lstat of `source`. */
  st: Stats;
}

export type NewPathLookup =
  /**
   * Nothing of the layers is at or below the path: it is in none of them, or it is a directory empty
   * in every layer it merges. `existing` are the directories of the path that do exist (root's child
   * first; the path itself last when it is that empty directory).
   */
  | { clear: true; existing: LowerDir[] }
  /** Something is at or below the path, or the way to it is not plain directories: ask a mounted view. */
  | { clear: false; reason: string };

function lstatQuiet(p: string): Stats | undefined {
  try {
    return lstatSync(p, { throwIfNoEntry: false });
  } catch (e) {
    // ENOTDIR cannot happen on a well-formed stack (each layer in the search holds the parent as a
    // directory); answer "not here" rather than guess.
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function xattrIs(p: string, name: string, value: string): boolean {
  return fsx.lgetxattr(p, name)?.toString() === value;
}

/**
 * Whether the merged view of `lowerDirs` (topmost first, as overlayfs' lowerdir option) has nothing at
 * or below rooted path `p`: `p` is absent, or a directory empty in every layer it merges, and each
 * existing directory on the way is a plain one. Then nothing written at or below `p` can meet the lower
 * layers, so it can be written in an upper dir directly once the existing directories are copied up
 * (copyUpDirs). Anything else (`p` holds something; a symlink or a file on the way; a whiteout; a
 * redirect xattr) is `clear: false` with the reason.
 */
export function lookupNewPath(lowerDirs: readonly string[], p: string): NewPathLookup {
  const comps = splitPath(cleanInRoot(p));
  let stack = [...lowerDirs];
  const ancestors: LowerDir[] = [];
  let rel = '';
  for (const [i, name] of comps.entries()) {
    rel = rel === '' ? name : `${rel}/${name}`;
    let found: LowerDir | undefined;
    const next: string[] = [];
    for (const layer of stack) {
      const host = `${layer}/${rel}`;
      const st = lstatQuiet(host);
      if (st === undefined) continue;
      if (isWhiteout(st)) {
        if (found === undefined) return { clear: false, reason: `/${rel} is a whiteout in ${layer}` };
        break; // ends the merge below a directory
      }
      if (!st.isDirectory()) {
        if (found === undefined) return { clear: false, reason: i === comps.length - 1 ? `/${rel} exists` : `/${rel} exists and is not a directory` };
        break;
      }
      if (fsx.lgetxattr(host, REDIRECT) !== null) return { clear: false, reason: `/${rel} has an overlay redirect in ${layer}` };
      found ??= { rel, source: host, st };
      next.push(layer);
      if (xattrIs(host, OPAQUE, 'y')) break;
    }
    if (found === undefined) return { clear: true, existing: ancestors };
    ancestors.push(found);
    stack = next;
  }
  // `p` is a directory (or the root): clear when it is empty in each layer it merges. A whiteout
  // inside counts as content (a name created over it would need overlayfs' own handling).
  for (const layer of stack) {
    if (readdirSync(rel === '' ? layer : `${layer}/${rel}`).length > 0) return { clear: false, reason: `/${rel} exists and is not empty` };
  }
  return { clear: true, existing: ancestors };
}

/**
 * Creates `dirs` (root's child first, as lookupNewPath lists them) in `upperDir` the way overlayfs
 * copies a directory up: same owner, mode, xattrs (but overlayfs' own trusted.overlay.*, which copy-up
 * does not copy either: an opaque lower dir is not opaque once copied up), access and modification
 * times (as doubles: below a microsecond they may round; layers keep whole seconds). Creating a child
 * changes its parent's mtime, so times are set after every dir is made, as overlayfs restores a
 * parent's times after copying a child up. Each must not exist yet.
 */
export function copyUpDirs(upperDir: string, dirs: readonly LowerDir[]): void {
  for (const d of dirs) {
    const target = `${upperDir}/${d.rel}`;
    mkdirSync(target, 0o700);
    lchownSync(target, d.st.uid, d.st.gid);
    chmodSync(target, d.st.mode & 0o7777); // after chown, which may clear setgid
    for (const name of fsx.llistxattr(d.source)) {
      if (name.startsWith(OVERLAY_PRIVATE)) continue;
      const value = fsx.lgetxattr(d.source, name);
      if (value === null) continue;
      try {
        fsx.lsetxattr(target, name, value);
      } catch (e) {
        // overlayfs skips what the upper filesystem does not support either
        if ((e as NodeJS.ErrnoException).code !== 'ENOTSUP') throw e;
      }
    }
  }
  for (const d of dirs) lutimesSync(`${upperDir}/${d.rel}`, d.st.atimeMs / 1000, d.st.mtimeMs / 1000);
}
