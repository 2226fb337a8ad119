// lstatDir (fsx addon): one call lists a directory with every entry's lstat, exactly as Node's own
// BigIntStats would describe it, sorted by name bytes.
import test from 'ava';
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
