// lstatDir (fsx addon): one call lists a directory with every entry's lstat, exactly as Node's own
// BigIntStats would describe it, sorted by name bytes.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LSTAT_DIR_STRIDE, compareNames, lstatDir } from '../../src/index.js';

function makeDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsb-lstatdir-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const bytes = (dir: string, name: Buffer): Buffer => Buffer.concat([Buffer.from(`${dir}/`), name]);

test('every entry with the stat key and numbers BigIntStats gives, sorted like compareNames', (t) => {
  const dir = makeDir(t);
  const names = ['b', 'a', 'Z', 'é', '😀', 'a-b', 'a.b', 'sub', 'link', 'x'.repeat(255)];
  for (const n of names.filter((n) => n !== 'sub' && n !== 'link')) writeFileSync(path.join(dir, n), n);
  mkdirSync(path.join(dir, 'sub'), 0o750);
  symlinkSync('nowhere', path.join(dir, 'link'));
  utimesSync(path.join(dir, 'a'), new Date(-1500), new Date(-1500)); // before 1970, sub-second
  const { names: got, keys, info } = lstatDir(dir);
  t.deepEqual(got, [...names].sort(compareNames));
  got.forEach((n, i) => {
    const s = lstatSync(path.join(dir, n as string), { bigint: true });
    t.is(keys[i], `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.mode}`, String(n));
    t.deepEqual([...info.subarray(i * LSTAT_DIR_STRIDE, (i + 1) * LSTAT_DIR_STRIDE)],
      [Number(s.mode), Number(s.size), Number(s.uid), Number(s.gid), Number(s.mtimeMs)], String(n));
  });
});

test('a name that is not UTF-8 comes as its bytes; a valid one, even with U+FFFD, as a string', (t) => {
  const dir = makeDir(t);
  const invalid = [Buffer.from([0x62, 0xff, 0xfe]), Buffer.from([0x6f, 0xed, 0xa0, 0x80]), Buffer.from([0x61, 0xc0, 0x80]), Buffer.from([0x61, 0xe2, 0x82])];
  for (const n of invalid) writeFileSync(bytes(dir, n), 'x');
  writeFileSync(path.join(dir, 'lit-\uFFFD'), 'x');
  const { names } = lstatDir(dir);
  t.deepEqual(names.filter((n) => typeof n === 'string'), ['lit-\uFFFD']);
  const raw = names.filter((n): n is Buffer => Buffer.isBuffer(n));
  t.deepEqual(raw.map((b) => b.toString('hex')), invalid.map((b) => b.toString('hex')).sort());
  // A Buffer path works too (a directory whose own name is not UTF-8).
  mkdirSync(bytes(dir, Buffer.from([0x64, 0xff])));
  writeFileSync(Buffer.concat([bytes(dir, Buffer.from([0x64, 0xff])), Buffer.from('/f')]), 'x');
  t.deepEqual(lstatDir(bytes(dir, Buffer.from([0x64, 0xff]))).names, ['f']);
});

test('errors carry code, syscall and path', (t) => {
  const dir = makeDir(t);
  writeFileSync(path.join(dir, 'file'), 'x');
  const missing = t.throws(() => lstatDir(path.join(dir, 'missing')));
  t.like(missing, { code: 'ENOENT', syscall: 'opendir', path: path.join(dir, 'missing') });
  t.like(t.throws(() => lstatDir(path.join(dir, 'file'))), { code: 'ENOTDIR' });
  t.deepEqual(lstatDir(dir).names, ['file']);
});

test('times past 2262 and sub-second times before 1970 are exact, as BigIntStats gives them', (t) => {
  const dir = makeDir(t);
  // ns since 1970 overflow 64 bits after 2262-04-11 (ext4 keeps times to 2446); before 1970 the ms
  // are the ns divided by 10^6 toward zero, as BigInt division rounds.
  const when: Record<string, string> = { late: '2300-01-01 00:00:00.123456789 UTC', early: '1969-12-31 23:59:58.9999999 UTC' };
  for (const [name, date] of Object.entries(when)) {
    writeFileSync(path.join(dir, name), name);
    t.is(spawnSync('touch', ['-h', '-d', date, path.join(dir, name)]).status, 0);
  }
  const { names, keys, info } = lstatDir(dir);
  names.forEach((n, i) => {
    const s = lstatSync(path.join(dir, n as string), { bigint: true });
    t.is(keys[i], `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.mode}`, String(n));
    t.is(info[i * LSTAT_DIR_STRIDE + 4], Number(s.mtimeMs), String(n));
  });
  t.is(info[names.indexOf('early') * LSTAT_DIR_STRIDE + 4], -1001 + 1, 'rounded toward zero');
});

test('nofollow refuses a directory that is a symlink; without it the link is listed through', (t) => {
  const dir = makeDir(t);
  mkdirSync(path.join(dir, 'real'));
  writeFileSync(path.join(dir, 'real/f'), 'x');
  symlinkSync('real', path.join(dir, 'link'));
  t.deepEqual(lstatDir(path.join(dir, 'link')).names, ['f']);
  const e = t.throws(() => lstatDir(path.join(dir, 'link'), true)) as NodeJS.ErrnoException;
  t.true(e.code === 'ELOOP' || e.code === 'ENOTDIR', String(e.code));
  t.deepEqual(lstatDir(path.join(dir, 'real'), true).names, ['f']);
});
