// mknod(2), which Node core lacks (the builder's COPY recreates FIFOs and device nodes with it), and
// the device number encoding shared with layer generation.
import { fsx } from '../native.js';

/**
 * Creates a FIFO or a device node at `path`. `mode` holds the type (S_IFIFO, S_IFCHR, S_IFBLK) and
 * the permission bits, which the umask narrows. A final symlink is never followed: anything already
 * at `path` is EEXIST. Errors carry the errno name as `code`.
 */
export function mknodSync(path: string, mode: number, major: number, minor: number): void {
  fsx.mknod(path, mode, major, minor);
}

/** Major and minor of a `st.rdev` (glibc's gnu_dev_major/minor encoding). */
export function splitDev(rdev: number): { major: number; minor: number } {
  const d = BigInt(rdev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & ~0xffn);
  return { major: Number(major & 0xffffffffn), minor: Number(minor & 0xffffffffn) };
}
