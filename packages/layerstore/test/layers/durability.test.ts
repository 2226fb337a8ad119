// Snapshots are written without fsync and recorded as "unsynced under boot <id>". Under another boot
// they are dropped and unpacked again from the (fsynced, verified) blob; records of older stores
// (the name alone) are taken as on disk.
import test from 'ava';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fsx } from '../../src/native.js';
import { isStoreError, type LayerRef } from '../../src/index.js';
import { currentBootId, overrideBootIdForTests } from '../../src/layers/snapshots.js';
import { makeStore, makeUpper, type TestStore } from './helpers/store.js';

const OTHER_BOOT = '00000000-1111-2222-3333-444444444444';

/** Every entry below `dir` with its type, mode, owner, size and content: what "the same tree" means. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const r = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(p);
      const kind = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : 'o';
      const opaque = fsx.lgetxattr(p, 'trusted.overlay.opaque') !== null ? ' opaque' : '';
      out.push(`${r} ${kind} ${st.mode.toString(8)} ${st.uid}:${st.gid}${opaque}${kind === 'f' ? ` ${readFileSync(p, 'utf8')}` : ''}`);
      if (kind === 'd') walk(p, r);
    }
  };
  walk(dir, '');
  return out;
}

async function sampleLayer(s: TestStore): Promise<LayerRef & { snapshotDir: string }> {
  const u = makeUpper(s);
  mkdirSync(path.join(u, 'etc'));
  writeFileSync(path.join(u, 'etc/os-release'), 'ID=test\n');
  fsx.mknod(path.join(u, 'gone'), 0o20000, 0, 0);
  mkdirSync(path.join(u, 'opq'));
  fsx.lsetxattr(path.join(u, 'opq'), 'trusted.overlay.opaque', Buffer.from('y'));
  writeFileSync(path.join(u, 'opq/kept'), 'k');
  return s.layers.commit(u, { sourceDateEpoch: 1_700_000_000 });
}

function recordPath(s: TestStore, diffID: string): string {
  return path.join(s.root, 'layers', diffID.slice(7), 'snapshot');
}

test('boot id: the kernel one', (t) => {
  t.is(currentBootId(), readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
});

test('a committed snapshot is recorded as unsynced under this boot, and used as it is under it', async (t) => {
  const s = makeStore(t);
  const layer = await sampleLayer(s);
  t.is(readFileSync(recordPath(s, layer.diffID), 'utf8'), `${path.basename(layer.snapshotDir)}\nunsynced ${currentBootId()}\n`);
  t.is(await s.layers.snapshot(layer), layer.snapshotDir);
});

test('a snapshot left unsynced by another boot is dropped and unpacked again from the blob', async (t) => {
  const s = makeStore(t);
  const layer = await sampleLayer(s);
  const before = listing(layer.snapshotDir);
  const name = path.basename(layer.snapshotDir);
  // What a power loss could leave: the record (fsynced) names a dir whose files never reached the disk.
  writeFileSync(recordPath(s, layer.diffID), `${name}\nunsynced ${OTHER_BOOT}\n`);
  writeFileSync(path.join(layer.snapshotDir, 'etc/os-release'), '');
  rmSync(path.join(layer.snapshotDir, 'opq/kept'));

  const again = await s.layers.snapshot(layer);
  t.deepEqual(listing(again), before);
  t.is(readFileSync(recordPath(s, layer.diffID), 'utf8'), `${path.basename(again)}\nunsynced ${currentBootId()}\n`);
  t.deepEqual(readdirSync(s.snapshotsDir), [path.basename(again)], 'the torn dir is gone');
  t.deepEqual(readdirSync(s.tmpDir).filter((n) => n.startsWith('trash-')), []);
});

test('a record of an older store (the name alone) is taken as on disk', async (t) => {
  const s = makeStore(t);
  const layer = await sampleLayer(s);
  writeFileSync(recordPath(s, layer.diffID), path.basename(layer.snapshotDir));
  t.is(await s.layers.snapshot(layer), layer.snapshotDir);
});

test('a stale record whose dir is missing is forgotten, and the layer unpacked', async (t) => {
  const s = makeStore(t);
  const layer = await sampleLayer(s);
  const before = listing(layer.snapshotDir);
  writeFileSync(recordPath(s, layer.diffID), `${path.basename(layer.snapshotDir)}\nunsynced ${OTHER_BOOT}\n`);
  rmSync(layer.snapshotDir, { recursive: true });
  t.deepEqual(listing(await s.layers.snapshot(layer)), before);
});

test('commit of a layer whose snapshot is stale adopts the new upper dir in its place', async (t) => {
  const s = makeStore(t);
  const layer = await sampleLayer(s);
  const oldName = path.basename(layer.snapshotDir);
  writeFileSync(recordPath(s, layer.diffID), `${oldName}\nunsynced ${OTHER_BOOT}\n`);
  const again = await sampleLayer(s);
  t.is(again.diffID, layer.diffID);
  t.true(existsSync(again.snapshotDir));
  t.deepEqual(readdirSync(s.snapshotsDir), [path.basename(again.snapshotDir)]);
  t.is(await s.layers.snapshot(layer), again.snapshotDir);
});

test('concurrent snapshot() calls on a stale record unpack once', async (t) => {
  const s = makeStore(t);
  const layer = await sampleLayer(s);
  writeFileSync(recordPath(s, layer.diffID), `${path.basename(layer.snapshotDir)}\nunsynced ${OTHER_BOOT}\n`);
  const dirs = await Promise.all([s.layers.snapshot(layer), s.layers.snapshot(layer), s.layers.snapshot(layer)]);
  t.is(new Set(dirs).size, 1);
  t.deepEqual(readdirSync(s.snapshotsDir), [path.basename(dirs[0])]);
});

test('a record with an unknown line is ECORRUPT', async (t) => {
  const s = makeStore(t);
  const layer = await sampleLayer(s);
  writeFileSync(recordPath(s, layer.diffID), `${path.basename(layer.snapshotDir)}\nsynced maybe\n`);
  const e = await t.throwsAsync(s.layers.snapshot(layer));
  t.true(isStoreError(e, 'ECORRUPT'));
});

test.serial('with no readable boot id, what this process published stays trusted; another process\'s is unpacked again', async (t) => {
  overrideBootIdForTests('unknown');
  t.teardown(() => overrideBootIdForTests(undefined));
  const s = makeStore(t);
  const layer = await sampleLayer(s);
  const name = path.basename(layer.snapshotDir);
  t.is(readFileSync(recordPath(s, layer.diffID), 'utf8'), `${name}\nunsynced unknown\n`);
  const ino = lstatSync(layer.snapshotDir).ino;
  // A parallel stage may be using the dir as a lower already: it must not be dropped and unpacked again.
  t.is(await s.layers.snapshot(layer), layer.snapshotDir);
  t.is(lstatSync(layer.snapshotDir).ino, ino);
  // A record some other process wrote under an unknown boot id proves nothing: unpacked again.
  const other = `${name.slice(0, 8)}-zz`;
  mkdirSync(path.join(s.snapshotsDir, other));
  writeFileSync(recordPath(s, layer.diffID), `${other}\nunsynced unknown\n`);
  const again = await s.layers.snapshot(layer);
  t.not(path.basename(again), other);
  t.deepEqual(listing(again), listing(layer.snapshotDir));
});
