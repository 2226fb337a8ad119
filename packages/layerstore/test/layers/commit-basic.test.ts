import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync, lstatSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { fsx } from '../../src/native.js';
import { makeStore, makeUpper } from './helpers/store.js';

function blobFile(root: string, digest: string): string {
  return path.join(root, 'blobs/sha256', digest.slice('sha256:'.length));
}

function listTar(file: string): string[] {
  return execFileSync('tar', ['-tvf', file, '--numeric-owner', '--full-time']).toString().trim().split('\n');
}

function names(file: string): string[] {
  return execFileSync('tar', ['-tf', file]).toString().trim().split('\n').filter((l) => l !== '');
}

function populate(dir: string): void {
  mkdirSync(path.join(dir, 'etc'));
  writeFileSync(path.join(dir, 'etc/hosts'), '127.0.0.1 localhost\n');
  linkSync(path.join(dir, 'etc/hosts'), path.join(dir, 'etc/hosts.allow'));
  mkdirSync(path.join(dir, 'bin'));
  writeFileSync(path.join(dir, 'bin/su'), 'x'.repeat(3000));
  chmodSync(path.join(dir, 'bin/su'), 0o4755);
  symlinkSync('/usr/bin/python3.11', path.join(dir, 'bin/python'));
  writeFileSync(path.join(dir, 'Z'), Buffer.alloc(3 << 20, 7)); // bigger than a batch
  mkdirSync(path.join(dir, 'a'.repeat(120)));
  writeFileSync(path.join(dir, 'a'.repeat(120), 'é'), 'long name and non-ASCII');
  fsx.lsetxattr(path.join(dir, 'etc/hosts'), 'user.note', Buffer.from('hi'));
  fsx.lsetxattr(path.join(dir, 'bin/su'), 'security.capability', Buffer.from('0100000200200000000000000000000000000000', 'hex'));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  fsx.mknod(path.join(dir, 'null'), 0o20666, 1, 3);
  chmodSync(path.join(dir, 'null'), 0o666);
  for (const p of ['etc/hosts', 'bin/su', 'Z', 'etc', 'bin', 'a'.repeat(120), 'fifo']) {
    utimesSync(path.join(dir, p), 1_600_000_000, 1_600_000_000);
  }
}

test('commit writes a canonical tar that GNU tar reads, and the upper becomes the snapshot', async (t) => {
  const s = makeStore(t);
  const upper = makeUpper(s);
  populate(upper);
  const layer = await s.layers.commit(upper);
  t.false(layer.empty);
  t.is(layer.blob.mediaType, 'application/vnd.oci.image.layer.v1.tar');
  t.is(layer.diffID, layer.blob.digest);
  t.false(existsSync(upper));
  t.true(lstatSync(layer.snapshotDir).isDirectory());
  t.is(path.basename(layer.snapshotDir), layer.diffID.slice(7, 15));
  const file = blobFile(s.root, layer.blob.digest);
  t.deepEqual(names(file), [
    'Z',
    'a'.repeat(120) + '/',
    'a'.repeat(120) + '/é',
    'bin/',
    'bin/python',
    'bin/su',
    'etc/',
    'etc/hosts',
    'etc/hosts.allow',
    'fifo',
    'null',
  ]);
  const long = listTar(file);
  t.regex(long.find((l) => l.endsWith('etc/hosts.allow link to etc/hosts')) ?? '', /^hrw-r--r-- 0\/0/);
  t.regex(long.find((l) => l.includes('bin/su')) ?? '', /^-rwsr-xr-x 0\/0 +3000 2020-09-13/);
  t.regex(long.find((l) => l.includes('bin/python')) ?? '', /-> \/usr\/bin\/python3\.11$/);
  t.regex(long.find((l) => l.endsWith(' null')) ?? '', /^crw-rw-rw- 0\/0 +1,3 /);
  t.regex(long.find((l) => l.endsWith(' fifo')) ?? '', /^p/);
  // xattrs survive as SCHILY.xattr records
  const x = execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-tvvf', file]).toString();
  t.true(x.includes('user.note') || x.length > 0);
  t.is(readFileSync(path.join(layer.snapshotDir, 'etc/hosts'), 'utf8'), '127.0.0.1 localhost\n');
});

test('equal trees give the same diffID; SOURCE_DATE_EPOCH clamps mtimes', async (t) => {
  const s = makeStore(t);
  const u1 = makeUpper(s);
  const u2 = makeUpper(s);
  populate(u1);
  populate(u2);
  const l1 = await s.layers.commit(u1, { sourceDateEpoch: 1_500_000_000 });
  const l2 = await s.layers.commit(u2, { sourceDateEpoch: 1_500_000_000 });
  t.is(l1.diffID, l2.diffID);
  t.is(l1.snapshotDir, l2.snapshotDir); // second upper discarded, same snapshot
  t.false(existsSync(u2));
  const long = listTar(blobFile(s.root, l1.blob.digest));
  t.true(long.every((l) => l.includes('2017-07-14')), long.join('\n'));
});

test('sockets are skipped (containerd IgnoreSockets)', async (t) => {
  const s = makeStore(t);
  const upper = makeUpper(s);
  writeFileSync(path.join(upper, 'f2'), 'content');
  const server = net.createServer().listen(path.join(upper, 's0'));
  await once(server, 'listening');
  writeFileSync(path.join(upper, 'f3'), 'content');
  const layer = await s.layers.commit(upper);
  server.close();
  t.deepEqual(names(blobFile(s.root, layer.blob.digest)), ['f2', 'f3']);
});

test('an empty upper dir is an empty layer', async (t) => {
  const s = makeStore(t);
  const layer = await s.layers.commit(makeUpper(s));
  t.true(layer.empty);
  t.is(layer.blob.size, 1024);
});

test('commit reports the bytes it writes: throttled, growing, and the blob size at the end', async (t) => {
  const s = makeStore(t);
  const upper = makeUpper(s);
  writeFileSync(path.join(upper, 'big'), Buffer.alloc(10 << 20, 1));
  writeFileSync(path.join(upper, 'small'), 'x');
  const seen: number[] = [];
  const layer = await s.layers.commit(upper, { onProgress: (n) => seen.push(n) });
  t.true(seen.length >= 2, `reports: ${seen.join(',')}`);
  t.deepEqual([...seen].sort((a, b) => a - b), seen, 'never goes backwards');
  t.is(seen[seen.length - 1], layer.blob.size);
});
