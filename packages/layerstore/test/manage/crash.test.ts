// CRASH-01 for the blob and index paths: SIGKILL a real process at a failpoint, then verify
// reports only what recovery may leave (stale temps), repair/recovery clears it, and the same
// put succeeds afterwards.
import test from 'ava';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore } from '../../src/store.js';
import { verify } from '../../src/manage/verify.js';
import { tempDir } from '../helpers/temp-root.js';
import { runWorker } from '../helpers/spawn-worker.js';

const points = ['blobs.put.afterWrite', 'blobs.put.afterFsync', 'blobs.put.beforeRename', 'blobs.put.afterRename'];

for (const point of points) {
  test(`CRASH-01: SIGKILL at ${point}, then verify, recovery and a second put`, async (t) => {
    const root = join(await tempDir(t), 'root');
    const killed = await runWorker(['put', root, 'crash-seed', '2000000'], { TSBUILD_FAILPOINTS: `${point}=kill` });
    t.is(killed.signal, 'SIGKILL');
    const blobsAfterKill = await readdir(join(root, 'blobs/sha256'));
    // Nothing unverified ever reaches a final path: either no blob or the complete one.
    t.true(blobsAfterKill.length <= 1);

    const inspect = await openStore(root, { skipRecovery: true });
    t.teardown(() => inspect.close());
    const before = await verify(inspect);
    t.deepEqual(new Set(before.problems.map((p) => p.code)), new Set(['ESTALETEMP']));
    const repaired = await verify(inspect, { repair: true });
    t.true(repaired.ok);
    t.true((await verify(inspect)).ok);

    const again = await runWorker(['put', root, 'crash-seed', '2000000']);
    t.true(again.ok, again.message);
    t.deepEqual(await readdir(join(root, 'blobs/sha256')), [(again.result as { digest: string }).digest.slice(7)]);
    t.true((await verify(inspect)).ok);
  });
}

test('CRASH-01: a killed process\'s leftovers are removed by the next open (recovery)', async (t) => {
  const root = join(await tempDir(t), 'root');
  const killed = await runWorker(['put', root, 'seed', '100000'], { TSBUILD_FAILPOINTS: 'blobs.put.afterFsync=kill' });
  t.is(killed.signal, 'SIGKILL');
  t.is((await readdir(join(root, 'tmp'))).length, 1);
  const store = await openStore(root);
  t.teardown(() => store.close());
  t.is(store.recovered.length, 1);
  t.deepEqual(await readdir(join(root, 'tmp')), [store.lease.id]);
  t.true((await verify(store)).ok);
});

test('CRASH-01: SIGKILL before the index rename keeps the old index whole', async (t) => {
  const root = join(await tempDir(t), 'root');
  t.true((await runWorker(['images', root, '0', '1', 'localhost/keep:1'])).ok);
  const killed = await runWorker(['images', root, '1', '1', 'localhost/keep:2'], { TSBUILD_FAILPOINTS: 'index.write.beforeRename=kill' });
  t.is(killed.signal, 'SIGKILL');
  const store = await openStore(root);
  t.teardown(() => store.close());
  t.deepEqual((await store.images.list()).flatMap((i) => i.names), ['localhost/keep:1']);
  t.true((await verify(store)).ok);
});

for (const point of ['images.write.afterConfig', 'images.write.beforeTag']) {
  test(`CRASH-01: SIGKILL at ${point}; verify is clean and the same write then gives the same image`, async (t) => {
    const root = join(await tempDir(t), 'root');
    const killed = await runWorker(['images', root, '7', '1', 'localhost/c:1'], { TSBUILD_FAILPOINTS: `${point}=kill` });
    t.is(killed.signal, 'SIGKILL');
    const again = await runWorker(['images', root, '7', '1', 'localhost/c:1']);
    t.true(again.ok, again.message);
    const fresh = await runWorker(['images', join(await tempDir(t), 'other'), '7', '1', 'localhost/c:1']);
    t.deepEqual((again.result as { written: string[] }).written, (fresh.result as { written: string[] }).written);
    const store = await openStore(root);
    t.teardown(() => store.close());
    t.deepEqual((await verify(store)).problems, []);
    t.is((await store.images.resolve('localhost/c:1'))?.manifestDigest, (again.result as { written: string[] }).written[0]);
  });
}

test('CRASH-01: SIGKILL in the middle of a prune sweep leaves a store that verifies and keeps its tags', async (t) => {
  const root = join(await tempDir(t), 'root');
  for (let i = 0; i < 3; i++) t.true((await runWorker(['put', root, `garbage-${i}`, '1000'])).ok);
  t.true((await runWorker(['images', root, '1', '2', 'localhost/p:1'])).ok);
  const killed = await runWorker(['prune', root, '1'], { TSBUILD_FAILPOINTS: 'prune.afterDelete=kill' });
  t.is(killed.signal, 'SIGKILL');
  const store = await openStore(root);
  t.teardown(() => store.close());
  t.deepEqual((await verify(store)).problems, []);
  const resolved = await runWorker(['resolve-all', root]);
  t.deepEqual(Object.keys(resolved.result as object), ['localhost/p:1']);
});
