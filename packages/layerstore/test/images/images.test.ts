import test from 'ava';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isStoreError } from '../../src/errors.js';
import { normalizeTag } from '../../src/images/names.js';
import { sha256, tempStore } from '../helpers/temp-root.js';
import { plainLayer, writeImage } from '../helpers/images.js';
import { stringifyImageConfig } from '../../src/json.js';

const names: Array<[string, string]> = [
  ['busybox', 'docker.io/library/busybox:latest'],
  ['busybox:1.36', 'docker.io/library/busybox:1.36'],
  ['me/app', 'docker.io/me/app:latest'],
  ['localhost/busybox:latest', 'localhost/busybox:latest'],
  ['localhost:5000/a/b:c', 'localhost:5000/a/b:c'],
  ['ghcr.io/x/y', 'ghcr.io/x/y:latest'],
];
for (const [input, full] of names) test(`normalizeTag(${input})`, (t) => t.is(normalizeTag(input), full));

test('normalizeTag refuses digests and invalid names (EREFERENCE)', (t) => {
  for (const bad of [`busybox@sha256:${'a'.repeat(64)}`, 'Upper', '', 'a b', 'a/../b']) t.true(isStoreError(t.throws(() => normalizeTag(bad)), 'EREFERENCE'), bad);
});

test('write is deterministic: equal inputs give equal digests', async (t) => {
  const a = await tempStore(t);
  const b = await tempStore(t);
  const x = await writeImage(a, ['x']);
  const y = await writeImage(b, ['y']);
  t.is(x.manifestDigest, y.manifestDigest);
  t.is(x.configDigest, y.configDigest);
});

test('writing the same image with the same tags again leaves index.json and the blobs untouched', async (t) => {
  const store = await tempStore(t);
  await writeImage(store, ['app']);
  const index = join(store.root, 'index.json');
  const before = await stat(index);
  await writeImage(store, ['app']);
  const after = await stat(index);
  t.is(after.ino, before.ino, 'not replaced');
  t.is(after.mtimeMs, before.mtimeMs);
  await writeImage(store, ['app', 'other']);
  t.not((await stat(index)).ino, before.ino, 'a new tag does rewrite it');
});

test('the store index.json carries both name annotations for each tag', async (t) => {
  const store = await tempStore(t);
  const img = await writeImage(store, ['busybox', 'localhost/app:1']);
  const index = JSON.parse(await readFile(join(store.root, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
  t.deepEqual(index.manifests.map((m) => m.annotations), [
    { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'docker.io/library/busybox:latest' },
    { 'io.containerd.image.name': 'localhost/app:1', 'org.opencontainers.image.ref.name': 'localhost/app:1' },
  ]);
  t.true(index.manifests.every((m) => m.digest === img.manifestDigest));
});

test('resolve by short name, full name, name@digest, manifest digest, config digest and id prefix', async (t) => {
  const store = await tempStore(t);
  const img = await writeImage(store, ['busybox']);
  for (const ref of ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', `busybox@${img.manifestDigest}`, img.manifestDigest, img.configDigest, img.configDigest.slice(7, 19), img.configDigest.slice(0, 19)]) {
    t.is((await store.images.resolve(ref))?.manifestDigest, img.manifestDigest, ref);
  }
  t.is(await store.images.resolve('nothere'), undefined);
  t.is(await store.images.resolve('busybox:other'), undefined);
});

test('an ambiguous id prefix is EAMBIGUOUS', async (t) => {
  const store = await tempStore(t);
  const layer = await plainLayer(store, { f: 'x' });
  const configOf = (i: number) => ({ architecture: 'amd64', os: 'linux', config: { Env: [`I=${i}`] }, rootfs: { type: 'layers' as const, diff_ids: [layer.diffID] } });
  // Find two configs whose digests share 4 hex digits (a birthday search over tiny JSON).
  const seen = new Map<string, number>();
  let pair: [number, number] | undefined;
  for (let i = 0; !pair; i++) {
    const p = sha256(stringifyImageConfig(configOf(i))).slice(7, 11);
    const j = seen.get(p);
    if (j !== undefined) pair = [j, i];
    seen.set(p, i);
  }
  const [a, b] = await Promise.all(pair.map((i, n) => store.images.write({ config: configOf(i), layers: [layer], tags: [`localhost/amb:${n}`] })));
  t.is(a!.configDigest.slice(7, 11), b!.configDigest.slice(7, 11));
  t.true(isStoreError(await t.throwsAsync(store.images.resolve(a!.configDigest.slice(7, 11))), 'EAMBIGUOUS'));
  t.is((await store.images.resolve(a!.configDigest.slice(7, 30)))?.configDigest, a!.configDigest);
});

test('tag, untag, and a moved tag leaves the old image unnamed (docker <none>)', async (t) => {
  const store = await tempStore(t);
  const one = await writeImage(store, ['localhost/app:1'], { a: '1' });
  await store.images.tag('localhost/app:1', 'localhost/app:latest');
  t.deepEqual((await store.images.resolve(one.manifestDigest))?.names, ['localhost/app:1', 'localhost/app:latest']);
  const two = await writeImage(store, ['localhost/app:1', 'localhost/app:latest'], { a: '2' });
  const list = await store.images.list();
  t.deepEqual(list.map((i) => [i.manifestDigest, i.names]).sort(), [[one.manifestDigest, []], [two.manifestDigest, ['localhost/app:1', 'localhost/app:latest']]].sort());
  await store.images.untag('localhost/app:1');
  t.deepEqual((await store.images.resolve(two.manifestDigest))?.names, ['localhost/app:latest']);
  t.true(isStoreError(await t.throwsAsync(store.images.untag('localhost/app:1')), 'ENOTFOUND'));
  t.true(isStoreError(await t.throwsAsync(store.images.tag('nothere', 'x')), 'ENOTFOUND'));
});

test('add records an image whose blobs are present and refuses one with a missing layer', async (t) => {
  const store = await tempStore(t);
  const img = await writeImage(store, []);
  const rec = await store.images.add(img.manifestDigest, ['localhost/added:1']);
  t.deepEqual(rec.names, ['localhost/added:1']);
  await store.blobs.delete(img.layers[0]!.blob.digest);
  t.true(isStoreError(await t.throwsAsync(store.images.add(img.manifestDigest, ['localhost/added:2'])), 'ENOTFOUND'));
});
