// Ownership, xattrs, mode and times for an entry just created by the applier. Nothing here follows a
// symlink: lchown/lutimes/lsetxattr act on the link itself, and chmod is never called on a link
// (Linux has no lchmod; CVE-2021-32760).
import { chmodSync, fchmodSync, fchownSync, futimesSync, lchownSync, lstatSync, lutimesSync } from 'node:fs';
import { StoreError } from '../../errors.js';
import { fsx } from '../../native.js';
import type { TarEntry } from './entry.js';

const MIN_TIME = -(2 ** 31);
const MAX_TIME = 2 ** 34;

export function boundTime(t: number): number {
  return Math.min(MAX_TIME, Math.max(MIN_TIME, t));
}

/** Whether an xattr from a tar may be applied. trusted.overlay.* would become live overlay metadata. */
export function isApplicableXattr(name: string): boolean {
  if (name.startsWith('trusted.overlay.')) return false;
  return name.startsWith('user.') || name === 'security.capability' || name.startsWith('trusted.');
}

function applyXattrs(path: string, e: TarEntry, isRegOrDir: boolean): void {
  for (const [name, value] of e.xattrs) {
    if (!isApplicableXattr(name)) continue;
    try {
      fsx.lsetxattr(path, name, value);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // The filesystem has no xattrs, or user.* on a symlink/device (the kernel refuses those).
      if (code === 'ENOTSUP' || code === 'EOPNOTSUPP') continue;
      if (code === 'EPERM' && name.startsWith('user.') && !isRegOrDir) continue;
      throw new StoreError('EAPPLY', `setting xattr ${name} on ${e.name}: ${(err as Error).message}`, { cause: err, details: { entry: e.name, xattr: name } });
    }
  }
}

export interface Owner {
  uid: number;
  gid: number;
}

/** For a regular file still open as `fd`: owner, xattrs, mode (after chown, which clears setuid), times. */
export function finishFile(fd: number, path: string, e: TarEntry, owner: Owner): void {
  fchownSync(fd, owner.uid, owner.gid);
  applyXattrs(path, e, true);
  fchmodSync(fd, e.mode);
  const t = boundTime(e.mtime);
  futimesSync(fd, t, t);
}

/** For a dir, device, fifo or symlink at `path` (never followed). Dir times are set by the caller later. */
export function finishNode(path: string, e: TarEntry, owner: Owner, setTimes: boolean): void {
  lchownSync(path, owner.uid, owner.gid);
  const st = lstatSync(path);
  applyXattrs(path, e, st.isDirectory() || st.isFile());
  if (!st.isSymbolicLink()) chmodSync(path, e.mode);
  if (setTimes) {
    const t = boundTime(e.mtime);
    lutimesSync(path, t, t);
  }
}
