// A pass-through that hashes what flows through it and, at its end, fails with EINTEGRITY when
// the sha256 or the size is not the expected one (umoci's VerifiedReadCloser idea).
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { StoreError } from '../errors.js';
import type { Digest } from '../types.js';

export interface HashTap extends Transform {
  /** Bytes seen so far. */
  readonly bytes: number;
  /** "sha256:<hex>" of everything seen; only valid after the stream ended. */
  digest(): Digest;
}

/** A tap that counts and hashes; `maxBytes` makes it fail early (EBADSIZE) on a longer stream. */
export function createHashTap(maxBytes?: number): HashTap {
  const hash = createHash('sha256');
  let bytes = 0;
  let digest: Digest | undefined;
  const tap = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      bytes += chunk.length;
      if (maxBytes !== undefined && bytes > maxBytes) {
        cb(new StoreError('EBADSIZE', `stream is longer than the expected ${maxBytes} bytes`, { details: { expected: maxBytes } }));
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
  }) as HashTap;
  Object.defineProperty(tap, 'bytes', { get: () => bytes });
  tap.digest = () => (digest ??= `sha256:${hash.digest('hex')}`);
  return tap;
}

/** A tap that fails at its end unless the content has `expected` digest (and size when given). */
export function createVerifyStream(expected: { digest: Digest; size?: number }): Transform {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      bytes += chunk.length;
      if (expected.size !== undefined && bytes > expected.size) {
        cb(integrityError(expected.digest, `more than the expected ${expected.size} bytes`));
        return;
      }
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      const actual = `sha256:${hash.digest('hex')}`;
      if (expected.size !== undefined && bytes !== expected.size) cb(integrityError(expected.digest, `${bytes} bytes, expected ${expected.size}`));
      else if (actual !== expected.digest) cb(integrityError(expected.digest, `content hashes to ${actual}`));
      else cb();
    },
  });
}

function integrityError(digest: Digest, why: string): StoreError {
  return new StoreError('EINTEGRITY', `blob ${digest} failed verification: ${why}`, { details: { digest } });
}
