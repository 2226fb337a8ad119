// CRASH-05: each kind of corruption is reported with its code; repair quarantines it and the
// store is usable (and clean) afterwards.
import test from 'ava';
import { chmod, mkdir, readdir, truncate, writeFile, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { verify } from '../../src/manage/verify.js';
import { tempStore } from '../helpers/temp-root.js';
import type { OpenedStore } from '../../src/store.js';

async function storeWithImage(t: Parameters<typeof tempStore>[0]): Promise<{ store: OpenedStore; layer: string; manifest: string; config: string }> {
  const store = await tempStore(t);
  const l = await store.blobs.putBytes(Buffer.alloc(4096, 1));
  const img = await store.images.write({
    config: { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } },
    layers: [{ diffID: l.digest, blob: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.digest, size: l.size } }],
    tags: ['localhost/v:1'],
  });
  return { store, layer: l.digest, manifest: img.manifestDigest, config: img.configDigest };
}

const blobFile = (s: OpenedStore, d: string) => join(s.root, 'blobs/sha256', d.slice(7));

test('a fresh store with an image verifies clean', async (t) => {
  const { store } = await storeWithImage(t);
  const r = await verify(store);
  t.deepEqual(r.problems, []);
  t.true(r.ok);
  t.is(r.checked.images, 1);
});

const corruptions: Array<[string, (s: OpenedStore, d: { layer: string; manifest: string }) => Promise<void>, string[]]> = [
  ['flipped byte', async (s, d) => {
    const f = blobFile(s, d.layer);
    await chmod(f, 0o644);
    const b = await readFile(f);
    b[10] ^= 1;
    await writeFile(f, b);
  }, ['EINTEGRITY', 'EMISSING']],
  ['truncated blob', async (s, d) => {
    await chmod(blobFile(s, d.layer), 0o644);
    await truncate(blobFile(s, d.layer), 100);
  }, ['EINTEGRITY', 'EMISSING']],
  ['zero-length final file', async (s, d) => {
    await chmod(blobFile(s, d.layer), 0o644);
    await truncate(blobFile(s, d.layer), 0);
  }, ['EZEROLENGTH', 'EMISSING']],
  ['deleted referenced blob', async (s, d) => unlink(blobFile(s, d.manifest)), ['EMISSING']],
  ['stray file in blobs/sha256', async (s) => writeFile(join(s.root, 'blobs/sha256/not-a-digest'), 'x'), ['ESTRAY']],
  ['stray dir in blobs/', async (s) => mkdir(join(s.root, 'blobs/sha512')), ['ESTRAY']],
  ['torn index.json', async (s) => {
    const text = await readFile(join(s.root, 'index.json'), 'utf8');
    await writeFile(join(s.root, 'index.json'), text.slice(0, text.length / 2));
  }, ['EBADINDEX']],
  ['torn cache record', async (s) => {
    await s.cache.put('k', { refs: [], value: 1 });
    const [name] = await readdir(join(s.root, 'cache'));
    await writeFile(join(s.root, 'cache', name!), '{"key":');
  }, ['EBADRECORD']],
];

for (const [name, corrupt, codes] of corruptions) {
  test(`CRASH-05: ${name} is reported (${codes.join(', ')}), repaired into quarantine/, then clean`, async (t) => {
    const { store, layer, manifest } = await storeWithImage(t);
    await corrupt(store, { layer, manifest });
    const r = await verify(store);
    t.false(r.ok);
    t.deepEqual([...new Set(r.problems.map((p) => p.code))].sort(), [...codes].sort());
    const fixed = await verify(store, { repair: true });
    t.true(fixed.ok, JSON.stringify(fixed.problems));
    t.true((await readdir(join(store.root, 'quarantine'))).length > 0);
    const after = await verify(store);
    t.deepEqual(after.problems, []);
    // The store still takes new content.
    t.truthy(await store.blobs.putBytes(Buffer.from('after repair')));
  });
}
