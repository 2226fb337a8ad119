// Small images made of real blobs, for image and archive tests.
import type { OpenedStore } from '../../src/store.js';
import type { ImageRecord, LayerRef } from '../../src/types.js';
import { tarOf } from './tar.js';

export async function plainLayer(store: OpenedStore, files: Record<string, string>): Promise<LayerRef> {
  const tar = await tarOf(files);
  const r = await store.blobs.putBytes(tar);
  return { diffID: r.digest, blob: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: r.digest, size: r.size } };
}

export async function writeImage(store: OpenedStore, tags: string[], files: Record<string, string> = { 'etc/hello': 'hi\n' }, env = 'A=1'): Promise<ImageRecord> {
  const layer = await plainLayer(store, files);
  return store.images.write({
    config: {
      created: '2024-01-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      config: { Env: [env], Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [] },
      history: [
        { created: '2024-01-01T00:00:00Z', created_by: 'COPY hello /etc/hello' },
        { created: '2024-01-01T00:00:00Z', created_by: 'CMD ["sh"]', empty_layer: true },
      ],
    },
    layers: [layer],
    tags,
  });
}
