// The COPY semantics table (Dockerfile reference + BuildKit's fsutil copy), on real temp trees.
import test from 'ava';
import { chmodSync, lstatSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { copy, makeSandbox, readIn, snapshot, writeTree } from './helpers.js';
import { rootfsSourceRoot } from '../../src/copy/index.js';

test('file → file: dest without slash names the file', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'a.txt': 'A' });
  await copy(sb, { sources: ['a.txt'], dest: '/b.txt' });
  t.is(readIn(sb.root, '/b.txt'), 'A');
});

test('file → dir/: trailing slash puts it inside, creating the dir 0755 root-owned', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'a.txt': 'A' });
  await copy(sb, { sources: ['a.txt'], dest: '/x/y/' });
  t.is(readIn(sb.root, '/x/y/a.txt'), 'A');
  t.is(snapshot(sb.root)['x/y'], 'd 0755 0:0');
});

test('file → existing dir without slash lands inside it (BuildKit)', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'a.txt': 'A' });
  mkdirSync(`${sb.root}/app`);
  await copy(sb, { sources: ['a.txt'], dest: '/app' });
  t.is(readIn(sb.root, '/app/a.txt'), 'A');
});

test('dir source copies its contents, not the dir itself', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'src/a': '1', 'src/sub/b': '2' });
  await copy(sb, { sources: ['src'], dest: '/app' });
  t.is(readIn(sb.root, '/app/a'), '1');
  t.is(readIn(sb.root, '/app/sub/b'), '2');
  t.false(snapshot(sb.root)['app/src'] !== undefined);
});

test('dir contents merge into an existing dir, which keeps its own metadata', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'src/a': '1' });
  writeTree(sb.root, { 'app/old': 'o' });
  chmodSync(`${sb.root}/app`, 0o700);
  await copy(sb, { sources: ['src/'], dest: '/app/' });
  t.is(readIn(sb.root, '/app/old'), 'o');
  t.is(readIn(sb.root, '/app/a'), '1');
  t.is(lstatSync(`${sb.root}/app`).mode & 0o7777, 0o700);
});

test('files keep mode and mtime; owner defaults to 0:0 for context sources', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'run.sh': '#!/bin/sh' });
  chmodSync(`${sb.ctx}/run.sh`, 0o751);
  const when = new Date('2020-01-02T03:04:05Z');
  utimesSync(`${sb.ctx}/run.sh`, when, when);
  await copy(sb, { sources: ['run.sh'], dest: '/bin/' });
  const st = lstatSync(`${sb.root}/bin/run.sh`);
  t.is(st.mode & 0o7777, 0o751);
  t.is(st.mtime.getTime(), when.getTime());
  t.is(st.uid, 0);
});

test('SOURCE_DATE_EPOCH fixes the mtime of copied entries', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'd/f': 'x' });
  await copy(sb, { sources: ['d'], dest: '/d2' }, { sourceDateEpoch: 1000 });
  t.is(lstatSync(`${sb.root}/d2/f`).mtimeMs, 1_000_000);
});

test('wildcards match per component, sorted; an empty match is not an error', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'a1.txt': '1', 'a2.txt': '2', 'b.txt': 'b', 'sub/a3.txt': '3' });
  await copy(sb, { sources: ['a*.txt'], dest: '/o/' });
  t.deepEqual(Object.keys(snapshot(`${sb.root}/o`)), ['a1.txt', 'a2.txt']);
  await copy(sb, { sources: ['nomatch*'], dest: '/o/' });
  await copy(sb, { sources: ['*/a?.txt'], dest: '/p/' });
  t.is(readIn(sb.root, '/p/a3.txt'), '3');
});

test('multiple sources need a dest ending in / (COPY_MULTI_DEST_NOT_DIR)', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { a: '1', b: '2' });
  await t.throwsAsync(copy(sb, { sources: ['a', 'b'], dest: '/x' }), { code: 'COPY_MULTI_DEST_NOT_DIR' });
  await t.throwsAsync(copy(sb, { sources: ['?'], dest: '/x' }), { code: 'COPY_MULTI_DEST_NOT_DIR' });
  await copy(sb, { sources: ['a', 'b'], dest: '/x/' });
  t.is(readIn(sb.root, '/x/b'), '2');
});

test('relative dest is relative to WORKDIR; "." is the WORKDIR itself', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { a: '1' });
  await copy(sb, { sources: ['a'], dest: 'sub/b', workdir: '/work' });
  await copy(sb, { sources: ['a'], dest: '.', workdir: '/w2' });
  t.is(readIn(sb.root, '/work/sub/b'), '1');
  t.is(readIn(sb.root, '/w2/a'), '1');
});

test('missing source: COPY_SOURCE_NOT_FOUND; ../ is clamped at the context root, then not found (BuildKit)', async (t) => {
  const sb = makeSandbox(t);
  await t.throwsAsync(copy(sb, { sources: ['nope'], dest: '/' }), { code: 'COPY_SOURCE_NOT_FOUND' });
  const err = await t.throwsAsync(copy(sb, { sources: ['../S/sentinel'], dest: '/' }), { code: 'COPY_SOURCE_NOT_FOUND' });
  t.true((err as unknown as { details: { clamped?: boolean } }).details.clamped);
  t.deepEqual(snapshot(sb.root), {}, 'the host file next to the context was not read');
});

test('a file never replaces a directory, nor a directory a file', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { a: '1', 'd/x': '2' });
  writeTree(sb.root, { 'dst/a/keep': 'k', 'file': 'f' });
  await t.throwsAsync(copy(sb, { sources: ['a'], dest: '/dst/' }), { code: 'COPY_DEST_IS_DIR' });
  await t.throwsAsync(copy(sb, { sources: ['d'], dest: '/file' }), { code: 'COPY_DEST_NOT_DIR' });
  await t.throwsAsync(copy(sb, { sources: ['a'], dest: '/file/x' }), { code: 'COPY_DEST_NOT_DIR' });
});

test('an existing file or symlink at the leaf is replaced, never written through', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { a: 'NEW' });
  writeTree(sb.root, { 'd/old': 'o' });
  symlinkSync(`${sb.outside}/sentinel`, `${sb.root}/d/a`); // host-absolute target: must not be written
  await copy(sb, { sources: ['a'], dest: '/d/' });
  t.is(readFileSync(`${sb.outside}/sentinel`, 'utf8'), 'SENTINEL-DO-NOT-TOUCH');
  t.false(lstatSync(`${sb.root}/d/a`).isSymbolicLink());
  t.is(readIn(sb.root, '/d/a'), 'NEW');
});

test('later sources win over earlier ones at the same path, small or large', async (t) => {
  const sb = makeSandbox(t);
  const big = 'x'.repeat(300 * 1024);
  writeTree(sb.ctx, { 'one/f': big, 'one/g': 'small1', 'two/f': 'small2', 'two/g': big + 'y' });
  await copy(sb, { sources: ['one', 'two'], dest: '/o/' });
  t.is(readIn(sb.root, '/o/f'), 'small2');
  t.is(readIn(sb.root, '/o/g'), big + 'y');
});

test('a file two sources match is copied twice, never hardlinked to itself', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'a.txt': 'A', 'b.txt': 'B' });
  await copy(sb, { sources: ['?.txt', '[a].txt'], dest: '/d/' });
  t.is(readIn(sb.root, '/d/a.txt'), 'A');
  t.is(lstatSync(`${sb.root}/d/a.txt`).nlink, 1);
});

test('hardlinks inside one copy stay hardlinks', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'd/a': 'same' });
  const { linkSync } = await import('node:fs');
  linkSync(`${sb.ctx}/d/a`, `${sb.ctx}/d/b`);
  await copy(sb, { sources: ['d'], dest: '/d' });
  t.is(lstatSync(`${sb.root}/d/a`).ino, lstatSync(`${sb.root}/d/b`).ino);
});

test('heredoc sources create files (0644, or --chmod), into a dir or at dest', async (t) => {
  const sb = makeSandbox(t);
  await copy(sb, { sources: [], sourceContents: [{ path: 'EOF', data: 'hello\n' }], dest: '/etc/motd' });
  t.is(readIn(sb.root, '/etc/motd'), 'hello\n');
  t.is(lstatSync(`${sb.root}/etc/motd`).mode & 0o7777, 0o644);
  await copy(sb, {
    sources: [],
    sourceContents: [{ path: 'a.sh', data: 'echo a' }, { path: 'b.sh', data: 'echo b' }],
    dest: '/bin/',
    chmod: { kind: 'octal', mode: 0o755 },
  });
  t.is(lstatSync(`${sb.root}/bin/b.sh`).mode & 0o7777, 0o755);
});

test('--from a rootfs keeps source owners and follows symlinks in that root only', async (t) => {
  const sb = makeSandbox(t);
  const stage = `${sb.dir}/stage`;
  writeTree(stage, { 'opt/app/bin': 'B' });
  const { chownSync } = await import('node:fs');
  chownSync(`${stage}/opt/app/bin`, 1234, 5678);
  symlinkSync('/opt/app', `${stage}/current`);
  symlinkSync('../../../S/sentinel', `${stage}/escape`);
  const source = rootfsSourceRoot(stage, 'stage build');
  await copy(sb, { sources: ['/current/*'], dest: '/glob/' }, { source });
  t.is(readIn(sb.root, '/glob/bin'), 'B');
  await copy(sb, { sources: ['/current/bin'], dest: '/usr/local/bin/' }, { source });
  const st = lstatSync(`${sb.root}/usr/local/bin/bin`);
  t.is(`${st.uid}:${st.gid}`, '1234:5678');
  await t.throwsAsync(copy(sb, { sources: ['/escape'], dest: '/x' }, { source }), { code: 'COPY_SOURCE_NOT_FOUND' });
});

test('--link gives the same files as a plain copy', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'd/a': '1' });
  await copy(sb, { sources: ['d'], dest: '/x', link: true });
  await copy(sb, { sources: ['d'], dest: '/y' });
  t.deepEqual(snapshot(`${sb.root}/x`), snapshot(`${sb.root}/y`));
});

test('fifos and sockets in the context are skipped with a warning, never opened', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'd/a': '1' });
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [`${sb.ctx}/d/pipe`]);
  const r = await copy(sb, { sources: ['d'], dest: '/d' });
  t.deepEqual(Object.keys(snapshot(`${sb.root}/d`)), ['a']);
  t.true(r.warnings.some((w) => /fifo/i.test(w)));
});

test('writes nothing outside the rootfs for a plain copy', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'a/b/c': '1' });
  const before = snapshot(sb.outside);
  await copy(sb, { sources: ['a'], dest: '/' });
  t.deepEqual(snapshot(sb.outside), before);
  writeFileSync(`${sb.ctx}/x`, '');
});
