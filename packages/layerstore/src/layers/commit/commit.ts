// commit(): upper dir → canonical tar blob (uncompressed) → the upper dir becomes the snapshot.
import { Readable } from 'node:stream';
import type { BlobStore, CommitOptions, CommittedLayer, LayerRef } from '../../types.js';
import { StoreError } from '../../errors.js';
import { MEDIA_TYPE_TAR } from '../media-types.js';
import type { LayerRecords } from '../records.js';
import type { Snapshots } from '../snapshots.js';
import { layerTarChunks, type TarStats } from './write-tar.js';

export interface CommitDeps {
  blobs: BlobStore;
  records: LayerRecords;
  snapshots: Snapshots;
}

export async function commitUpper(deps: CommitDeps, upperDir: string, opts: CommitOptions = {}): Promise<CommittedLayer> {
  const epoch = opts.sourceDateEpoch;
  if (epoch !== undefined && !(Number.isSafeInteger(epoch) && epoch >= 0)) {
    throw new StoreError('EINVAL', `sourceDateEpoch must be a non-negative integer, got ${epoch}`, { details: { epoch } });
  }
  const stats: TarStats = { entries: 0 };
  // The blob is the uncompressed tar, so its digest (computed by put while it writes) is the diffID:
  // one pass, one hash. Readable.from pulls the generator only as fast as put writes.
  const chunks = layerTarChunks(upperDir, { sourceDateEpoch: epoch }, stats);
  const source = opts.onProgress ? reportBytes(chunks, opts.onProgress) : chunks;
  const put = await deps.blobs.put(Readable.from(source, { objectMode: false }));
  const ref: LayerRef = { diffID: put.digest, blob: { mediaType: MEDIA_TYPE_TAR, digest: put.digest, size: put.size } };
  deps.records.recordLayer(ref, 'none');
  const snapshotDir = await deps.snapshots.adopt(ref.diffID, upperDir);
  return { ...ref, empty: stats.entries === 0, snapshotDir };
}

const REPORT_EVERY = 4 * 1024 * 1024;

/** Passes the chunks through, telling `report` how many bytes went by (throttled, and once at the end). */
function* reportBytes(chunks: Iterable<Uint8Array>, report: (bytes: number) => void): Generator<Uint8Array> {
  let total = 0;
  let reported = 0;
  for (const chunk of chunks) {
    total += chunk.length;
    if (total - reported >= REPORT_EVERY) {
      reported = total;
      report(total);
    }
    yield chunk;
  }
  report(total);
}
