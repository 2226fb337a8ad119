import test from 'ava';
import { isStoreError } from '../../src/errors.js';
import { imageHistory, inspectImage, listImages, removeImage, tagImage } from '../../src/manage/images.js';
import { prune } from '../../src/manage/prune.js';
import { openStore } from '../../src/store.js';
import { tempStore } from '../helpers/temp-root.js';
import { writeImage } from '../helpers/images.js';

test('listImages and inspectImage describe an image the docker way', async (t) => {
  const store = await tempStore(t);
  const img = await writeImage(store, ['busybox', 'localhost/bb:1']);
  const list = await listImages(store);
  t.deepEqual(list.map((i) => [i.id, i.names]), [[img.configDigest, ['docker.io/library/busybox:latest', 'localhost/bb:1']]]);
  t.is(list[0]!.size, img.layers[0]!.blob.size);
  const info = await inspectImage(store, 'busybox');
  t.is(info.Id, img.configDigest);
  t.deepEqual(info.RepoTags, ['busybox:latest', 'localhost/bb:1']);
  t.deepEqual(info.RepoDigests, [`busybox@${img.manifestDigest}`, `localhost/bb@${img.manifestDigest}`]);
  t.deepEqual(info.RootFS, { Type: 'layers', Layers: [img.layers[0]!.diffID] });
  t.deepEqual(info.Config.Cmd, ['sh']);
  t.is(info.Os, 'linux');
  t.is(info.Created, '2024-01-01T00:00:00Z');
  t.true(isStoreError(await t.throwsAsync(inspectImage(store, 'nothere')), 'ENOTFOUND'));
});

test('imageHistory lists steps newest first with layer sizes', async (t) => {
  const store = await tempStore(t);
  const img = await writeImage(store, ['h']);
  const rows = await imageHistory(store, 'h');
  t.deepEqual(rows.map((r) => [r.id, r.createdBy, r.size, r.emptyLayer]), [
    ['<missing>', 'CMD ["sh"]', 0, true],
    [img.layers[0]!.diffID, 'COPY hello /etc/hello', img.layers[0]!.blob.size, false],
  ]);
});

test('tagImage + removeImage by name untags; by id needs force with several names', async (t) => {
  const store = await tempStore(t);
  const img = await writeImage(store, ['localhost/r:1']);
  t.is(await tagImage(store, 'localhost/r:1', 'r2'), 'docker.io/library/r2:latest');
  t.true(isStoreError(await t.throwsAsync(removeImage(store, img.configDigest)), 'ECONFLICT'));
  t.deepEqual(await removeImage(store, 'r2'), { untagged: ['docker.io/library/r2:latest'], deleted: [] });
  t.deepEqual(await removeImage(store, 'localhost/r:1'), { untagged: ['localhost/r:1'], deleted: [img.manifestDigest] });
  t.deepEqual(await listImages(store), []);
  const again = await writeImage(store, ['a', 'b']);
  t.deepEqual((await removeImage(store, again.configDigest.slice(7, 19), { force: true })).deleted, [again.manifestDigest]);
});

test('after rmi, prune in a later process frees the image blobs and reports them', async (t) => {
  const store = await tempStore(t);
  const img = await writeImage(store, ['localhost/p:1']);
  const keep = await writeImage(store, ['localhost/p:2'], { other: 'file' }, 'B=2');
  await removeImage(store, 'localhost/p:1');
  await store.close();
  const later = await openStore(store.root);
  t.teardown(() => later.close());
  const dry = await prune(later, { dryRun: true });
  const r = await prune(later);
  t.deepEqual(r.blobs.sort(), [img.manifestDigest, img.configDigest, img.layers[0]!.blob.digest].sort());
  t.deepEqual(dry.blobs.sort(), r.blobs);
  t.true(r.bytes > 0);
  t.truthy(await later.images.resolve('localhost/p:2'));
  for (const l of keep.layers) t.truthy(await later.blobs.stat(l.blob.digest));
  t.deepEqual((await prune(later)).blobs, []);
});
