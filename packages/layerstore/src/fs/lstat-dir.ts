// A directory's entries with their lstat in one call into the fsx addon: what a walk of a big tree
// (a build context) needs, without a readdir plus an lstat and a BigIntStats object per entry.
import { fsx } from '../native.js';

/** What lstatDir returns: parallel arrays, sorted by name bytes (code-point order for UTF-8 names). */
export interface DirStats {
  /** Entry names (never . or ..); a Buffer for a name that is not well-formed UTF-8. */
  names: (string | Buffer)[];
  /** Per entry: "dev:ino:size:mtimeNs:ctimeNs:mode", exact integers (what BigIntStats would give). */
  keys: string[];
  /** Per entry, LSTAT_DIR_STRIDE numbers: st_mode, size, uid, gid, mtime in whole ms. */
  info: Float64Array;
}

export const LSTAT_DIR_STRIDE = 5;

/**
 * Every entry of directory `path` with its lstat, sorted by name bytes. An entry removed between listing
 * and lstat is left out. Throws Node-style errors (code, syscall "opendir", "readdir" or "lstat", path; `entry` names
 * the entry an lstat failed on). With `nofollow`, `path` itself must not be a symlink (ELOOP or ENOTDIR):
 * a walk passes it for every directory below its root, so a directory swapped for a link after its
 * parent was listed is never listed through the link.
 */
export function lstatDir(path: string | Buffer, nofollow = false): DirStats {
  return fsx.lstatDir(path, nofollow);
}
