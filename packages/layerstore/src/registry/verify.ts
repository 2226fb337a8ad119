// Verification of what a registry sends: digests are checked before use, sizes before digests, and a
// stream fails *before* it ends when its bytes do not match, so the store never commits them.
import { printable } from './redact.js';
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback, type Readable } from 'node:stream';
import { StoreError } from '../errors.js';
import type { Descriptor, Digest } from '../types.js';

const SHA256 = /^sha256:[a-f0-9]{64}$/;

/** Throws EINVALIDDIGEST unless `d` is "sha256:" + 64 lowercase hex (the only algorithm the store knows). */
export function checkDigest(d: unknown, what: string): Digest {
  if (typeof d !== 'string' || !SHA256.test(d)) {
    throw new StoreError('EINVALIDDIGEST', `${what} has an invalid or unsupported digest`, {
      details: { digest: typeof d === 'string' ? printable(d, 80) : typeof d, what },
    });
  }
  return d;
}

/** Validates a descriptor from an untrusted document (digest format, non-negative integer size, string media type). */
export function checkDescriptor(d: unknown, what: string): Descriptor {
  if (typeof d !== 'object' || d === null) throw invalid(`${what} is not a descriptor`, what);
  const desc = d as Record<string, unknown>;
  if (typeof desc.mediaType !== 'string' || desc.mediaType === '') throw invalid(`${what} has no mediaType`, what);
  checkDigest(desc.digest, what);
  if (typeof desc.size !== 'number' || !Number.isSafeInteger(desc.size) || desc.size < 0) {
    throw invalid(`${what} has an invalid size`, what);
  }
  if (desc.urls !== undefined && (!Array.isArray(desc.urls) || !desc.urls.every((u) => typeof u === 'string'))) {
    throw invalid(`${what} has invalid urls`, what);
  }
  return desc as unknown as Descriptor;
}

function invalid(message: string, what: string): StoreError {
  return new StoreError('EMANIFEST_INVALID', message, { details: { what } });
}

export function sha256Of(data: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Checks a whole buffered document against its descriptor: size first, then digest. */
export function verifyBytes(data: Uint8Array, expected: { digest?: Digest; size?: number }, what: string): Digest {
  if (expected.size !== undefined && data.length !== expected.size) {
    throw new StoreError('ESIZE', `${what}: expected ${expected.size} bytes, got ${data.length}`, {
      details: { what, digest: expected.digest, expected: expected.size, actual: data.length },
    });
  }
  const actual = sha256Of(data);
  if (expected.digest !== undefined && actual !== expected.digest) {
    throw new StoreError('EDIGEST', `${what}: content does not match its digest`, {
      details: { what, expected: expected.digest, actual },
    });
  }
  return actual;
}

/**
 * A pass-through that counts and hashes. It errors as soon as more than `size` bytes arrive, and at the
 * end (instead of ending) when the byte count or digest is wrong: a consumer that commits on 'end' never
 * commits unverified bytes.
 */
export class VerifyStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly expected: { digest: Digest; size: number }, private readonly what: string,
    private readonly onBytes?: (total: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.expected.size) {
      cb(this.sizeError());
      return;
    }
    this.hash.update(chunk);
    this.onBytes?.(this.bytes);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.bytes !== this.expected.size) {
      cb(this.sizeError());
      return;
    }
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (actual !== this.expected.digest) {
      cb(new StoreError('EDIGEST', `${this.what}: content does not match its digest`, {
        details: { what: this.what, expected: this.expected.digest, actual },
      }));
      return;
    }
    cb();
  }

  private sizeError(): StoreError {
    return new StoreError('ESIZE', `${this.what}: expected ${this.expected.size} bytes, got ${this.bytes === this.expected.size + 1 ? 'more' : this.bytes}`, {
      details: { what: this.what, digest: this.expected.digest, expected: this.expected.size, actual: this.bytes },
    });
  }
}

/**
 * Reads a stream whole, failing with ELIMIT past `max` bytes, and with ETIMEDOUT (retryable) when it
 * takes longer than `deadlineMs` in total: an idle timeout alone lets a 1-byte-per-second sender keep
 * a small document open forever. The stream is destroyed on either failure.
 */
export async function readCapped(stream: Readable, max: number, what: string, deadlineMs = DOCUMENT_DEADLINE_MS): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const timer = setTimeout(() => {
    stream.destroy(new StoreError('ETIMEDOUT', `${what} took longer than ${deadlineMs} ms to arrive`, { details: { what, deadlineMs, retryable: true } }));
  }, deadlineMs);
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      total += buf.length;
      if (total > max) {
        stream.destroy();
        throw new StoreError('ELIMIT', `${what} is larger than the ${max}-byte limit`, { details: { what, limit: max } });
      }
      chunks.push(buf);
    }
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks, total);
}

/** How long a manifest, config or token answer may take in total (they are at most a few MiB). */
export const DOCUMENT_DEADLINE_MS = 60_000;
