// import(): stores a pulled/loaded layer blob as is (verified by put against `expected`) while the same
// bytes are decompressed on the side to compute the diffID, in one pass over the source.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { BlobStore, Compression, Expected, LayerRef } from '../types.js';
import { StoreError } from '../errors.js';
import { decompressors } from './compress.js';
import { compressionOf } from './media-types.js';
import type { LayerRecords } from './records.js';

export interface ImportDeps {
  blobs: BlobStore;
  records: LayerRecords;
}

function sniff(first: Buffer): Compression {
  if (first[0] === 0x1f && first[1] === 0x8b) return 'gzip';
  if (first.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

export async function importLayer(
  deps: ImportDeps,
  source: Readable,
  mediaType: string,
  expected: Expected & { diffID?: string },
): Promise<LayerRef> {
  const declared = compressionOf(mediaType);
  let compression: Compression | undefined = declared;
  const hash = createHash('sha256');
  let decomp: ReturnType<typeof decompressors>[number] | undefined;
  let decompDone: Promise<void> | undefined;
  let pending = Buffer.alloc(0);

  const start = (c: Compression): void => {
    compression = c;
    [decomp] = decompressors(c);
    if (decomp !== undefined) {
      decomp.on('data', (d: Buffer) => hash.update(d));
      decompDone = finished(decomp);
      decompDone.catch(() => {}); // awaited below only when put succeeds; never an unhandled rejection
    }
  };
  const feed = async (chunk: Buffer): Promise<void> => {
    if (decomp === undefined) hash.update(chunk);
    else if (decomp.errored !== null) throw decomp.errored;
    else if (!decomp.write(chunk)) await once(decomp, 'drain'); // rejects if the decompressor fails
  };

  async function* tee(): AsyncGenerator<Buffer> {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (compression === undefined) {
        // Unknown media type: decide from the first bytes (needs 4).
        pending = Buffer.concat([pending, chunk]);
        if (pending.length < 4) continue;
        start(sniff(pending));
        await feed(pending);
        yield pending;
        continue;
      }
      await feed(chunk);
      yield chunk;
    }
    if (compression === undefined) {
      start('none');
      await feed(pending);
      if (pending.length > 0) yield pending;
    }
    decomp?.end();
  }

  if (declared !== undefined) start(declared);
  let put;
  try {
    put = await deps.blobs.put(tee(), expected);
    await decompDone;
  } catch (e) {
    decomp?.destroy();
    if (e instanceof StoreError) throw e;
    throw new StoreError('EINVALIDARCHIVE', `layer (${mediaType}) does not decompress as ${compression}`, { cause: e, details: { mediaType } });
  }
  const diffID = `sha256:${hash.digest('hex')}`;
  if (expected.diffID !== undefined && expected.diffID !== diffID) {
    throw new StoreError('EINTEGRITY', `layer ${put.digest} has diffID ${diffID}, expected ${expected.diffID}`, {
      details: { digest: put.digest, diffID, expected: expected.diffID },
    });
  }
  const ref: LayerRef = { diffID, blob: { mediaType, digest: put.digest, size: put.size } };
  deps.records.recordLayer(ref, compression ?? 'none');
  return ref;
}
