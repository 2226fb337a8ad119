// ADD: local archives (detected by content, never by name) are extracted through the layer store's
// safe extractor; everything else is copied as is; remote sources are refused with a clear error.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import { extractTarInto } from '@tsbuild/layerstore';
import { copy, makeSandbox, readIn, snapshot, writeTree, type Sandbox } from './helpers.js';
import { isArchive } from '../../src/copy/index.js';
import type { ExtractTar } from '../../src/copy/index.js';

const extractTar: ExtractTar = async (s, d, o) => {
  await extractTarInto(s, d, { mode: 'add', ...o });
};

/** Makes <ctx>/<name> from a tree with `tar <flags>`. */
function makeTar(sb: Sandbox, name: string, flags: string[]): void {
  const src = `${sb.dir}/tarsrc`;
  writeTree(src, { 'pkg/a.txt': 'A', 'pkg/bin/run': 'R', 'var/run/x': 'X' });
  execFileSync('tar', [...flags, '-f', `${sb.ctx}/${name}`, '-C', src, 'pkg', 'var']);
}

const codecs: Array<[string, string[]]> = [
  ['plain.tar', ['-c']],
  ['gz.tgz', ['-cz']],
  ['bz.tar.bz2', ['-cj']],
  ['xz.tar.xz', ['-cJ']],
  ['zst.tar.zst', ['--zstd', '-c']],
];

for (const [name, flags] of codecs) {
  test(`ADD extracts ${name} into the destination directory`, async (t) => {
    const sb = makeSandbox(t);
    makeTar(sb, name, flags);
    t.true(await isArchive(`${sb.ctx}/${name}`));
    const r = await copy(sb, { kind: 'ADD', sources: [name], dest: '/opt/' }, { extractTar });
    t.deepEqual(r.extracted, ['/opt']);
    t.is(readIn(sb.root, '/opt/pkg/a.txt'), 'A');
    t.is(readIn(sb.root, '/opt/pkg/bin/run'), 'R');
  });
}

test('archives are recognized by content, not name', async (t) => {
  const sb = makeSandbox(t);
  makeTar(sb, 'data.tgz', ['-cz']);
  renameSync(`${sb.ctx}/data.tgz`, `${sb.ctx}/blob.bin`);
  writeTree(sb.ctx, { 'fake.tar.gz': 'not an archive at all' });
  await copy(sb, { kind: 'ADD', sources: ['blob.bin', 'fake.tar.gz'], dest: '/o/' }, { extractTar });
  t.is(readIn(sb.root, '/o/pkg/a.txt'), 'A');
  t.is(readIn(sb.root, '/o/fake.tar.gz'), 'not an archive at all');
  t.false(await isArchive(`${sb.ctx}/fake.tar.gz`));
});

test('a gzip file that is not a tar is copied as is', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'notes.txt': 'hello '.repeat(100) });
  execFileSync('gzip', [`${sb.ctx}/notes.txt`]);
  await copy(sb, { kind: 'ADD', sources: ['notes.txt.gz'], dest: '/n/' }, { extractTar });
  t.deepEqual(readFileSync(`${sb.root}/n/notes.txt.gz`), readFileSync(`${sb.ctx}/notes.txt.gz`));
});

test('ADD --unpack=false copies the archive as a file; COPY never extracts', async (t) => {
  const sb = makeSandbox(t);
  makeTar(sb, 'a.tar', ['-c']);
  await copy(sb, { kind: 'ADD', sources: ['a.tar'], dest: '/u/', unpack: false }, { extractTar });
  await copy(sb, { sources: ['a.tar'], dest: '/c/' });
  t.true(lstatSync(`${sb.root}/u/a.tar`).isFile());
  t.true(lstatSync(`${sb.root}/c/a.tar`).isFile());
});

test('CTX-03: ADD t.tar / with var/run/x lands at rootfs /run/x through /var/run -> /run', async (t) => {
  const sb = makeSandbox(t);
  makeTar(sb, 'unused.tar', ['-c']);
  // Only the file entry: its parents are the image's (BuildKit testDockerfileAddArchiveThroughAbsoluteSymlink).
  execFileSync('tar', ['-c', '-f', `${sb.ctx}/t.tar`, '-C', `${sb.dir}/tarsrc`, 'var/run/x']);
  mkdirSync(`${sb.root}/var`);
  mkdirSync(`${sb.root}/run`);
  symlinkSync('/run', `${sb.root}/var/run`);
  const before = snapshot(sb.outside);
  await copy(sb, { kind: 'ADD', sources: ['t.tar'], dest: '/' }, { extractTar });
  t.is(readIn(sb.root, '/run/x'), 'X');
  t.deepEqual(snapshot(sb.outside), before);
});

test('ADD --chown applies to extracted entries', async (t) => {
  const sb = makeSandbox(t);
  makeTar(sb, 't.tar', ['-c']);
  await copy(sb, { kind: 'ADD', sources: ['t.tar'], dest: '/o', chown: { user: '7', group: '8' } }, { extractTar });
  const st = lstatSync(`${sb.root}/o/pkg/a.txt`);
  t.is(`${st.uid}:${st.gid}`, '7:8');
});

test('remote sources: ADD says network is not supported; COPY refuses URLs', async (t) => {
  const sb = makeSandbox(t);
  await t.throwsAsync(copy(sb, { kind: 'ADD', sources: ['https://example.com/x.tgz'], dest: '/' }), { code: 'ADD_REMOTE_UNSUPPORTED' });
  await t.throwsAsync(copy(sb, { kind: 'ADD', sources: ['git@github.com:moby/buildkit.git'], dest: '/' }), { code: 'ADD_REMOTE_UNSUPPORTED' });
  await t.throwsAsync(copy(sb, { sources: ['http://example.com/x'], dest: '/' }), { code: 'COPY_SOURCE_URL' });
  writeTree(sb.ctx, { f: '1' });
  await t.throwsAsync(copy(sb, { kind: 'ADD', sources: ['f'], dest: '/', checksum: 'sha256:00' }), { code: 'ADD_CHECKSUM_LOCAL' });
});

test('a hostile archive fails the step with ADD_EXTRACT_FAILED and writes nothing outside', async (t) => {
  const sb = makeSandbox(t);
  // An absolute-path entry that would write the host sentinel if extraction were naive.
  execFileSync('tar', ['-c', '-P', '-f', `${sb.ctx}/evil.tar`, `${sb.outside}/sentinel`]);
  const before = snapshot(sb.outside);
  try {
    await copy(sb, { kind: 'ADD', sources: ['evil.tar'], dest: '/' }, { extractTar });
  } catch (e) {
    t.is((e as { code: string }).code, 'ADD_EXTRACT_FAILED');
  }
  t.deepEqual(snapshot(sb.outside), before);
});
