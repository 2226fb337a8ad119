// Compression variants of a layer blob, made on first request and recorded so the next one is free.
// Deterministic for a given Node/zlib and zstd-napi version: same layer ⇒ same compressed digest.
//   gzip: level 6, no file name, MTIME 0, OS byte forced to 255 ("unknown", as Go's compress/gzip
//         writes, so the host OS never leaks into the digest); zlib's own header would say 3 (Unix).
//   zstd: level 3, 2 worker threads (zstd's multi-threaded output depends only on the parameters,
//         not on timing), checksum on.
import { pipeline, Transform, type TransformCallback, type Readable } from 'node:stream';
import { createGunzip, createGzip, constants as zc } from 'node:zlib';
import { CompressStream, DecompressStream } from 'zstd-napi';
import type { Compression } from '../types.js';

const CHUNK = 1 << 20;
const GZIP_OS_UNKNOWN = 255;

/** Rewrites the gzip header's OS byte (offset 9) to a fixed value. */
class FixGzipOs extends Transform {
  private seen = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.seen <= 9 && this.seen + chunk.length > 9) {
      chunk = Buffer.from(chunk);
      chunk[9 - this.seen] = GZIP_OS_UNKNOWN;
    }
    this.seen += chunk.length;
    cb(null, chunk);
  }
}

/** Transforms that turn plain tar bytes into `c`. */
export function compressors(c: Compression): Transform[] {
  if (c === 'gzip') return [createGzip({ level: 6, chunkSize: CHUNK, strategy: zc.Z_DEFAULT_STRATEGY }), new FixGzipOs()];
  if (c === 'zstd') return [new CompressStream({ compressionLevel: 3, nbWorkers: 2, checksumFlag: true })];
  return [];
}

/** Transforms that turn `c` bytes back into plain tar bytes. */
export function decompressors(c: Compression): Transform[] {
  if (c === 'gzip') return [createGunzip({ chunkSize: CHUNK })];
  if (c === 'zstd') return [new DecompressStream()];
  return [];
}

/** `source` piped through `stages` (errors from any stage reach the consumer). */
export function through(source: Readable, stages: Transform[]): Readable {
  if (stages.length === 0) return source;
  // pipeline destroys every stage with the first error, so the last one reports it to its reader.
  return pipeline([source, ...stages], () => {}) as unknown as Readable;
}
