// Checks that a layer blob unpacks to the diffID its config claims, by decompressing and hashing
// it as a stream (nothing is held in memory). The compression is sniffed from the bytes, so
// docker-save archives, which carry no media types, work too.
import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { StoreError } from '../errors.js';
import { decompressors } from '../layers/compress.js';
import type { OpenedStore } from '../store.js';
import type { Compression, Digest } from '../types.js';

/** The compression of a stored blob from its magic bytes. */
export async function sniffCompression(store: OpenedStore, digest: Digest): Promise<Compression> {
  const fh = await open(store.blobs.path(digest), 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'gzip';
    if (bytesRead === 4 && buffer.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

export async function verifyDiffID(store: OpenedStore, digest: Digest, compression: Compression, diffID: Digest): Promise<void> {
  if (compression === 'none') {
    if (digest !== diffID) throw mismatch(digest, diffID, digest);
    return;
  }
  const hash = createHash('sha256');
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb();
    },
  });
  try {
    await pipeline([await store.blobs.get(digest), ...decompressors(compression), sink]);
  } catch (e) {
    if (e instanceof StoreError) throw e;
    throw new StoreError('EBADLAYER', `layer ${digest} is not valid ${compression} data`, { cause: e, details: { digest, compression } });
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== diffID) throw mismatch(digest, diffID, actual);
}

function mismatch(digest: Digest, diffID: Digest, actual: Digest): StoreError {
  return new StoreError('EINTEGRITY', `layer ${digest} unpacks to ${actual}, but the config says ${diffID}`, { details: { digest, diffID, actual } });
}
