// TAR-07: devices, fifos, setuid, ownership and ADD --chown.
import test from 'ava';
import { lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import { file, tar } from './helpers/raw-tar.js';
import { applyTar } from './helpers/apply.js';
import { makeSandbox } from './helpers/sandbox.js';

test('block/char devices and fifos are made with mknod; extracting a fifo does not block', async (t) => {
  const sb = makeSandbox(t);
  const code = await applyTar(sb.R, tar(
    { name: 'disk', type: '4', devmajor: 8, devminor: 0, mode: 0o660 },
    { name: 'null', type: '3', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'fifo', type: '6', mode: 0o600 },
  ));
  t.is(code, undefined);
  const disk = lstatSync(path.join(sb.R, 'disk'));
  t.true(disk.isBlockDevice());
  t.is(disk.rdev, (8 << 8) | 0);
  t.is(disk.mode & 0o7777, 0o660);
  t.is(lstatSync(path.join(sb.R, 'null')).rdev, (1 << 8) | 3);
  t.true(lstatSync(path.join(sb.R, 'fifo')).isFIFO());
});

test('a 0/0 char device is refused in overlay mode (it would act as a whiteout)', async (t) => {
  const sb = makeSandbox(t);
  t.is(await applyTar(sb.R, tar({ name: 'wh', type: '3', devmajor: 0, devminor: 0 }), { mode: 'overlay' }), 'EINVALIDARCHIVE');
});

test('setuid/setgid/sticky bits, numeric owners and mtimes are applied', async (t) => {
  const sb = makeSandbox(t);
  t.is(await applyTar(sb.R, tar(
    { ...file('su', 'x', 0o4755), uid: 1000, gid: 2000, mtime: 1234567890 },
    { name: 'tmp', type: '5', mode: 0o1777 },
    { ...file('big', 'x'), pax: { uid: '3000000000', gid: '3000000001' } },
  )), undefined);
  const su = lstatSync(path.join(sb.R, 'su'));
  t.is(su.mode & 0o7777, 0o4755);
  t.is(su.uid, 1000);
  t.is(su.gid, 2000);
  t.is(su.mtimeMs, 1234567890 * 1000);
  t.is(lstatSync(path.join(sb.R, 'tmp')).mode & 0o7777, 0o1777);
  t.is(statSync(path.join(sb.R, 'big')).uid, 3000000000);
});

test('uid -1 (4294967295) is refused: chown would read it as "unchanged"', async (t) => {
  const sb = makeSandbox(t);
  t.is(await applyTar(sb.R, tar({ ...file('x'), pax: { uid: '4294967295' } })), 'EINVALIDARCHIVE');
});

test('chown option overrides every owner (ADD --chown)', async (t) => {
  const sb = makeSandbox(t);
  t.is(await applyTar(sb.R, tar({ ...file('a', 'x', 0o4755), uid: 5 }, { name: 'd', type: '5', uid: 6 }), { chown: { uid: 42, gid: 43 } }), undefined);
  for (const p of ['a', 'd']) {
    const st = lstatSync(path.join(sb.R, p));
    t.is(st.uid, 42);
    t.is(st.gid, 43);
  }
  t.is(lstatSync(path.join(sb.R, 'a')).mode & 0o7777, 0o4755); // chmod after chown keeps setuid
});
