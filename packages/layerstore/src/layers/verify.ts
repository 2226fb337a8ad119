// A pass-through that hashes what flows and fails at the end when it is not `expected` (EINTEGRITY),
// so a consumer (blobs.put) never commits output derived from the wrong layer.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { StoreError } from '../errors.js';

export class DigestCheck extends Transform {
  private readonly hash = createHash('sha256');
  constructor(private readonly expected: string, private readonly what: string) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    const got = `sha256:${this.hash.digest('hex')}`;
    if (got === this.expected) cb();
    else cb(new StoreError('EINTEGRITY', `${this.what}: content is ${got}, expected ${this.expected}`, { details: { expected: this.expected, got } }));
  }
}
