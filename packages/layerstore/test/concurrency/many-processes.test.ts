// CONC-02 / CONC-03 / CONC-04 with real node processes sharing one store root.
import test from 'ava';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore } from '../../src/store.js';
import { readImage } from '../../src/images/records.js';
import { collect, tempDir } from '../helpers/temp-root.js';
import { runWorker } from '../helpers/spawn-worker.js';

test.serial('CONC-02: 32 processes putting the same blob all succeed, one verified file', async (t) => {
  const root = join(await tempDir(t), 'root');
  const runs = await Promise.all(Array.from({ length: 32 }, () => runWorker(['put', root, 'same-seed', String(3 * 1024 * 1024)])));
  for (const r of runs) t.true(r.ok, `${r.code} ${r.message} ${r.stderr}`);
  const digests = new Set(runs.map((r) => (r.result as { digest: string }).digest));
  t.is(digests.size, 1);
  const [digest] = [...digests];
  t.deepEqual(await readdir(join(root, 'blobs/sha256')), [digest!.slice(7)]);
  const store = await openStore(root);
  t.teardown(() => store.close());
  t.is((await collect(await store.blobs.get(digest!))).length, 3 * 1024 * 1024);
  // Every writer closed cleanly: only the verifying store's own tmp dir remains.
  t.deepEqual(await readdir(join(root, 'tmp')), [store.lease.id]);
});

test.serial('CONC-04: 8 processes writing overlapping images and tags leave a consistent index', async (t) => {
  const root = join(await tempDir(t), 'root');
  const tags = ['localhost/app:a', 'localhost/app:b', 'localhost/app:c'];
  const runs = await Promise.all(Array.from({ length: 8 }, (_, w) => runWorker(['images', root, String(w), '6', ...tags])));
  for (const r of runs) t.true(r.ok, `${r.code} ${r.message} ${r.stderr}`);
  const store = await openStore(root);
  t.teardown(() => store.close());
  const images = await store.images.list();
  const named = images.flatMap((i) => i.names).sort();
  t.deepEqual(named, tags);
  for (const img of images) {
    const r = await readImage(store.blobs, img.manifestDigest);
    for (const l of r.layers) t.is((await collect(await store.blobs.get(l.blob.digest, { size: l.blob.size }))).length, l.blob.size);
  }
  for (const tag of tags) t.truthy(await store.images.resolve(tag));
});

test.serial('CONC-03: prune running while writers are active never removes what they need', async (t) => {
  const root = join(await tempDir(t), 'root');
  const tags = ['localhost/gc:a', 'localhost/gc:b'];
  // Garbage from processes that are gone, so the pruners have real work during the race.
  for (let i = 0; i < 3; i++) t.true((await runWorker(['put', root, `garbage-${i}`, '100000'])).ok);
  const writers = Array.from({ length: 4 }, (_, w) => runWorker(['images', root, String(w), '8', ...tags]));
  const pruners = Array.from({ length: 2 }, () => runWorker(['prune', root, '15']));
  const runs = await Promise.all([...writers, ...pruners]);
  for (const r of runs) t.true(r.ok, `${r.code} ${r.message} ${r.stderr}`);
  const freed = runs.slice(writers.length).flatMap((r) => (r.result as { freed: number[] }).freed);
  t.true(freed.reduce((a, b) => a + b, 0) >= 3);
  const check = await runWorker(['resolve-all', root]);
  t.true(check.ok, `${check.code} ${check.message}`);
  t.deepEqual(Object.keys(check.result as object).sort(), tags);
  // With every writer gone, a final prune frees all that the two tags do not need.
  const store = await openStore(root);
  t.teardown(() => store.close());
  const { prune } = await import('../../src/manage/prune.js');
  await prune(store);
  const live = new Set<string>();
  for (const img of await store.images.list()) for (const d of [img.manifestDigest, img.configDigest, ...img.layers.map((l) => l.blob.digest)]) live.add(d);
  const left: string[] = [];
  for await (const d of store.blobs.list()) left.push(d);
  t.deepEqual(left.sort(), [...live].sort());
});

test.serial('CONC-03: a writer that tags and exits while prune is between its reads keeps its image', async (t) => {
  // The writer puts its blobs (leased), then waits before tagging; prune starts in that gap, reads
  // what it needs, and waits; the writer tags and exits; prune then sweeps. A prune that read the
  // index before the leases saw neither the tag nor the (closed) writer's lease and deleted the
  // manifest under the fresh tag (found by test/security/concurrency.test.ts).
  const root = join(await tempDir(t), 'root');
  const writer = runWorker(['write-image', root, 'localhost/race:1'], { TSBUILD_FAILPOINTS: 'images.write.beforeTag=sleep(1500)' });
  await new Promise((r) => setTimeout(r, 800));
  const pruner = runWorker(['prune', root, '1'], { TSBUILD_FAILPOINTS: 'prune.afterRoots=sleep(2000)' });
  const [w, p] = await Promise.all([writer, pruner]);
  t.true(w.ok, `${w.code} ${w.message} ${w.stderr}`);
  t.true(p.ok, `${p.code} ${p.message} ${p.stderr}`);
  const store = await openStore(root);
  t.teardown(() => store.close());
  const img = await store.images.resolve('localhost/race:1');
  t.truthy(img);
  t.is(img?.manifestDigest, (w.result as { manifest: string }).manifest);
  for (const l of img!.layers) t.truthy(await store.blobs.getBytes(l.blob.digest, 1 << 20));
});
