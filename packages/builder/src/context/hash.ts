// Content hashing of context files. Small files are read synchronously into one reused 1 MiB buffer
// (the fastest way measured for many small files); big files go through the same buffer in 1 MiB
// chunks, so memory stays flat. A file is opened with O_NOFOLLOW|O_NONBLOCK and checked to be the same
// regular file that was lstat'ed: a FIFO never blocks us and a swapped-in symlink is never followed.
import { createHash } from 'node:crypto';
import { CONTEXT_CODES, buildError, unreadable } from './codes.js';
import type { ContextFs, HostPath } from './fs-port.js';
import { identityPrefix } from './walk.js';

const CHUNK = 1024 * 1024;

export class FileHasher {
  private readonly buffer = Buffer.allocUnsafe(CHUNK);

  constructor(private readonly fs: ContextFs, private readonly maxFileBytes: number) {}

  /** sha256 (hex) of the file `rel` whose lstat gave `statKey` (see walk.ts EntryInfo). */
  hashFile(host: HostPath, rel: string, statKey: string): string {
    const size = Number(statKey.split(':')[2]);
    if (size > this.maxFileBytes) {
      throw buildError(CONTEXT_CODES.fileTooLarge, `${JSON.stringify(rel)} is ${size} bytes, over the ${this.maxFileBytes}-byte cap for one context file`,
        { path: rel, size, maxFileBytes: this.maxFileBytes }, 'add it to .dockerignore, or raise the cap');
    }
    let fd: number;
    try {
      fd = this.fs.openRead(host);
    } catch (err) {
      throw unreadable(rel, err);
    }
    try {
      const before = this.fs.fstat(fd);
      // The same file, unchanged since the walk: otherwise the digest would describe other bytes than the
      // stat the cache records it under.
      if (!before.isFile() || !statKey.startsWith(identityPrefix(before))) throw changed(rel);
      const hash = createHash('sha256');
      let position = 0;
      while (position < size) {
        const want = Math.min(CHUNK, size - position);
        const got = this.fs.read(fd, this.buffer, 0, want, position);
        if (got === 0) throw changed(rel);
        hash.update(this.buffer.subarray(0, got));
        position += got;
      }
      const after = this.fs.fstat(fd);
      if (after.size !== before.size || after.mtimeNs !== before.mtimeNs) throw changed(rel);
      return hash.digest('hex');
    } finally {
      this.fs.close(fd);
    }
  }
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function changed(rel: string): Error {
  return buildError(CONTEXT_CODES.fileChanged, `${JSON.stringify(rel)} changed while it was read`, { path: rel },
    'do not modify the build context during a build');
}
