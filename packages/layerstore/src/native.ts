// Typed access to the fsx addon (native/fsx.c): Linux calls Node core lacks.
// Built by node-gyp at `npm install` (binding.gyp); see the package README.
import { createRequire } from 'node:module';

export interface Fsx {
  /** The value of an xattr of `path` itself (never a symlink's target), or null when absent. */
  lgetxattr(path: string, name: string): Buffer | null;
  /** Names of the xattrs of `path` itself. */
  llistxattr(path: string): string[];
  lsetxattr(path: string, name: string, value: Buffer, flags?: number): void;
  /** Removes an xattr; an absent one is not an error. */
  lremovexattr(path: string, name: string): void;
  /** mknod(2); `mode` includes the type bits (S_IFCHR, S_IFBLK, S_IFIFO). */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** renameat2(RENAME_NOREPLACE): true when renamed, false when `to` already existed. */
  renameNoReplace(from: string, to: string): boolean;
  /** flock(2) without blocking the event loop; with LOCK_NB false means "held elsewhere". */
  flockSync(fd: number, op: number): boolean;
  /** flock(2) on the thread pool; may wait. */
  flock(fd: number, op: number): Promise<void>;
  /** A directory's entries with their lstat (fs/lstat-dir.ts). */
  lstatDir(path: string | Buffer, nofollow?: boolean): { names: (string | Buffer)[]; keys: string[]; info: Float64Array };
  readonly LOCK_SH: number;
  readonly LOCK_EX: number;
  readonly LOCK_UN: number;
  readonly LOCK_NB: number;
  readonly XATTR_CREATE: number;
  readonly XATTR_REPLACE: number;
}

const require = createRequire(import.meta.url);
// dist/src/native.js -> ../../build/Release/fsx.node
export const fsx: Fsx = require('../../build/Release/fsx.node') as Fsx;
