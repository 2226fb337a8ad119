import test from 'ava';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, lstatSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  cleanInRoot,
  isStoreError,
  mkdirAllInRoot,
  resolveInRoot,
  resolveInRootSync,
  resolveParentInRoot,
} from '../../src/index.js';

function makeRoot(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsb-fs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'root');
  mkdirSync(root);
  mkdirSync(path.join(dir, 'S'));
  return root;
}

test('cleanInRoot clamps .. and drops leading slashes', (t) => {
  t.is(cleanInRoot('/../../etc/x'), 'etc/x');
  t.is(cleanInRoot('////etc/./x/'), 'etc/x');
  t.is(cleanInRoot('a/../../b'), 'b');
  t.is(cleanInRoot('..'), '');
  t.is(cleanInRoot(''), '');
});

test('plain paths and missing components resolve lexically in-root', async (t) => {
  const root = makeRoot(t);
  mkdirSync(path.join(root, 'etc'));
  t.is(await resolveInRoot(root, '/etc/passwd'), path.join(root, 'etc/passwd'));
  t.is(await resolveInRoot(root, '../../etc'), path.join(root, 'etc'));
  t.is(await resolveInRoot(root, 'missing/../etc'), path.join(root, 'etc'));
  t.is(await resolveInRoot(root, '/'), root);
});

// umoci TestUnpackEntrySymlinkScoping: a symlink whose target climbs out is scoped inside the root.
for (const target of ['/', '/../', '/../../../../../', '/./.././..', '..', '../../..', '../S']) {
  test(`symlink to ${JSON.stringify(target)} stays in-root`, (t) => {
    const root = makeRoot(t);
    symlinkSync(target, path.join(root, 'link'));
    const got = resolveInRootSync(root, 'link/file');
    t.true(got === path.join(root, 'file') || got === path.join(root, 'S/file'), got);
    t.true(got.startsWith(root + '/'));
  });
}

test('absolute symlinks restart at root; relative ones resolve from their dir', (t) => {
  const root = makeRoot(t);
  mkdirSync(path.join(root, 'etc'));
  mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  symlinkSync('/etc', path.join(root, 'localetc'));
  symlinkSync('../../etc', path.join(root, 'usr/bin/e'));
  symlinkSync('python3', path.join(root, 'usr/bin/python'));
  t.is(resolveInRootSync(root, 'localetc/passwd'), path.join(root, 'etc/passwd'));
  t.is(resolveInRootSync(root, 'usr/bin/e/x'), path.join(root, 'etc/x'));
  t.is(resolveInRootSync(root, 'usr/bin/python'), path.join(root, 'usr/bin/python3'));
});

test('symlink loops give ELOOP', (t) => {
  const root = makeRoot(t);
  symlinkSync('b', path.join(root, 'a'));
  symlinkSync('a', path.join(root, 'b'));
  const e = t.throws(() => resolveInRootSync(root, 'a/x'));
  t.true(isStoreError(e, 'ELOOP'));
});

test('resolveParentInRoot does not follow the leaf', (t) => {
  const root = makeRoot(t);
  symlinkSync('/etc', path.join(root, 'localetc'));
  const r = resolveParentInRoot(root, '/localetc');
  t.is(r.path, path.join(root, 'localetc'));
  t.is(r.base, 'localetc');
  t.is(resolveParentInRoot(root, '/localetc/x').path, path.join(root, 'etc/x'));
  t.is(resolveParentInRoot(root, '..').path, root);
});

test('mkdirAllInRoot creates through symlinks in-root and never outside', async (t) => {
  const root = makeRoot(t);
  const outside = path.join(path.dirname(root), 'S');
  symlinkSync(outside, path.join(root, 'abs'));
  symlinkSync('../../S', path.join(root, 'rel'));
  const a = await mkdirAllInRoot(root, 'abs/x/y');
  const b = await mkdirAllInRoot(root, 'rel/z');
  t.true(a.startsWith(root + '/') && b.startsWith(root + '/'));
  t.true(lstatSync(a).isDirectory());
  t.false(existsSync(path.join(outside, 'x')));
  t.false(existsSync(path.join(outside, 'z')));
});

test('mkdirAllInRoot refuses a file component with ENOTDIR', async (t) => {
  const root = makeRoot(t);
  writeFileSync(path.join(root, 'f'), 'x');
  const e = await t.throwsAsync(mkdirAllInRoot(root, 'f/d'));
  t.true(isStoreError(e, 'ENOTDIR'));
});

test('nothing is cached: a component swapped for a symlink is seen on the next call', (t) => {
  const root = makeRoot(t);
  mkdirSync(path.join(root, 'd'));
  mkdirSync(path.join(root, 'elsewhere'));
  t.is(resolveInRootSync(root, 'd/x'), path.join(root, 'd/x'));
  rmSync(path.join(root, 'd'), { recursive: true });
  symlinkSync('/elsewhere', path.join(root, 'd'));
  t.is(resolveInRootSync(root, 'd/x'), path.join(root, 'elsewhere/x'));
});
