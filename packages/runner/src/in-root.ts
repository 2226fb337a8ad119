// Reading a file of an untrusted rootfs from the host: every component is resolved as if the
// rootfs were "/" (containerd's fs.RootPath): absolute symlinks restart at the root, ".." stops at
// it, and the leaf is opened with O_NOFOLLOW and checked to be a regular file under a size cap.
// Safe only while nothing inside the rootfs runs (the runner calls it before the step starts).
// Synchronous: a few lstats and one small read on the per-run path (PERFORMANCE.md: sync beats
// thread-pool round trips for small files).
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync } from 'node:fs';
import path from 'node:path';
import { RunnerError } from './errors.js';

const MAX_SYMLINK_HOPS = 255;

/** Host path of `p` inside `root` with every symlink resolved in-root, or null if something is missing. */
export function resolveInRoot(root: string, p: string): string | null {
  const pending = p.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const c = pending.shift() as string;
    if (c === '..') {
      done.pop();
      continue;
    }
    const host = path.join(root, ...done, c);
    let st;
    try {
      st = lstatSync(host);
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
    if (!st.isSymbolicLink()) {
      done.push(c);
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) return null;
    const target = readlinkSync(host);
    const parts = target.split('/').filter((x) => x !== '' && x !== '.');
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...parts);
  }
  return path.join(root, ...done);
}

/** Contents of a regular file inside root (in-root resolution), null if absent, error over `cap` bytes. */
export function readFileInRoot(root: string, p: string, cap: number): string | null {
  const host = resolveInRoot(root, p);
  if (host === null) return null;
  let fd: number;
  try {
    fd = openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'ELOOP') return null;
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    if (st.size > cap) {
      throw new RunnerError('RUNNER_FILE_TOO_LARGE', `${p} in the rootfs is ${st.size} bytes, over the ${cap}-byte limit`, {
        details: { path: p, size: st.size, cap },
      });
    }
    const buf = Buffer.alloc(st.size + 1);
    let len = 0;
    while (len < buf.length) {
      const n = readSync(fd, buf, len, buf.length - len, len);
      if (n === 0) break;
      len += n;
    }
    // the file grew while we read it: same verdict as an oversized one
    if (len > cap) throw new RunnerError('RUNNER_FILE_TOO_LARGE', `${p} in the rootfs is over the ${cap}-byte limit`, { details: { path: p, cap } });
    return buf.subarray(0, len).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
