// Destination paths inside the rootfs being written. Every path is resolved with the layer store's
// in-root resolution (containerd fs.RootPath semantics): the image's own symlinks are followed as if
// chrooted at `root`, absolute targets restart at `root`, `..` is clamped. Nothing is cached between
// calls (CVE-2021-32803, CVE-2025-47290). Safe because the rootfs is quiescent while COPY runs.
// When the destination root is an overlay upper dir written directly (executor/dispatch-copy-direct.ts), symlinks are
// not followed at all: one there was made by this very copy, and the merged view could resolve it
// into a lower layer, so meeting one throws NeedsMergedView and the copy is redone through that view.
import { lchownSync, lstatSync, mkdirSync, chmodSync, lutimesSync, type Stats } from 'node:fs';
import path from 'node:path';
import { cleanInRoot, resolveInRootSync, splitPath } from '@tsbuild/layerstore';
import { BuildError, InternalError } from '../errors.js';
import type { Owner } from './chown.js';

/**
 * How a destination path's symlinks are treated: followed in-root (a rootfs view), or refused (an
 * upper dir written directly; see the file comment).
 */
export type DestLinks = 'follow' | 'refuse';

/** A destination path met a symlink in an upper dir written directly: redo the copy in the merged view. */
export class NeedsMergedView extends InternalError {
  constructor(readonly rooted: string) {
    super(`${rooted} is a symlink in the upper dir being written directly; the copy must go through the merged view`);
  }
}

/** Metadata given to directories the copy has to create (BuildKit: 0755, the --chown owner). */
export interface NewDirMeta {
  mode: number;
  owner?: Owner;
  mtime?: Date;
}

export function lstatOrUndefined(p: string | Buffer): Stats | undefined {
  try {
    // throwIfNoEntry: a missing target is the common case when copying, and a thrown ENOENT (an Error
    // with a stack) costs more than the lstat itself.
    return lstatSync(p, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** `host` (inside `root`) as a rooted path, for messages and re-resolution: "/etc/f". */
export function rootedOf(root: string, host: string): string {
  const rel = path.relative(path.resolve(root), host);
  return '/' + (rel === '' ? '' : rel);
}

/** Sets owner, mode and mtime of a directory we just created or lstat'ed as a real directory. */
export function setDirMeta(host: string | Buffer, meta: NewDirMeta): void {
  // chmod follows symlinks: make sure this is still the directory we made (nothing may have replaced it).
  if (!lstatSync(host).isDirectory()) {
    throw new InternalError(`expected a directory at ${host.toString()} while setting its metadata`);
  }
  if (meta.owner !== undefined) lchownSync(host, meta.owner.uid, meta.owner.gid);
  chmodSync(host, meta.mode);
  if (meta.mtime !== undefined) lutimesSync(host, meta.mtime, meta.mtime);
}

function notDir(root: string, host: string, wanted: string): BuildError {
  return new BuildError(
    'COPY_DEST_NOT_DIR',
    `cannot create directory ${wanted}: ${rootedOf(root, host)} exists in the image and is not a directory`,
    { details: { path: wanted, existing: rootedOf(root, host) } },
  );
}

/**
 * mkdir -p of the rooted path `p` inside `root`, following the image's symlinks in-root; each directory
 * it creates gets `meta` (0755 and the --chown owner, as BuildKit). Returns the host path of the
 * directory. Throws BuildError COPY_DEST_NOT_DIR when a component exists and is not a directory.
 * `created` (optional) collects the host paths of the directories it created, parents first.
 */
export function ensureDirInRoot(root: string, p: string, meta: NewDirMeta, created?: string[], links: DestLinks = 'follow'): string {
  return ensureDirDepth(path.resolve(root), cleanInRoot(p), meta, created, 0, links);
}

function ensureDirDepth(root: string, rel: string, meta: NewDirMeta, created: string[] | undefined, depth: number, links: DestLinks): string {
  if (depth > 255) {
    throw new BuildError('COPY_DEST_LOOP', `too many symlinks creating /${rel} in the image`);
  }
  let resolved = ''; // the real (symlink-free) path so far, relative to root
  for (const c of splitPath(rel)) {
    const host = resolveDest(root, resolved === '' ? c : `${resolved}/${c}`, links);
    let st = lstatOrUndefined(host);
    if (st === undefined) {
      const parentHost = path.dirname(host);
      if (lstatOrUndefined(parentHost)?.isDirectory() !== true) {
        // A symlink led to a path whose parents are missing too ("/app -> /opt/x/y"): make them first.
        ensureDirDepth(root, path.relative(root, parentHost), meta, created, depth + 1, links);
      }
      mkdirSync(host, 0o700);
      setDirMeta(host, meta);
      created?.push(host);
      st = lstatSync(host);
    }
    if (!st.isDirectory()) throw notDir(root, host, '/' + rel);
    resolved = path.relative(root, host);
  }
  return resolved === '' ? root : `${root}/${resolved}`;
}

/** The host path of rooted `p` in `root`, every symlink (the last one too) followed in-root. */
export function resolveFollow(root: string, p: string, links: DestLinks = 'follow'): string {
  return resolveDest(path.resolve(root), p, links);
}

function resolveDest(root: string, p: string, links: DestLinks): string {
  if (links === 'follow') return resolveInRootSync(root, p);
  let host = root;
  for (const c of splitPath(cleanInRoot(p))) {
    host = `${host}/${c}`;
    if (lstatOrUndefined(host)?.isSymbolicLink() === true) throw new NeedsMergedView(rootedOf(root, host));
  }
  return host;
}
