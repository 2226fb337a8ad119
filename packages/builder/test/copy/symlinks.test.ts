// Symlinks on both sides of COPY (SECURITY.md CTX-01, CTX-02, CTX-03, TAR-05, CVE-2021-41089): the
// image's symlinks are followed inside the rootfs only; context symlinks are copied as links or
// followed inside the context only; metadata is never applied through a link. The sandbox's sentinel
// dir S must be byte-for-byte and mode-for-mode unchanged after every case.
import test from 'ava';
import { chmodSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync } from 'node:fs';
import { copy, makeSandbox, readIn, snapshot, writeTree, type Sandbox } from './helpers.js';

function assertOutsideUntouched(t: { deepEqual(a: unknown, b: unknown, m?: string): void; is(a: unknown, b: unknown): void }, sb: Sandbox, before: Record<string, string>): void {
  t.deepEqual(snapshot(sb.outside), before, 'nothing outside the rootfs changed');
  t.is(readFileSync(`${sb.outside}/sentinel`, 'utf8'), 'SENTINEL-DO-NOT-TOUCH');
}

test('CTX-03: /app -> /etc puts COPY f /app/ in rootfs /etc/f', async (t) => {
  const sb = makeSandbox(t);
  mkdirSync(`${sb.root}/etc`);
  symlinkSync('/etc', `${sb.root}/app`);
  writeTree(sb.ctx, { f: 'F' });
  const before = snapshot(sb.outside);
  await copy(sb, { sources: ['f'], dest: '/app/' });
  t.is(readIn(sb.root, '/etc/f'), 'F');
  t.is(readlinkSync(`${sb.root}/app`), '/etc');
  assertOutsideUntouched(t, sb, before);
});

test('CTX-03: /var/run -> /run, dest dirs created through the link land in the rootfs', async (t) => {
  const sb = makeSandbox(t);
  mkdirSync(`${sb.root}/var`);
  symlinkSync('/run', `${sb.root}/var/run`); // /run does not exist yet: created in-root
  writeTree(sb.ctx, { x: 'X' });
  await copy(sb, { sources: ['x'], dest: '/var/run/sub/' });
  t.is(readIn(sb.root, '/run/sub/x'), 'X');
});

test('relative and ../../ symlink targets in the image are clamped at the rootfs', async (t) => {
  const sb = makeSandbox(t);
  // root is <S>/root; "../../S" from /a/b would be the host's sandbox dir without clamping.
  mkdirSync(`${sb.root}/a`);
  symlinkSync('../../../../S', `${sb.root}/a/b`);
  symlinkSync(sb.outside, `${sb.root}/hostabs`); // absolute host path: means rootfs <S>/...
  writeTree(sb.ctx, { sentinel: 'EVIL' });
  const before = snapshot(sb.outside);
  await copy(sb, { sources: ['sentinel'], dest: '/a/b/' });
  await copy(sb, { sources: ['sentinel'], dest: '/hostabs/' });
  t.is(readIn(sb.root, '/S/sentinel'), 'EVIL');
  t.is(readIn(sb.root, `${sb.outside}/sentinel`), 'EVIL');
  assertOutsideUntouched(t, sb, before);
});

test('a leaf dest symlink to a host file is followed in-root, never to the host', async (t) => {
  const sb = makeSandbox(t);
  symlinkSync(`${sb.outside}/sentinel`, `${sb.root}/target`);
  writeTree(sb.ctx, { f: 'NEW' });
  const before = snapshot(sb.outside);
  await copy(sb, { sources: ['f'], dest: '/target' });
  t.is(readIn(sb.root, `${sb.outside}/sentinel`), 'NEW');
  assertOutsideUntouched(t, sb, before);
});

test('CVE-2021-41089: --chmod/--chown onto a dest symlinked to a host path leave the host alone', async (t) => {
  const sb = makeSandbox(t);
  chmodSync(`${sb.outside}/sentinel`, 0o400);
  const st0 = statSync(`${sb.outside}/sentinel`);
  writeTree(sb.ctx, { 'd/sentinel': 'x', 'd/link': 'y' });
  symlinkSync(`${sb.outside}`, `${sb.root}/out`);
  writeTree(sb.root, { 'dst/keep': 'k' });
  symlinkSync(`${sb.outside}/sentinel`, `${sb.root}/dst/link`);
  await copy(sb, { sources: ['d'], dest: '/out', chmod: { kind: 'octal', mode: 0o777 }, chown: { user: '123' } });
  await copy(sb, { sources: ['d'], dest: '/dst', chmod: { kind: 'octal', mode: 0o777 }, chown: { user: '123' } });
  const st1 = statSync(`${sb.outside}/sentinel`);
  t.is(st1.mode, st0.mode);
  t.is(`${st1.uid}:${st1.gid}`, `${st0.uid}:${st0.gid}`);
  t.is(readFileSync(`${sb.outside}/sentinel`, 'utf8'), 'SENTINEL-DO-NOT-TOUCH');
  t.false(lstatSync(`${sb.root}/dst/link`).isSymbolicLink(), 'the link was replaced by the copied file');
});

test('CTX-01: context symlinks inside a copied dir are copied verbatim, never followed', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'd/real': 'r' });
  symlinkSync(`${sb.outside}/sentinel`, `${sb.ctx}/d/abs`);
  symlinkSync('../../S', `${sb.ctx}/d/up`);
  symlinkSync('/', `${sb.ctx}/d/root`);
  symlinkSync('real', `${sb.ctx}/d/rel`);
  await copy(sb, { sources: ['d'], dest: '/d' });
  const s = snapshot(`${sb.root}/d`);
  t.is(s.abs, `l -> ${sb.outside}/sentinel`);
  t.is(s.up, 'l -> ../../S');
  t.is(s.root, 'l -> /');
  t.is(s.rel, 'l -> real');
  t.false(JSON.stringify(snapshot(sb.root)).includes('SENTINEL'), 'marker bytes never copied');
});

test('CTX-01: a top-level context symlink is followed inside the context only', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'real.txt': 'R' });
  symlinkSync('real.txt', `${sb.ctx}/ok`);
  symlinkSync(`${sb.outside}/sentinel`, `${sb.ctx}/link`);
  symlinkSync('../S', `${sb.ctx}/dir`);
  symlinkSync('/', `${sb.ctx}/abs`);
  symlinkSync('b', `${sb.ctx}/a`);
  symlinkSync('a', `${sb.ctx}/b`);
  await copy(sb, { sources: ['ok'], dest: '/ok' });
  t.is(readIn(sb.root, '/ok'), 'R', 'the name is the link, the content its in-context target');
  const notThere = /^COPY_(SOURCE_NOT_FOUND|OUTSIDE_CONTEXT)$/;
  for (const src of ['link', 'dir/sentinel', `abs${sb.outside}/sentinel`]) {
    const e = await t.throwsAsync(copy(sb, { sources: [src], dest: '/x' }));
    t.regex((e as unknown as { code: string }).code, notThere, src);
  }
  await t.throwsAsync(copy(sb, { sources: ['a'], dest: '/x' }), { code: 'CONTEXT_SYMLINK_LOOP' });
  const all = JSON.stringify(snapshot(sb.root));
  t.false(all.includes('x"'), 'nothing written for the failed copies');
});

test('CTX-02: absolute and clamped source paths stay in the context', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'a/x': 'X' });
  await copy(sb, { sources: ['/a/x'], dest: '/x1' });
  await copy(sb, { sources: ['a/../a/x'], dest: '/x2' });
  t.is(readIn(sb.root, '/x1'), 'X');
  t.is(readIn(sb.root, '/x2'), 'X');
  await t.throwsAsync(copy(sb, { sources: [`${sb.outside}/sentinel`], dest: '/x3' }), { code: 'COPY_SOURCE_NOT_FOUND' });
});
