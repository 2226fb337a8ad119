// node-tar / umoci / containerd advisories, one test each, named after the advisory (SECURITY.md §1.1).
// Every case runs in a sandbox S whose contents outside R must be unchanged.
import test from 'ava';
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { dir, file, hardlink, symlink, tar, type RawEntry } from './helpers/raw-tar.js';
import { applyTar } from './helpers/apply.js';
import { makeSandbox, type Sandbox } from './helpers/sandbox.js';

async function run(t: { is(a: unknown, b: unknown, m?: string): void; teardown(fn: () => void): void }, entries: (sb: Sandbox) => RawEntry[][]) {
  const sb = makeSandbox(t);
  const before = sb.fingerprint();
  const nlink = statSync(path.join(sb.S, 'marker')).nlink;
  const codes: (string | undefined)[] = [];
  for (const layer of entries(sb)) codes.push(await applyTar(sb.R, tar(...layer)));
  t.is(sb.fingerprint(), before, 'nothing outside R changed');
  t.is(statSync(path.join(sb.S, 'marker')).nlink, nlink);
  return { sb, codes };
}

test('CVE-2018-20834: a file written over a hardlink is a new inode', async (t) => {
  const { sb, codes } = await run(t, () => [[file('t', 'target'), hardlink('a', 't'), file('a', 'X')]]);
  t.deepEqual(codes, [undefined]);
  t.is(readFileSync(path.join(sb.R, 't'), 'utf8'), 'target');
  t.is(readFileSync(path.join(sb.R, 'a'), 'utf8'), 'X');
  t.not(statSync(path.join(sb.R, 'a')).ino, statSync(path.join(sb.R, 't')).ino);
});

test('CVE-2018-20834: hardlinks to host files are refused', async (t) => {
  const { codes } = await run(t, (sb) => [
    [hardlink('a', path.join(sb.S, 'sentinel')), file('a', 'X')],
    [hardlink('b', '../sentinel'), file('b', 'X')],
  ]);
  t.deepEqual(codes, ['EINVALIDARCHIVE', 'EINVALIDARCHIVE']);
});

test('CVE-2021-32803: dir, then symlink to outside, then a file below it stays in-root', async (t) => {
  const { sb, codes } = await run(t, (sb) => [[dir('d'), symlink('d', path.join(sb.S, 'probe')), file('d/f', 'pwn')]]);
  t.deepEqual(codes, [undefined]);
  t.false(existsSync(path.join(sb.S, 'probe/f')));
  t.is(readFileSync(path.join(sb.R, sb.S, 'probe/f'), 'utf8'), 'pwn');
  t.is(readlinkSync(path.join(sb.R, 'd')), path.join(sb.S, 'probe')); // absolute target kept verbatim
});

test('CVE-2021-37701: backslashes are ordinary characters on Linux', async (t) => {
  const { sb, codes } = await run(t, (sb) => [[dir('d'), symlink('d', path.join(sb.S, 'probe')), file('d\\f', 'pwn'), file('d\\\\x', 'x')]]);
  t.deepEqual(codes, [undefined]);
  t.true(lstatSync(path.join(sb.R, 'd\\f')).isFile());
  t.false(existsSync(path.join(sb.S, 'probe/f')));
});

test('CVE-2021-37712: NFC and NFD spellings are distinct names, both resolved in-root', async (t) => {
  const { sb, codes } = await run(t, (sb) => [[dir('\u00C5'), symlink('A\u030A', path.join(sb.S, 'probe')), file('A\u030A/f', 'pwn'), file('\u00C5/g', 'ok')]]);
  t.deepEqual(codes, [undefined]);
  t.deepEqual(readFileSync(path.join(sb.R, sb.S, 'probe/f'), 'utf8'), 'pwn');
  t.is(readFileSync(path.join(sb.R, '\u00C5/g'), 'utf8'), 'ok');
});

test('CVE-2021-32804 / CVE-2026-29786: absolute and ..-prefixed names land in R', async (t) => {
  const names = ['/etc/a', '////etc/b', '/../etc/c', '//../etc/d', '../etc/e', 'x/../../etc/f', '../../../../etc/g'];
  const { sb, codes } = await run(t, () => [names.map((n) => file(n, n))]);
  t.deepEqual(codes, [undefined]);
  for (const n of names) t.is(readFileSync(path.join(sb.R, 'etc', n.slice(-1)), 'utf8'), n);
});

test('CVE-2021-37713 / CVE-2026-31802: drive-relative names and targets are inert', async (t) => {
  const { sb, codes } = await run(t, () => [[file('C:../../x', 'c'), symlink('l', 'c:..\\..\\x'), file('c:..\\..\\y', 'y')]]);
  t.deepEqual(codes, [undefined]);
  t.is(readFileSync(path.join(sb.R, 'x'), 'utf8'), 'c'); // "C:.." is a directory name, ".." above it clamps
  t.is(readlinkSync(path.join(sb.R, 'l')), 'c:..\\..\\x');
});

test('CVE-2024-28863: a 5000-level path is refused (maxDepth)', async (t) => {
  const deep = Array.from({ length: 5000 }, () => 'd').join('/');
  const { codes } = await run(t, () => [[{ ...file('x', 'x'), pax: { path: deep } }]]);
  t.deepEqual(codes, ['ELIMIT']);
});

test('CVE-2026-23745 (GHSA-8qq5-rm4j-mr97): absolute linkpaths never reach the host', async (t) => {
  const { sb, codes } = await run(t, (sb) => [
    [hardlink('secret-link', path.join(sb.S, 'marker'))],
    [dir('sub'), hardlink('sub/x', '../marker')],
    [symlink('abs', '/some/absolute/path'), symlink('win', 'c:..\\foo')],
  ]);
  t.deepEqual(codes, ['EINVALIDARCHIVE', 'EINVALIDARCHIVE', undefined]);
  t.is(readlinkSync(path.join(sb.R, 'abs')), '/some/absolute/path');
});

test('CVE-2026-26960: a hardlink through a symlink chain resolves in-root', async (t) => {
  const { codes } = await run(t, (sb) => [[symlink('l1', '../../..'), hardlink('h', `l1${sb.S}/sentinel`)]]);
  t.deepEqual(codes, ['EINVALIDARCHIVE']);
});

test('CVE-2021-29136 (umoci): a symlink entry for the root is ignored; later layers stay in R', async (t) => {
  const { sb, codes } = await run(t, (sb) => [[symlink('.', path.join(sb.S, 'probe')), symlink('./', path.join(sb.S, 'probe'))], [file('etc/x', 'x')]]);
  t.deepEqual(codes, [undefined, undefined]);
  t.false(existsSync(path.join(sb.S, 'probe/etc')));
  t.true(lstatSync(sb.R).isDirectory());
  t.is(readFileSync(path.join(sb.R, 'etc/x'), 'utf8'), 'x');
});

test('TAR-05: metadata entries never act through a symlink (lchown/lutimes, no chmod of links)', async (t) => {
  const { sb, codes } = await run(t, (sb) => [
    [symlink('l', path.join(sb.S, 'sentinel'))],
    [{ ...symlink('l', path.join(sb.S, 'sentinel')), mode: 0o777, uid: 1234, gid: 1234, mtime: 1, pax: { 'SCHILY.xattr.user.x': 'y' } }],
    [{ ...hardlink('h', 'l'), mode: 0o7777, uid: 99 }],
  ]);
  t.deepEqual(codes, [undefined, undefined, undefined]);
  t.is(lstatSync(path.join(sb.R, 'l')).uid, 1234); // the link itself was chowned
});

test('TAR-02: odd names are clamped into R or refused with typed errors', async (t) => {
  const { sb, codes } = await run(t, () => [
    [file('.', 'root?'), file('', 'empty'), file('/'), file('a/./b/../c', 'c')],
    [{ ...file('x'), pax: { path: 'n'.repeat(64 * 1024) } }],
    [{ ...file('x'), pax: { path: 'a\u0000b' } }],
    [file('/', 'a file entry named like a dir, with data: ambiguous')],
  ]);
  t.deepEqual(codes, [undefined, 'ELIMIT', 'EINVALIDARCHIVE', 'EINVALIDARCHIVE']);
  t.is(readFileSync(path.join(sb.R, 'a/c'), 'utf8'), 'c');
});

test('TAR-04: a hardlink in layer N to a file of layer N-1 shares its content; to a directory it is refused', async (t) => {
  const { sb, codes } = await run(t, () => [
    [dir('bin'), file('bin/busybox', 'BB', 0o755)],
    [hardlink('bin/sh', 'bin/busybox'), hardlink('bin/dirlink', 'bin')],
  ]);
  t.deepEqual(codes, [undefined, 'EINVALIDARCHIVE']);
  t.is(readFileSync(path.join(sb.R, 'bin/sh'), 'utf8'), 'BB');
  t.is(statSync(path.join(sb.R, 'bin/sh')).ino, statSync(path.join(sb.R, 'bin/busybox')).ino);
});

test('TAR-04: a hardlink written before its target exists is refused', async (t) => {
  const { codes } = await run(t, () => [[hardlink('early', 'later'), file('later', 'x')]]);
  t.deepEqual(codes, ['EINVALIDARCHIVE']);
});
