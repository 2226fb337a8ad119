// Reading a file of an untrusted rootfs from the host: every component is resolved as if the
// rootfs were "/" (containerd's fs.RootPath): absolute symlinks restart at the root, ".." stops at
// it, and the leaf is opened with O_NOFOLLOW and checked to be a regular file under a size cap.
// Safe only while nothing inside the rootfs runs (the runner calls it before the step starts).
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { RunnerError } from './errors.js';

const MAX_SYMLINK_HOPS = 255;

/** Host path of `p` inside `root` with every symlink resolved in-root, or null if something is missing. */
export async function resolveInRoot(root: string, p: string): Promise<string | null> {
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
      st = await fs.lstat(host);
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
    if (!st.isSymbolicLink()) {
      done.push(c);
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) return null;
    const target = await fs.readlink(host);
    const parts = target.split('/').filter((x) => x !== '' && x !== '.');
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...parts);
  }
  return path.join(root, ...done);
}

/** Contents of a regular file inside root (in-root resolution), null if absent, error over `cap` bytes. */
export async function readFileInRoot(root: string, p: string, cap: number): Promise<string | null> {
  const host = await resolveInRoot(root, p);
  if (host === null) return null;
  let fh;
  try {
    fh = await fs.open(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'ELOOP') return null;
    throw e;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return null;
    if (st.size > cap) {
      throw new RunnerError('RUNNER_FILE_TOO_LARGE', `${p} in the rootfs is ${st.size} bytes, over the ${cap}-byte limit`, {
        details: { path: p, size: st.size, cap },
      });
    }
    const buf = Buffer.alloc(Math.min(st.size, cap) + 1);
    let len = 0;
    while (len < buf.length) {
      const { bytesRead } = await fh.read(buf, len, buf.length - len, len);
      if (bytesRead === 0) break;
      len += bytesRead;
    }
    // the file grew while we read it: same verdict as an oversized one
    if (len > cap) throw new RunnerError('RUNNER_FILE_TOO_LARGE', `${p} in the rootfs is over the ${cap}-byte limit`, { details: { path: p, cap } });
    return buf.subarray(0, len).toString('utf8');
  } finally {
    await fh.close();
  }
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
