// gzip on every core, the way pigz does it, except that data that looks random is stored, not deflated.
//
// The input is cut into fixed 1 MiB blocks, and each block into 4 KiB segments classified by their
// byte counts. Runs of compressible segments are deflated on libuv's thread pool, with the 32 KiB
// of input before them as dictionary (stored bytes are in the decoder's window too), and end with a
// sync flush, so on a byte boundary. Runs of incompressible segments are written here as stored
// blocks. In input order the pieces are one deflate stream, whose very last block has BFINAL set;
// the gzip header and trailer (CRC-32 and size of the whole input) are written here too.
//
// Why: on the bench layer (234 MB, 10,000 files, half random bytes, half text) deflate spent half of
// its CPU on the random half and saved nothing there; a stored block costs 5 bytes per 65535.
// Measured on that layer at level 4, whole process, median of 3 on the shared 2-core machine:
// before 3.6 s CPU, 3.1 s wall, 132.65 MB; after 2.1 s CPU, 1.4 s wall, 132.80 MB (`gzip -4`: 3.9 s,
// 133.25 MB). On a 657 MB tar of /usr/bin, python3.11, node_modules, man pages, icons and jars:
// 10.1 -> 8.9 s of CPU, 300.9 -> 301.4 MB.
//
// Classification: a segment is incompressible when its collision entropy -log2 Σ p², estimated
// without bias as Σ c(c-1) / (n(n-1)) over its byte counts c, is at least 7.9 bits per byte; in
// integers, so no floating point can move a decision. Per 4 KiB segment (1st-99th percentile):
// random 7.98-8.02, gzip'd man pages 7.94-8.01, ELF binaries 0.4-5.3, JS and Python 1.7-4.9, jars
// 4.0-8.0 (compressed entries and their headers). On the 657 MB tar, deflate shrinks the segments
// at or above 7.9 by 0.1-2.2 %, those at 7.8-7.9 by 4-6 %. 4 KiB is the smallest segment whose noise
// keeps random data clear of the threshold (σ = 0.008); bigger ones mix the tar headers into the
// random files' data: of the bench's 110 MB of random files, 94 MB classify as random in 4 KiB
// segments, 83 MB in 16 KiB ones, 67 MB in 64 KiB ones.
//
// Byte counts cannot see repetition: a random 8 KiB block repeated (identical random-looking files side
// by side) looks random segment by segment, yet deflate shrinks it 100-fold. So a random-looking
// segment whose first 16 bytes occur in the 32 KiB of input before it is deflated (`repeats`); ~0.1 s of
// CPU on the bench layer, whose output is unchanged.
//
// Runs are then smoothed, because each deflated run is one more zlib stream with its dictionary:
// first an incompressible run shorter than 16 KiB is deflated with its neighbours (small random
// files among text), then a compressible run shorter than 16 KiB between stored ones is stored
// (a lone tar header). On the bench layer that is 519 deflate calls instead of 2,001, for 0.16 MB
// more. Smoothing the other way round (store first) saved another 0.2 s of CPU for 1.6 MB more.
//
// Deterministic: block and segment boundaries depend only on the input, so the same layer gives the
// same bytes (for one zlib version), whatever the number of cores, the timing or how the input
// arrives in chunks. The header is fixed: no name, MTIME 0, XFL 0, OS 255 ("unknown", as Go's
// compress/gzip writes), so the host never leaks into the digest.
import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { constants as zc, crc32, deflateRaw, type ZlibOptions } from 'node:zlib';

const BLOCK = 1 << 20;
const WINDOW = 32 * 1024;
const SEGMENT = 4096;
/** Bytes of a random-looking segment looked for in the window before it (see `repeats`). */
const REPEAT_PROBE = 16;
/** Σ c(c-1) at or under which a full segment is incompressible: 4096 · 4095 · 2^-7.9, rounded down. */
const MAX_COLLISIONS = 70_222;
const MIN_STORED = 16 * 1024;
const MIN_DEFLATED = 16 * 1024;
/** The largest LEN of a stored block. */
const STORED_MAX = 65535;
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
/** BFINAL=1, fixed Huffman codes, end of block: what zlib writes to finish an empty stream. */
const EMPTY_FINAL = Buffer.from([0x03, 0x00]);

/** A part of a block, [start, end) in block offsets, and how it is encoded. */
interface Run {
  start: number;
  end: number;
  stored: boolean;
}

/** Plain bytes in, gzip out; the same input bytes always give the same output bytes (see the header). */
export class ParallelGzip extends Transform {
  private block = newBlock();
  private fill = 0;
  /** The last WINDOW bytes of input before `block` (a copy; shorter at the start of the input). */
  private history = Buffer.alloc(0);
  private crc = 0;
  private size = 0;
  private readonly counts = new Uint32Array(256);
  private readonly inflight: Promise<Buffer[]>[] = [];
  private readonly maxInflight: number;

  constructor(private readonly level = 6, parallel = availableParallelism() + 1) {
    super();
    this.maxInflight = Math.max(1, parallel);
    this.push(HEADER);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.append(chunk).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    this.complete().then(() => cb(), cb);
  }

  private async append(chunk: Buffer): Promise<void> {
    for (let off = 0; off < chunk.length; ) {
      const n = Math.min(BLOCK - this.fill, chunk.length - off);
      chunk.copy(this.block, this.fill, off, off + n);
      this.fill += n;
      off += n;
      if (this.fill === BLOCK) {
        this.launch(this.block, false);
        this.block = newBlock();
        this.fill = 0;
        // Backpressure: the next block waits until the oldest one in flight is out.
        while (this.inflight.length >= this.maxInflight) this.pushAll(await this.inflight.shift()!);
      }
    }
  }

  private async complete(): Promise<void> {
    this.launch(this.block.subarray(0, this.fill), true);
    while (this.inflight.length > 0) this.pushAll(await this.inflight.shift()!);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.size % 2 ** 32, 4);
    this.push(trailer);
  }

  private pushAll(parts: Buffer[]): void {
    for (const p of parts) this.push(p);
  }

  private launch(block: Buffer, last: boolean): void {
    this.crc = crc32(block, this.crc);
    this.size += block.length;
    const runs = planRuns(block, this.history, this.counts);
    const parts: (Buffer | Promise<Buffer>)[] = runs.map((run, i) => {
      const final = last && i === runs.length - 1;
      const data = block.subarray(run.start, run.end);
      if (run.stored) return storedBlocks(data, final);
      // Room for all of the output, so a run is one trip to the pool: with zlib's default 16 KiB,
      // every 16 KiB out comes back to the main thread first (0.04 s of CPU on the bench layer).
      const opts: ZlibOptions = { level: this.level, chunkSize: outputBound(data.length), ...(final ? {} : { finishFlush: zc.Z_SYNC_FLUSH }) };
      const dictionary = this.window(block, run.start);
      if (dictionary.length > 0) opts.dictionary = dictionary;
      return deflate(data, opts);
    });
    if (last && runs.length === 0) parts.push(EMPTY_FINAL);
    // The next block's dictionary; a copy, so that this block can be collected once it is out.
    this.history = Buffer.from(this.window(block, block.length));
    const out = Promise.all(parts);
    out.catch(() => undefined); // awaited in order later; no unhandled rejection meanwhile
    this.inflight.push(out);
  }

  /** The WINDOW bytes of input before `block[at]`. zlib copies a dictionary when the stream is made. */
  private window(block: Buffer, at: number): Buffer {
    if (at >= WINDOW) return block.subarray(at - WINDOW, at);
    if (at === 0) return this.history;
    return Buffer.concat([this.history.subarray(Math.max(0, this.history.length - (WINDOW - at))), block.subarray(0, at)]);
  }
}

/** A block buffer of its own, so it is 4-byte aligned for the counting in `incompressible`. */
function newBlock(): Buffer {
  return Buffer.allocUnsafeSlow(BLOCK);
}

/** More than deflate can write for `n` bytes: zlib's deflateBound plus a sync flush marker. */
function outputBound(n: number): number {
  return n + (n >>> 11) + 64;
}

function deflate(data: Buffer, opts: ZlibOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => deflateRaw(data, opts, (err, out) => (err ? reject(err) : resolve(out))));
}

/**
 * The runs of `block`: segments classified, neighbours of a kind merged, then short runs given to
 * the other kind: first short stored runs (so small random files among text are deflated with it),
 * then short deflated runs that are not the whole block (a tar header among random files).
 */
function planRuns(block: Buffer, history: Buffer, counts: Uint32Array): Run[] {
  // Four bytes per read, twice as fast as byte reads; the block is aligned (`newBlock`).
  const words = new Uint32Array(block.buffer, block.byteOffset, block.length >>> 2);
  const runs: Run[] = [];
  for (let start = 0; start < block.length; start += SEGMENT) {
    const end = Math.min(block.length, start + SEGMENT);
    const stored = end - start === SEGMENT && incompressible(words, start >>> 2, counts) && !repeats(block, history, start);
    add(runs, { start, end, stored });
  }
  const smoothed: Run[] = [];
  for (const r of runs) add(smoothed, r.stored && r.end - r.start < MIN_STORED ? { ...r, stored: false } : r);
  const result: Run[] = [];
  for (const r of smoothed) add(result, !r.stored && r.end - r.start < MIN_DEFLATED && smoothed.length > 1 ? { ...r, stored: true } : r);
  return result;
}

function add(runs: Run[], run: Run): void {
  const prev = runs[runs.length - 1];
  if (prev && prev.stored === run.stored) prev.end = run.end;
  else runs.push({ ...run });
}

/** Whether the SEGMENT bytes from `words[first]` on look random; see the header. */
function incompressible(words: Uint32Array, first: number, counts: Uint32Array): boolean {
  counts.fill(0);
  // Byte order within a word does not matter to a histogram.
  for (let i = first; i < first + SEGMENT / 4; i++) {
    const w = words[i];
    counts[w & 255]++;
    counts[(w >>> 8) & 255]++;
    counts[(w >>> 16) & 255]++;
    counts[w >>> 24]++;
  }
  let collisions = 0;
  for (let b = 0; b < 256; b++) collisions += counts[b] * (counts[b] - 1);
  return collisions <= MAX_COLLISIONS;
}

/**
 * Whether the segment at `start` begins with bytes seen in the WINDOW of input before it: random-looking
 * data that repeats within deflate's reach (the same random 8 KiB over and over, a file twice in a row)
 * is deflate's to shrink, however random each segment looks on its own. Byte counts cannot see that;
 * a 16-byte probe can (random data has no chance of a false match). Buffer.indexOf is memmem: ~4 µs
 * per 32 KiB window, ~0.1 s of main-thread CPU over the bench layer's random half.
 */
function repeats(block: Buffer, history: Buffer, start: number): boolean {
  const probe = block.subarray(start, start + REPEAT_PROBE);
  if (block.subarray(Math.max(0, start - WINDOW), start + REPEAT_PROBE - 1).indexOf(probe) >= 0) return true;
  // The window reaches into the previous block (its last WINDOW bytes are kept as `history`).
  return start < WINDOW && history.length > 0 && history.subarray(Math.max(0, history.length - (WINDOW - start))).indexOf(probe) >= 0;
}

/** `data` as stored deflate blocks of at most STORED_MAX bytes, the last one final if `final`. */
function storedBlocks(data: Buffer, final: boolean): Buffer {
  const n = Math.max(1, Math.ceil(data.length / STORED_MAX));
  const out = Buffer.allocUnsafe(data.length + 5 * n);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const piece = data.subarray(i * STORED_MAX, (i + 1) * STORED_MAX);
    out[o] = final && i === n - 1 ? 1 : 0; // BFINAL, BTYPE=00, then padding to the byte boundary
    out.writeUInt16LE(piece.length, o + 1);
    out.writeUInt16LE(piece.length ^ 0xffff, o + 3);
    o += 5 + piece.copy(out, o + 5);
  }
  return out;
}
