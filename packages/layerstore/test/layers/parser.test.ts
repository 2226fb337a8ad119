// TAR-09: parser differential. Accepted archives list like GNU tar; ambiguous ones are refused.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { dir, entryBytes, file, header, paxData, tar } from './helpers/raw-tar.js';
import { applyTar } from './helpers/apply.js';
import { makeSandbox } from './helpers/sandbox.js';

function gnuList(bytes: Buffer): string[] {
  return execFileSync('tar', ['-tf', '-'], { input: bytes }).toString().trim().split('\n');
}

test('PAX size "12abc" is refused (tar-stream would read 12)', async (t) => {
  const sb = makeSandbox(t);
  t.is(await applyTar(sb.R, tar({ ...file('a', 'x'.repeat(12)), pax: { size: '12abc' } })), 'EINVALIDARCHIVE');
});

test('negative base-256 size and a bad checksum are refused', async (t) => {
  const sb = makeSandbox(t);
  t.is(await applyTar(sb.R, Buffer.concat([header({ name: 'n', sizeField: -512n }), Buffer.alloc(1024)])), 'EINVALIDARCHIVE');
  t.is(await applyTar(sb.R, Buffer.concat([header({ name: 'c', badChecksum: true }), Buffer.alloc(1024)])), 'EINVALIDARCHIVE');
});

test('malformed PAX records are refused', async (t) => {
  const sb = makeSandbox(t);
  for (const raw of ['8 path=a\n', '99 path=a\n', 'x path=a\n', '8 patha\n', '10 path=ab']) {
    t.is(await applyTar(sb.R, tar({ ...file('f'), paxRaw: Buffer.from(raw) })), 'EINVALIDARCHIVE', raw);
  }
  t.is(await applyTar(sb.R, tar({ ...file('f'), pax: { uid: '12x' } })), 'EINVALIDARCHIVE');
  t.is(await applyTar(sb.R, tar({ ...file('f'), pax: { mtime: 'soon' } })), 'EINVALIDARCHIVE');
});

test('TARmageddon: ustar size 0 + PAX size N is read as N, like GNU tar', async (t) => {
  const sb = makeSandbox(t);
  const hidden = entryBytes(file('smuggled', 'hidden'));
  const bytes = Buffer.concat([
    entryBytes({ name: 'PaxHeader', type: 'x', data: paxData({ size: String(hidden.length) }) }),
    header({ name: 'outer', type: '0', size: 0 }),
    hidden,
    Buffer.alloc(1024),
  ]);
  const gnu = gnuList(bytes);
  t.is(await applyTar(sb.R, bytes), undefined);
  t.deepEqual(readdirSync(sb.R), gnu);
  t.is(lstatSync(path.join(sb.R, 'outer')).size, hidden.length);
});

test('PAX global headers are validated and ignored (no global path= rename)', async (t) => {
  const sb = makeSandbox(t);
  const g = paxData({ path: 'everything', comment: 'hi' });
  const bytes = Buffer.concat([entryBytes({ name: 'g', type: 'g', data: g }), entryBytes({ ...file('a', 'A'), pax: { mtime: '1' } }), entryBytes(file('b', 'B')), Buffer.alloc(1024)]);
  t.is(await applyTar(sb.R, bytes), undefined);
  t.deepEqual(readdirSync(sb.R).sort(), ['a', 'b']);
});

test('GNU long names and PAX path both work; PAX wins over a GNU long name', async (t) => {
  const sb = makeSandbox(t);
  const long = 'L'.repeat(150);
  const gnuLong = entryBytes({ name: '././@LongLink', type: 'L', data: long + '\0' });
  const bytes = Buffer.concat([gnuLong, entryBytes(file('short', 'gnu')), entryBytes({ ...file('s2', 'pax'), pax: { path: 'P'.repeat(150) } }), Buffer.alloc(1024)]);
  t.is(await applyTar(sb.R, bytes), undefined);
  t.is(readFileSync(path.join(sb.R, long), 'utf8'), 'gnu');
  t.is(readFileSync(path.join(sb.R, 'P'.repeat(150)), 'utf8'), 'pax');
});

test('duplicate paths: the last entry wins (documented)', async (t) => {
  const sb = makeSandbox(t);
  t.is(await applyTar(sb.R, tar(file('a', '1'), file('a', '2'), dir('d'), file('d', 'file now'))), undefined);
  t.is(readFileSync(path.join(sb.R, 'a'), 'utf8'), '2');
  t.true(lstatSync(path.join(sb.R, 'd')).isFile());
});

test('a directory entry with data is refused (tar-stream would parse the data as headers)', async (t) => {
  const sb = makeSandbox(t);
  t.is(await applyTar(sb.R, tar({ ...dir('d'), data: entryBytes(file('inner', 'x')) })), 'EINVALIDARCHIVE');
});

test('garbage after the end-of-archive blocks is refused', async (t) => {
  const sb = makeSandbox(t);
  t.is(await applyTar(sb.R, Buffer.concat([tar(file('a', 'a')), Buffer.from('garbage'.repeat(100))])), 'EINVALIDARCHIVE');
});

test('sparse entries are refused (GNU type S and PAX GNU.sparse)', async (t) => {
  const sb = makeSandbox(t);
  t.is(await applyTar(sb.R, tar({ ...file('s', 'x'), type: 'S' })), 'EINVALIDARCHIVE');
  t.is(await applyTar(sb.R, tar({ ...file('s', 'x'), pax: { 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.realsize': String(2 ** 40) } })), 'EINVALIDARCHIVE');
});

test('an empty stream and a bare end-of-archive are empty archives', async (t) => {
  const sb = makeSandbox(t);
  t.is(await applyTar(sb.R, Buffer.alloc(0)), undefined);
  t.is(await applyTar(sb.R, Buffer.alloc(1024)), undefined);
  t.deepEqual(readdirSync(sb.R), []);
});
