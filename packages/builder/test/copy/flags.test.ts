// --chown, --chmod, --parents, --exclude, and .dockerignore, on real trees.
import test from 'ava';
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { copy, makeSandbox, readIn, snapshot, writeTree } from './helpers.js';
import { modeRuleOf, parseChmod, resolveChown } from '../../src/copy/index.js';
import { resolveUser } from '@tsbuild/runner';

function owner(p: string): string {
  const st = lstatSync(p);
  return `${st.uid}:${st.gid}`;
}

function withPasswd(root: string): void {
  writeTree(root, {
    'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n',
    'etc/group': 'root:x:0:\napp:x:1001:\nstaff:x:50:app\n',
  });
}

test('--chown names come from the destination image; created dirs get the owner too', async (t) => {
  const sb = makeSandbox(t);
  withPasswd(sb.root);
  writeTree(sb.ctx, { 'd/f': '1' });
  await copy(sb, { sources: ['d'], dest: '/srv/app/', chown: { user: 'app' } });
  t.is(owner(`${sb.root}/srv/app/f`), '1000:1001');
  t.is(owner(`${sb.root}/srv`), '1000:1001');
  await copy(sb, { sources: ['d/f'], dest: '/g', chown: { user: 'app', group: 'staff' } });
  t.is(owner(`${sb.root}/g`), '1000:50');
});

test('--chown numeric: uid alone means gid = uid; ids above int32 are refused', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { f: '1' });
  await copy(sb, { sources: ['f'], dest: '/a', chown: { user: '42' } });
  t.is(owner(`${sb.root}/a`), '42:42');
  await copy(sb, { sources: ['f'], dest: '/b', chown: { user: '42', group: '7' } });
  t.is(owner(`${sb.root}/b`), '42:7');
  await t.throwsAsync(resolveChown(sb.root, '2147483648', resolveUser), { code: 'COPY_CHOWN_INVALID' });
  await t.throwsAsync(resolveChown(sb.root, 'a:b:c', resolveUser), { code: 'COPY_CHOWN_INVALID' });
});

test('--chown unknown user or group: COPY_CHOWN_UNKNOWN_USER / _GROUP', async (t) => {
  const sb = makeSandbox(t);
  withPasswd(sb.root);
  writeTree(sb.ctx, { f: '1' });
  await t.throwsAsync(copy(sb, { sources: ['f'], dest: '/a', chown: { user: 'nobody' } }), { code: 'COPY_CHOWN_UNKNOWN_USER' });
  await t.throwsAsync(copy(sb, { sources: ['f'], dest: '/a', chown: { user: 'app', group: 'wheel' } }), { code: 'COPY_CHOWN_UNKNOWN_GROUP' });
});

test('--chmod octal applies to copied files and dirs, not to created parents', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'd/sub/f': '1' });
  await copy(sb, { sources: ['d'], dest: '/p/q', chmod: { kind: 'octal', mode: 0o640 } });
  const s = snapshot(sb.root);
  t.regex(s['p/q/sub/f'], /^f 0640/);
  t.regex(s['p/q/sub'], /^d 0640/);
  t.regex(s['p'], /^d 0755/);
});

const symbolic: Array<[string, number, boolean, number]> = [
  ['u+x', 0o644, false, 0o744],
  ['g-w', 0o664, false, 0o644],
  ['a=rX', 0o755, false, 0o555],
  ['a=rX', 0o644, false, 0o444],
  ['a=rX', 0o700, true, 0o555],
  ['u=rwx,go=', 0o644, false, 0o700],
  ['go=u', 0o640, false, 0o666],
  ['+x', 0o600, false, 0o711],
  ['u+s,o+t', 0o755, false, 0o5755],
  ['o-rwx', 0o777, true, 0o770],
];
for (const [text, from, isDir, want] of symbolic) {
  test(`--chmod=${text} on ${from.toString(8)}${isDir ? ' dir' : ''} gives ${want.toString(8)}`, (t) => {
    t.is(modeRuleOf(parseChmod(text)).apply(from, isDir), want);
  });
}

test('--chmod rejects nonsense with COPY_CHMOD_INVALID', (t) => {
  for (const bad of ['', '8', 'u+q', 'x+r', '0o755', 'u+x,,g+w']) {
    t.throws(() => parseChmod(bad), { code: 'COPY_CHMOD_INVALID' }, bad);
  }
});

test('--chmod symbolic on a real copy: X only on dirs and executables', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'd/run': 'x', 'd/data': 'y' });
  chmodSync(`${sb.ctx}/d/run`, 0o700);
  chmodSync(`${sb.ctx}/d/data`, 0o600);
  await copy(sb, { sources: ['d'], dest: '/o', chmod: parseChmod('a=rX') });
  const s = snapshot(sb.root);
  t.regex(s['o/run'], /^f 0555/);
  t.regex(s['o/data'], /^f 0444/);
});

test('--parents keeps the source path; "/./" pivots it', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'a/b/c.txt': 'C', 'a/b/d.txt': 'D', 'x/y/z.txt': 'Z' });
  chmodSync(`${sb.ctx}/a`, 0o750);
  await copy(sb, { sources: ['a/b/c.txt', 'x/./y/z.txt'], dest: '/out/', parents: true });
  t.is(readIn(sb.root, '/out/a/b/c.txt'), 'C');
  t.is(readIn(sb.root, '/out/y/z.txt'), 'Z');
  t.is(lstatSync(`${sb.root}/out/a`).mode & 0o777, 0o750, 'parents are made like their sources');
  await copy(sb, { sources: ['a/*/d.txt'], dest: '/w/', parents: true });
  t.is(readIn(sb.root, '/w/a/b/d.txt'), 'D');
  await copy(sb, { sources: ['a/b'], dest: '/dirs/', parents: true });
  t.deepEqual(Object.keys(snapshot(`${sb.root}/dirs`)), ['a', 'a/b', 'a/b/c.txt', 'a/b/d.txt']);
});

test('--exclude filters matched sources and paths inside copied dirs', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'home.txt': '1', 'homer.md': '2', 'src/a.js': 'a', 'src/a.test.js': 't', 'src/lib/b.test.js': 't' });
  await copy(sb, { sources: ['hom*'], dest: '/m/', excludes: ['*.txt'] });
  t.deepEqual(Object.keys(snapshot(`${sb.root}/m`)), ['homer.md']);
  await copy(sb, { sources: ['src'], dest: '/s', excludes: ['**/*.test.js'] });
  t.deepEqual(Object.keys(snapshot(`${sb.root}/s`)), ['a.js', 'lib']);
});

test('.dockerignore: ignored files are not copied; naming one is COPY_EXCLUDED with its line', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { '.env': 'SECRET', 'app/a.js': 'a', 'app/tmp/x': 'x', 'app/tmp/keep': 'k' });
  writeTree(sb.ctx, { '.dockerignore': '# comment\n.env\napp/tmp\n!app/tmp/keep\n.dockerignore\n' });
  await copy(sb, { sources: ['.'], dest: '/c/' });
  t.deepEqual(Object.keys(snapshot(`${sb.root}/c`)), ['app', 'app/a.js', 'app/tmp', 'app/tmp/keep']);
  const err = await t.throwsAsync(copy(sb, { sources: ['.env'], dest: '/e' }), { code: 'COPY_EXCLUDED' });
  t.is((err as unknown as { details: { line: number } }).details.line, 2);
});

test('created dest dirs default to 0755 root even when the umask is strict', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { f: '1' });
  const old = process.umask(0o077);
  try {
    await copy(sb, { sources: ['f'], dest: '/deep/er/' });
  } finally {
    process.umask(old);
  }
  t.regex(snapshot(sb.root)['deep/er'], /^d 0755 0:0/);
  mkdirSync(`${sb.root}/unused`);
});
