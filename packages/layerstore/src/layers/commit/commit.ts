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
  const put = await deps.blobs.put(Readable.from(layerTarChunks(upperDir, { sourceDateEpoch: epoch }, stats), { objectMode: false }));
  const ref: LayerRef = { diffID: put.digest, blob: { mediaType: MEDIA_TYPE_TAR, digest: put.digest, size: put.size } };
  deps.records.recordLayer(ref, 'none');
  const snapshotDir = await deps.snapshots.adopt(ref.diffID, upperDir);
  return { ...ref, empty: stats.entries === 0, snapshotDir };
}
