// snapshot(), import() and compressed() on a real store.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fsx } from '../../src/native.js';
import { isStoreError, type LayerRef } from '../../src/index.js';
import { makeStore, makeUpper, type TestStore } from './helpers/store.js';
import { walkDir } from './helpers/layout.js';
import { haveOcitool } from './helpers/layout.js';

/** Tests that check our layers with the shared independent reader (ocitool.py) run where it is. */
const withReader = haveOcitool() ? test : test.skip;
import { mountReadOnly } from './helpers/overlay.js';
import { dir, file, streamOf, tar } from './helpers/raw-tar.js';

function blobPath(s: TestStore, digest: string): string {
  return path.join(s.root, 'blobs/sha256', digest.slice(7));
}

async function sampleLayer(s: TestStore): Promise<LayerRef & { snapshotDir: string }> {
  const u = makeUpper(s);
  mkdirSync(path.join(u, 'etc'));
  writeFileSync(path.join(u, 'etc/os-release'), 'ID=test\n'.repeat(1000));
  fsx.mknod(path.join(u, 'gone'), 0o20000, 0, 0); // overlay whiteout
  mkdirSync(path.join(u, 'opq'));
  fsx.lsetxattr(path.join(u, 'opq'), 'trusted.overlay.opaque', Buffer.from('y'));
  writeFileSync(path.join(u, 'opq/kept'), 'k');
  symlinkSync('/etc/os-release', path.join(u, 'os'));
  return s.layers.commit(u, { sourceDateEpoch: 1_700_000_000 });
}

withReader('import of a gzip layer computes its diffID; snapshot() unpacks the overlay way', async (t) => {
  const a = makeStore(t);
  const layer = await sampleLayer(a);
  const gz = await a.layers.compressed(layer, 'gzip');
  t.is(gz.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');

  const b = makeStore(t);
  const imported = await b.layers.import(createReadStream(blobPath(a, gz.digest)), gz.mediaType, {
    digest: gz.digest, size: gz.size, diffID: layer.diffID,
  });
  t.is(imported.diffID, layer.diffID);
  t.is(imported.blob.digest, gz.digest);
  const snap = await b.layers.snapshot(imported);
  t.is(walkDir(snap), walkDir(layer.snapshotDir));
  t.is(fsx.lgetxattr(path.join(snap, 'opq'), 'trusted.overlay.opaque')?.toString(), 'y');
  t.is(await b.layers.snapshot(imported), snap);
  t.deepEqual(await b.layers.lookup(layer.diffID), imported);
});

test('concurrent snapshot() calls unpack once', async (t) => {
  const a = makeStore(t);
  const layer = await sampleLayer(a);
  const b = makeStore(t);
  const ref = await b.layers.import(createReadStream(blobPath(a, layer.blob.digest)), layer.blob.mediaType, { digest: layer.blob.digest });
  const dirs = await Promise.all([b.layers.snapshot(ref), b.layers.snapshot(ref), b.layers.snapshot(ref)]);
  t.is(new Set(dirs).size, 1);
  t.is(readdirSync(b.snapshotsDir).length, 1);
});

test('import refuses a wrong diffID with EINTEGRITY', async (t) => {
  const a = makeStore(t);
  const layer = await sampleLayer(a);
  const b = makeStore(t);
  const e = await t.throwsAsync(b.layers.import(createReadStream(blobPath(a, layer.blob.digest)), layer.blob.mediaType, {
    diffID: 'sha256:' + '0'.repeat(64),
  }));
  t.true(isStoreError(e, 'EINTEGRITY'));
  t.is(await b.layers.lookup(layer.diffID), undefined);
});

test('import sniffs the compression when the media type does not say', async (t) => {
  const a = makeStore(t);
  const layer = await sampleLayer(a);
  const zst = await a.layers.compressed(layer, 'zstd');
  const b = makeStore(t);
  const ref = await b.layers.import(createReadStream(blobPath(a, zst.digest)), 'application/octet-stream', {});
  t.is(ref.diffID, layer.diffID);
});

test('snapshot() refuses a blob whose content is not the diffID', async (t) => {
  const a = makeStore(t);
  const layer = await sampleLayer(a);
  const b = makeStore(t);
  const ref = await b.layers.import(createReadStream(blobPath(a, layer.blob.digest)), layer.blob.mediaType, {});
  const e = await t.throwsAsync(b.layers.snapshot({ diffID: 'sha256:' + '1'.repeat(64), blob: ref.blob }));
  t.true(isStoreError(e, 'EINTEGRITY'));
  t.is(readdirSync(b.snapshotsDir).length, 0);
});

test('compressed() is deterministic, fixed-header gzip and zstd, recorded for the next call', async (t) => {
  const a = makeStore(t);
  const b = makeStore(t);
  const la = await sampleLayer(a);
  const lb = await sampleLayer(b);
  t.is(la.diffID, lb.diffID);
  for (const c of ['gzip', 'zstd'] as const) {
    const da = await a.layers.compressed(la, c);
    const db = await b.layers.compressed(lb, c);
    t.is(da.digest, db.digest, c);
    t.deepEqual(await a.layers.compressed(la, c), da);
  }
  const gz = await a.layers.compressed(la, 'gzip');
  const bytes = readFileSync(blobPath(a, gz.digest));
  t.deepEqual([...bytes.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  t.deepEqual(gunzipSync(bytes), readFileSync(blobPath(a, la.blob.digest)));
  execFileSync('gzip', ['-t', blobPath(a, gz.digest)]);
  const zst = await a.layers.compressed(la, 'zstd');
  t.deepEqual(execFileSync('zstd', ['-dc', blobPath(a, zst.digest)]), readFileSync(blobPath(a, la.blob.digest)));
  const none = await a.layers.compressed(la, 'none');
  t.is(none.digest, la.blob.digest);
});

test('compressed(none) of a gzip-imported layer decompresses it to the diffID', async (t) => {
  const a = makeStore(t);
  const layer = await sampleLayer(a);
  const gz = await a.layers.compressed(layer, 'gzip');
  const b = makeStore(t);
  const ref = await b.layers.import(createReadStream(blobPath(a, gz.digest)), gz.mediaType, {});
  const none = await b.layers.compressed(ref, 'none');
  t.is(none.digest, layer.diffID);
  const z = await b.layers.compressed(ref, 'zstd');
  t.is(z.digest, (await a.layers.compressed(layer, 'zstd')).digest);
});

test.serial('TAR-10: a layer whose dir carries trusted.overlay.opaque does not hide the lower layer', async (t) => {
  const s = makeStore(t);
  const lower = makeUpper(s);
  mkdirSync(path.join(lower, 'd'));
  writeFileSync(path.join(lower, 'd/lowerfile'), 'from layer 1');
  const l1 = await s.layers.commit(lower);
  const evil = tar({ ...dir('d'), pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y' } }, file('d/upperfile', 'from layer 2'));
  const l2 = await s.layers.import(streamOf(evil), 'application/vnd.oci.image.layer.v1.tar', {});
  const snap2 = await s.layers.snapshot(l2);
  const ro = mountReadOnly(t, [snap2, l1.snapshotDir], mkdtempSync(path.join(s.tmpDir, 'ro-')));
  t.deepEqual(readdirSync(path.join(ro.merged, 'd')).sort(), ['lowerfile', 'upperfile']);
  ro.unmount();
});

withReader('a snapshot dir removed behind the store is unpacked again', async (t) => {
  const a = makeStore(t);
  const layer = await sampleLayer(a);
  const listing = walkDir(layer.snapshotDir);
  rmSync(layer.snapshotDir, { recursive: true });
  const again = await a.layers.snapshot(layer);
  t.is(walkDir(again), listing);
});
