import test from 'ava';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isStoreError } from '../../src/errors.js';
import { prune } from '../../src/manage/prune.js';
import { sha256, tempStore } from '../helpers/temp-root.js';

test('put/get/delete a record; keys never become paths', async (t) => {
  const store = await tempStore(t);
  const key = '../../etc/passwd\u0000 any key';
  await store.cache.put(key, { refs: [sha256('x')], value: { layer: 1 } });
  t.deepEqual(await store.cache.get(key), { refs: [sha256('x')], value: { layer: 1 } });
  t.deepEqual((await readdir(join(store.root, 'cache'))).map((n) => /^[0-9a-f]{64}\.json$/.test(n)), [true]);
  await store.cache.put(key, { refs: [], value: 2 });
  t.deepEqual(await store.cache.get(key), { refs: [], value: 2 });
  await store.cache.delete(key);
  await store.cache.delete(key);
  t.is(await store.cache.get(key), undefined);
});

test('refs must be digests (EINVALIDDIGEST)', async (t) => {
  const store = await tempStore(t);
  t.true(isStoreError(await t.throwsAsync(store.cache.put('k', { refs: ['sha256:../x'], value: 1 })), 'EINVALIDDIGEST'));
});

test('prune keeps the blobs of kept records and drops them with cache: all', async (t) => {
  const store = await tempStore(t);
  const kept = await store.blobs.putBytes(Buffer.from('kept by a record'));
  const loose = await store.blobs.putBytes(Buffer.from('loose'));
  await store.cache.put('k', { refs: [kept.digest], value: null });
  // Leases of this (live) process protect both until it closes; a fresh process sees only the record.
  await store.close();
  const { openStore } = await import('../../src/store.js');
  const again = await openStore(store.root);
  t.teardown(() => again.close());
  const r = await prune(again);
  t.deepEqual(r.blobs, [loose.digest]);
  t.truthy(await again.blobs.stat(kept.digest));
  const all = await prune(again, { cache: 'all' });
  t.is(all.cacheRecords, 1);
  t.deepEqual(all.blobs, [kept.digest]);
});
