// prune and verify over snapshots/ and layers/, with the real layer code committing real upper dirs.
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore } from '../../src/store.js';
import { prune } from '../../src/manage/prune.js';
import { verify } from '../../src/manage/verify.js';
import { tempStore } from '../helpers/temp-root.js';
import type { OpenedStore } from '../../src/store.js';

async function commitImage(store: OpenedStore, tag: string, content: string) {
  const area = await store.workArea();
  await writeFile(join(area.upperDir, 'file'), content);
  const layer = await store.layers.commit(area.upperDir);
  await area.dispose();
  await store.images.write({ config: { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } }, layers: [layer], tags: [tag] });
  return layer;
}

test('prune removes the snapshot and records of an untagged layer and keeps a tagged one', async (t) => {
  const first = await tempStore(t);
  const kept = await commitImage(first, 'localhost/keep:1', 'keep');
  const gone = await commitImage(first, 'localhost/gone:1', 'gone');
  t.true(existsSync(kept.snapshotDir) && existsSync(gone.snapshotDir));
  await first.images.untag('localhost/gone:1');
  await first.close();
  const store = await openStore(first.root);
  t.teardown(() => store.close());
  const r = await prune(store);
  t.true(r.layers.includes(`layers/${gone.diffID.slice(7)}`));
  t.false(existsSync(gone.snapshotDir));
  t.true(existsSync(kept.snapshotDir));
  t.deepEqual(await readdir(join(store.root, 'layers')), [kept.diffID.slice(7)]);
  t.true(r.blobs.includes(gone.blob.digest));
  t.deepEqual((await verify(store)).problems, []);
});

test('verify reports an old unclaimed snapshot dir and a record naming a missing one; repair fixes both', async (t) => {
  const store = await tempStore(t);
  const layer = await commitImage(store, 'localhost/v:1', 'v');
  const stray = join(store.root, 'snapshots', 'deadbeef');
  await mkdir(stray);
  const old = new Date(Date.now() - 2 * 3600 * 1000);
  await utimes(stray, old, old);
  // ctime cannot be set back: a fresh unclaimed dir is within the grace period and not reported.
  t.deepEqual((await verify(store)).problems, []);
  const { rm } = await import('node:fs/promises');
  await rm(layer.snapshotDir, { recursive: true });
  const r = await verify(store);
  t.deepEqual(r.problems.map((p) => p.code), ['EMISSINGSNAPSHOT']);
  t.true((await verify(store, { repair: true })).ok);
  t.deepEqual((await verify(store)).problems, []);
  // The layer unpacks again on next use.
  t.true(existsSync(await store.layers.snapshot(layer)));
});
