// A real store on a fresh root (openStore). Until src/layers exports createLayers, its import and
// compressed are stood in for by a minimal version (verified put + diffID by gunzip); the registry
// code only uses those two, so the tests stay meaningful either way.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ExecutionContext } from 'ava';
import { StoreError } from '../../../src/errors.js';
import * as layersModule from '../../../src/layers/index.js';
import { openStore, type OpenedStore, type StoreLayerDeps } from '../../../src/store.js';
import type { Compression, Descriptor, Expected, LayerRef, Layers } from '../../../src/types.js';
import { OCI_LAYER_GZIP, sha256 } from './images.js';

function standInLayers(deps: StoreLayerDeps): Layers {
  const notUsed = (): never => { throw new StoreError('ENOTIMPL', 'not used by registry tests'); };
  return {
    commit: async () => notUsed(),
    snapshot: async () => notUsed(),
    extractTar: async () => notUsed(),
    async import(source: Readable, mediaType: string, expected: Expected & { diffID?: string }): Promise<LayerRef> {
      const chunks: Buffer[] = [];
      for await (const c of source) chunks.push(c as Buffer);
      const data = Buffer.concat(chunks);
      const put = await deps.blobs.putBytes(data, expected);
      const diffID = sha256(mediaType.endsWith('gzip') ? gunzipSync(data) : data);
      if (expected.diffID !== undefined && expected.diffID !== diffID) throw new StoreError('EDIGEST', 'diffID mismatch');
      return { diffID, blob: { mediaType, digest: put.digest, size: put.size } };
    },
    async compressed(layer: LayerRef, c: Compression): Promise<Descriptor> {
      if (c !== 'gzip') return notUsed();
      const gz = gzipSync(await deps.blobs.getBytes(layer.blob.digest, 1 << 30));
      const put = await deps.blobs.putBytes(gz);
      return { mediaType: OCI_LAYER_GZIP, digest: put.digest, size: put.size };
    },
  };
}

export async function tempDir(t: ExecutionContext, prefix = 'tsbuild-reg-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export const realLayersAvailable = typeof (layersModule as Record<string, unknown>).createLayers === 'function';

export async function testStore(t: ExecutionContext): Promise<OpenedStore> {
  const root = join(await tempDir(t), 'root');
  const store = await openStore(root, realLayersAvailable ? {} : { layers: standInLayers });
  t.teardown(() => store.close());
  return store;
}

/** Every blob digest in the store. */
export async function listBlobs(store: OpenedStore): Promise<string[]> {
  const out: string[] = [];
  for await (const d of store.blobs.list()) out.push(d);
  return out.sort();
}
