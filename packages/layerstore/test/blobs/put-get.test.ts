import test from 'ava';
import { readdir, readFile, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isStoreError } from '../../src/errors.js';
import { openStore } from '../../src/store.js';
import { collect, sha256, tempStore } from '../helpers/temp-root.js';

test('put stores a verified blob 0444 in a 0700 root (STO-01) and get reads it back', async (t) => {
  const store = await tempStore(t);
  const data = Buffer.from('hello blob');
  const r = await store.blobs.put(Readable.from([data]), { digest: sha256(data), size: data.length });
  t.deepEqual(r, { digest: sha256(data), size: data.length });
  const path = join(store.root, 'blobs/sha256', r.digest.slice(7));
  t.is((await stat(path)).mode & 0o777, 0o444);
  t.is((await stat(store.root)).mode & 0o777, 0o700);
  t.deepEqual(await collect(await store.blobs.get(r.digest)), data);
  t.deepEqual(await store.blobs.getBytes(r.digest, 100), data);
  t.deepEqual(await store.blobs.stat(r.digest), { size: data.length });
});

test('put without expectations computes the digest; putBytes is the same', async (t) => {
  const store = await tempStore(t);
  const big = Buffer.alloc(5 * 1024 * 1024 + 3, 7);
  const r = await store.blobs.put(Readable.from([big.subarray(0, 1000), big.subarray(1000)]));
  t.is(r.digest, sha256(big));
  t.is(r.size, big.length);
  t.deepEqual(await store.blobs.putBytes(big), r);
});

test('put with a wrong digest fails EINTEGRITY and leaves nothing behind', async (t) => {
  const store = await tempStore(t);
  const e = await t.throwsAsync(store.blobs.putBytes(Buffer.from('x'), { digest: sha256('y') }));
  t.true(isStoreError(e, 'EINTEGRITY'));
  t.deepEqual(await readdir(join(store.root, 'blobs/sha256')), []);
  t.deepEqual(await readdir(store.lease.tmpDir), []);
});

test('put with a wrong size fails EBADSIZE, both shorter and longer', async (t) => {
  const store = await tempStore(t);
  t.true(isStoreError(await t.throwsAsync(store.blobs.putBytes(Buffer.from('abc'), { size: 2 })), 'EBADSIZE'));
  t.true(isStoreError(await t.throwsAsync(store.blobs.putBytes(Buffer.from('abc'), { size: 4 })), 'EBADSIZE'));
  t.deepEqual(await readdir(store.lease.tmpDir), []);
});

test('a source failing at its very end fails the put and leaves nothing', async (t) => {
  const store = await tempStore(t);
  async function* failing() {
    yield Buffer.from('part');
    throw new Error('connection reset');
  }
  await t.throwsAsync(store.blobs.put(failing()));
  t.deepEqual(await readdir(join(store.root, 'blobs/sha256')), []);
  t.deepEqual(await readdir(store.lease.tmpDir), []);
});

test('invalid expected digest is refused before any file is made', async (t) => {
  const store = await tempStore(t);
  t.true(isStoreError(await t.throwsAsync(store.blobs.putBytes(Buffer.from('x'), { digest: 'sha256:../../etc/passwd' })), 'EINVALIDDIGEST'));
  t.true(isStoreError(await t.throwsAsync(store.blobs.get('sha256:../x')), 'EINVALIDDIGEST'));
  t.deepEqual(await readdir(store.lease.tmpDir), []);
});

test('get of a missing blob is ENOTFOUND', async (t) => {
  const store = await tempStore(t);
  t.true(isStoreError(await t.throwsAsync(store.blobs.get(sha256('nope'))), 'ENOTFOUND'));
  t.true(isStoreError(await t.throwsAsync(store.blobs.getBytes(sha256('nope'), 10)), 'ENOTFOUND'));
  t.is(await store.blobs.stat(sha256('nope')), undefined);
});

test('get of a corrupted blob fails EINTEGRITY at the end of the stream; getBytes too', async (t) => {
  const store = await tempStore(t);
  const data = Buffer.alloc(3 * 1024 * 1024, 1);
  const { digest } = await store.blobs.putBytes(data);
  const path = join(store.root, 'blobs/sha256', digest.slice(7));
  await chmod(path, 0o644);
  const bad = Buffer.from(data);
  bad[bad.length - 1] = 2;
  await writeFile(path, bad);
  t.true(isStoreError(await t.throwsAsync(collect(await store.blobs.get(digest))), 'EINTEGRITY'));
  t.true(isStoreError(await t.throwsAsync(store.blobs.getBytes(digest, 1 << 30)), 'EINTEGRITY'));
  t.true(isStoreError(await t.throwsAsync(collect(await store.blobs.get(digest, { size: data.length + 1 }))), 'EINTEGRITY'));
});

test('getBytes refuses blobs over the cap (ETOOLARGE)', async (t) => {
  const store = await tempStore(t);
  const { digest } = await store.blobs.putBytes(Buffer.alloc(100));
  t.true(isStoreError(await t.throwsAsync(store.blobs.getBytes(digest, 99)), 'ETOOLARGE'));
});

test('put of an existing digest succeeds; a torn existing file (wrong size) is replaced', async (t) => {
  const store = await tempStore(t);
  const data = Buffer.from('same bytes');
  const a = await store.blobs.putBytes(data);
  t.deepEqual(await store.blobs.putBytes(data), a);
  const path = join(store.root, 'blobs/sha256', a.digest.slice(7));
  await chmod(path, 0o644);
  await writeFile(path, '');
  t.deepEqual(await store.blobs.putBytes(data), a);
  t.deepEqual(await readFile(path), data);
});

test('concurrent puts of one digest in one process all succeed, one file', async (t) => {
  const store = await tempStore(t);
  const data = Buffer.alloc(256 * 1024, 9);
  const results = await Promise.all(Array.from({ length: 20 }, () => store.blobs.putBytes(data)));
  t.true(results.every((r) => r.digest === sha256(data)));
  t.deepEqual(await readdir(join(store.root, 'blobs/sha256')), [sha256(data).slice(7)]);
});

test('list yields only valid digests; delete removes and is idempotent', async (t) => {
  const store = await tempStore(t);
  const a = await store.blobs.putBytes(Buffer.from('a'));
  const b = await store.blobs.putBytes(Buffer.from('b'));
  await writeFile(join(store.root, 'blobs/sha256', 'stray'), 'x');
  const listed: string[] = [];
  for await (const d of store.blobs.list()) listed.push(d);
  t.deepEqual(listed, [a.digest, b.digest].sort());
  await store.blobs.delete(a.digest);
  await store.blobs.delete(a.digest);
  t.is(await store.blobs.stat(a.digest), undefined);
});

test('puts are leased by the process that made them', async (t) => {
  const store = await tempStore(t);
  const a = await store.blobs.putBytes(Buffer.from('lease me'));
  t.true(store.lease.has(a.digest));
});

test('putBytes of a blob already stored writes nothing: same file, still leased', async (t) => {
  const first = await tempStore(t);
  const data = Buffer.from('config bytes');
  const a = await first.blobs.putBytes(data);
  // A second opening of the root stands for another process: it holds no lease on the blob yet.
  const store = await openStore(first.root);
  t.teardown(() => store.close());
  t.false(store.lease.has(a.digest));
  const path = join(store.root, 'blobs/sha256', a.digest.slice(7));
  const before = await stat(path);
  t.deepEqual(await store.blobs.putBytes(data, { digest: a.digest, size: data.length }), a);
  const after = await stat(path);
  t.is(after.ino, before.ino);
  t.is(after.mtimeMs, before.mtimeMs);
  t.true(store.lease.has(a.digest));
  t.deepEqual(await readdir(store.lease.tmpDir), []);
  // Expectations still hold on the fast path.
  t.true(isStoreError(await t.throwsAsync(store.blobs.putBytes(data, { size: data.length + 1 })), 'EBADSIZE'));
  t.true(isStoreError(await t.throwsAsync(store.blobs.putBytes(data, { digest: sha256('other') })), 'EINTEGRITY'));
});
