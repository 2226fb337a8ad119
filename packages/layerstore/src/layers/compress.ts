// Compression variants of a layer blob, made on first request and recorded so the next one is free.
// Deterministic for a given Node/zlib and zstd-napi version: same layer ⇒ same compressed digest.
//   gzip: level 4 in 1 MiB blocks compressed on every core, data that looks random stored rather
//         than deflated (parallel-gzip.ts); no file name, MTIME 0, OS byte 255 ("unknown", as Go's
//         compress/gzip writes, so the host OS never leaks into the digest).
//         Level: CPU seconds of the whole process / MB written, with that writer. "bench": the bench
//         layer (234 MB, half text, half random), median of 3; "mixed": one run on a 657 MB tar of
//         /usr/bin, python3.11, node_modules, man pages, icons and jars.
//           level     1            2            3            4            5             6
//           bench   1.6 / 137.4  1.7 / 136.1  2.2 / 133.5  2.1 / 132.8  2.7 / 131.3   4.8 / 129.7
//           mixed   7.4 / 313.7  8.0 / 309.7  8.8 / 307.0  9.0 / 301.4  11.4 / 297.2  13.7 / 296.1
//         4 is the knee on the mixed tar: 3 -> 4 costs 0.2 s for 5.6 MB less, 4 -> 5 costs 2.4 s for
//         4.2 MB less. On the bench layer 2 would save 0.4 s for 3.3 MB (2.5 %) more, and buildah's
//         default gzip (containers/image, pgzip) writes 134.1 MB there.
//   zstd: level 3, 2 worker threads (zstd's multi-threaded output depends only on the parameters,
//         not on timing), checksum on.
import { createRequire } from 'node:module';
import { pipeline, type Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type * as Zstd from 'zstd-napi';
import type { Compression } from '../types.js';
import { ParallelGzip } from './parallel-gzip.js';

/** The native zstd binding, loaded on first use: most commands (a cached rebuild) never need it. */
let zstd: typeof Zstd | undefined;
function zstdNapi(): typeof Zstd {
  zstd ??= createRequire(import.meta.url)('zstd-napi') as typeof Zstd;
  return zstd;
}

const CHUNK = 1 << 20;
/** See the header: smaller than the peers' default gzip, at under half of level 6's cost. */
export const GZIP_LEVEL = 4;

/** Transforms that turn plain tar bytes into `c`. */
export function compressors(c: Compression): Transform[] {
  if (c === 'gzip') return [new ParallelGzip(GZIP_LEVEL)];
  if (c === 'zstd') return [new (zstdNapi().CompressStream)({ compressionLevel: 3, nbWorkers: 2, checksumFlag: true })];
  return [];
}

/** Transforms that turn `c` bytes back into plain tar bytes. */
export function decompressors(c: Compression): Transform[] {
  if (c === 'gzip') return [createGunzip({ chunkSize: CHUNK })];
  if (c === 'zstd') return [new (zstdNapi().DecompressStream)()];
  return [];
}

/** `source` piped through `stages` (errors from any stage reach the consumer). */
export function through(source: Readable, stages: Transform[]): Readable {
  if (stages.length === 0) return source;
  // pipeline destroys every stage with the first error, so the last one reports it to its reader.
  return pipeline([source, ...stages], () => {}) as unknown as Readable;
}
