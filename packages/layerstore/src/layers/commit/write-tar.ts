// Produces the canonical layer tar of an upper dir as a stream of chunks, never holding the layer in
// memory. Headers and small files are packed into 1 MiB batches read with synchronous reads (the
// per-file stream plumbing is what makes Node slow, PERFORMANCE.md); big files go out in 1 MiB chunks.
// Every yielded Buffer is fresh: the consumer may hold it while we produce the next one.
import { closeSync, fstatSync, openSync, readSync, constants as fsc } from 'node:fs';
import { StoreError } from '../../errors.js';
import { splitDev } from '../../fs/mknod.js';
import { END_OF_ARCHIVE, encodeHeader, paddingFor, type EntryHeader } from '../tar/header.js';
import { walkUpper, type UpperItem } from './walk.js';

const CHUNK = 1 << 20;

export interface TarStats {
  /** Entries written (0 means the upper dir held no change). */
  entries: number;
}

export interface WriteTarOptions {
  sourceDateEpoch?: number;
}

function devNumbers(rdev: number): { devmajor: number; devminor: number } {
  const { major, minor } = splitDev(rdev);
  return { devmajor: major, devminor: minor };
}

class Batcher {
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;

  /** Room left in the current batch. */
  get room(): number {
    return CHUNK - this.pos;
  }

  /** Takes the filled part of the batch (or nothing) and starts a new one. */
  take(): Buffer | undefined {
    if (this.pos === 0) return undefined;
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
    return out;
  }

  /** Copies `data` in; returns full batches to emit. */
  *push(data: Buffer): Generator<Buffer> {
    let off = 0;
    while (off < data.length) {
      const n = Math.min(this.room, data.length - off);
      data.copy(this.buf, this.pos, off, off + n);
      this.pos += n;
      off += n;
      if (this.room === 0) yield this.take() as Buffer;
    }
  }

  /** Reads exactly `size` bytes of fd straight into the batch (caller ensured the room). */
  readInto(fd: number, size: number, position: number): number {
    const n = readSync(fd, this.buf, this.pos, size, position);
    this.pos += n;
    return n;
  }

  zeros(n: number): void {
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }
}

function changed(abs: string): StoreError {
  return new StoreError('ECHANGED', `${abs} changed while the layer was written; the upper dir must be quiescent`, {
    details: { path: abs },
  });
}

function* fileData(b: Batcher, abs: string, size: number): Generator<Buffer> {
  const fd = openSync(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  try {
    if (fstatSync(fd).size !== size) throw changed(abs);
    const pad = paddingFor(size);
    if (size + pad <= b.room) {
      if (b.readInto(fd, size, 0) !== size) throw changed(abs);
      b.zeros(pad);
      return;
    }
    const head = b.take();
    if (head !== undefined) yield head;
    let pos = 0;
    while (pos < size) {
      const want = Math.min(CHUNK, size - pos);
      const chunk = Buffer.allocUnsafe(want);
      let got = 0;
      while (got < want) {
        const n = readSync(fd, chunk, got, want - got, pos + got);
        if (n === 0) throw changed(abs);
        got += n;
      }
      pos += want;
      yield chunk;
    }
    b.zeros(pad);
  } finally {
    closeSync(fd);
  }
}

function headerFor(item: UpperItem, opts: WriteTarOptions, links: Map<string, string>): EntryHeader {
  const st = item.st;
  let mtime = Math.floor(st.mtimeMs / 1000);
  if (opts.sourceDateEpoch !== undefined && mtime > opts.sourceDateEpoch) mtime = opts.sourceDateEpoch;
  if (item.kind === 'whiteout' || item.kind === 'opaque') {
    // Like containerd 2.x: whiteout markers carry no metadata of their own (time 0, root, mode 0).
    const slash = item.rel.lastIndexOf('/');
    const name = item.kind === 'opaque'
      ? item.rel + '.wh..wh..opq' // rel is the dir's name, ending in '/'
      : item.rel.slice(0, slash + 1) + '.wh.' + item.rel.slice(slash + 1);
    return { name, type: 'file', mode: 0, uid: 0, gid: 0, size: 0, mtime: 0 };
  }
  const base = { name: item.rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: 0, mtime, xattrs: item.xattrs };
  switch (item.kind) {
    case 'dir':
      return { ...base, type: 'directory' };
    case 'symlink':
      return { ...base, type: 'symlink', linkname: item.target };
    case 'char':
    case 'block':
      return { ...base, type: item.kind, ...devNumbers(st.rdev) };
    case 'fifo':
      return { ...base, type: 'fifo' };
    case 'file': {
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const first = links.get(key);
        if (first !== undefined) return { ...base, type: 'link', linkname: first };
        links.set(key, item.rel);
      }
      return { ...base, type: 'file', size: st.size };
    }
  }
}

/**
 * The layer tar of `upperDir`, chunk by chunk. `stats.entries` is final once the generator is done.
 * Hardlinks: the first name (in walk order) carries the data, later ones are link entries to it.
 */
export function* layerTarChunks(upperDir: string, opts: WriteTarOptions, stats: TarStats): Generator<Buffer> {
  const b = new Batcher();
  const links = new Map<string, string>();
  for (const item of walkUpper(upperDir)) {
    const h = headerFor(item, opts, links);
    stats.entries++;
    yield* b.push(encodeHeader(h));
    if (h.type === 'file' && h.size > 0) yield* fileData(b, item.abs, h.size);
  }
  yield* b.push(END_OF_ARCHIVE);
  const tail = b.take();
  if (tail !== undefined) yield tail;
}
