// TAR-06 whiteouts in both modes, and TAR-10 overlay xattr injection.
import test from 'ava';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fsx } from '../../src/native.js';
import { dir, file, symlink, tar } from './helpers/raw-tar.js';
import { applyTar } from './helpers/apply.js';
import { makeSandbox } from './helpers/sandbox.js';

const isWhiteout = (p: string): boolean => {
  const st = lstatSync(p);
  return st.isCharacterDevice() && st.rdev === 0;
};

for (const name of ['.wh.', '.wh..', '.wh...', 'etc/.wh..', 'etc/.wh...', 'etc/.wh.']) {
  for (const mode of ['add', 'overlay'] as const) {
    test(`TAR-06: ${JSON.stringify(name)} is an invalid whiteout (${mode})`, async (t) => {
      const sb = makeSandbox(t);
      mkdirSync(path.join(sb.R, 'etc'));
      writeFileSync(path.join(sb.R, 'etc/passwd'), 'p');
      t.is(await applyTar(sb.R, tar(file(name)), { mode }), 'EINVALIDARCHIVE');
      t.true(existsSync(path.join(sb.R, 'etc/passwd')));
    });
  }
}

test('TAR-06: ../.wh.x and whiteouts under a symlinked parent stay in-root (add)', async (t) => {
  const sb = makeSandbox(t);
  const before = sb.fingerprint();
  writeFileSync(path.join(sb.R, 'x'), 'x');
  mkdirSync(path.join(sb.R, 'etc'));
  writeFileSync(path.join(sb.R, 'etc/passwd'), 'p');
  symlinkSync('/etc', path.join(sb.R, 'localetc'));
  symlinkSync(sb.S, path.join(sb.R, 'hostS'));
  t.is(await applyTar(sb.R, tar(file('../.wh.x'), file('localetc/.wh.passwd'), file('hostS/.wh.marker'), file('hostS/.wh.probe'))), undefined);
  t.false(existsSync(path.join(sb.R, 'x')));
  t.false(existsSync(path.join(sb.R, 'etc/passwd')));
  t.is(sb.fingerprint(), before);
});

test('TAR-06: an opaque dir hides only what lower layers had (add)', async (t) => {
  const sb = makeSandbox(t);
  mkdirSync(path.join(sb.R, 'd/sub'), { recursive: true });
  writeFileSync(path.join(sb.R, 'd/lower'), 'l');
  writeFileSync(path.join(sb.R, 'd/sub/deep'), 'l');
  writeFileSync(path.join(sb.R, 'keep'), 'k');
  // out of order on purpose: d/new comes before the marker
  t.is(await applyTar(sb.R, tar(dir('d'), file('d/new', 'n'), file('d/.wh..wh..opq'))), undefined);
  t.deepEqual(readdirSync(path.join(sb.R, 'd')), ['new']);
  t.true(existsSync(path.join(sb.R, 'keep')));
});

test('TAR-06: whiteout + re-add in the same layer keeps the new entry', async (t) => {
  for (const mode of ['add', 'overlay'] as const) {
    const sb = makeSandbox(t);
    writeFileSync(path.join(sb.R, 'a'), 'lower');
    t.is(await applyTar(sb.R, tar(file('.wh.a'), file('a', 'upper'), file('b', 'b'), file('.wh.b')), { mode }), undefined);
    t.is(readFileSync(path.join(sb.R, 'a'), 'utf8'), 'upper', mode);
    t.is(readFileSync(path.join(sb.R, 'b'), 'utf8'), 'b', mode); // a whiteout never hides its own layer
  }
});

test('overlay mode writes 0/0 char devices and trusted.overlay.opaque', async (t) => {
  const sb = makeSandbox(t);
  const code = await applyTar(sb.R, tar(file('.wh.gone'), dir('o'), file('o/.wh..wh..opq'), file('o/kept', 'k'), file('x/y/.wh.z'), file('.wh.d'), dir('d'), file('d/in')), { mode: 'overlay' });
  t.is(code, undefined);
  t.true(isWhiteout(path.join(sb.R, 'gone')));
  t.true(isWhiteout(path.join(sb.R, 'x/y/z')));
  t.is(fsx.lgetxattr(path.join(sb.R, 'o'), 'trusted.overlay.opaque')?.toString(), 'y');
  t.is(readFileSync(path.join(sb.R, 'o/kept'), 'utf8'), 'k');
  // `.wh.d` then `d/`: the new dir replaces the lower one, so it must be opaque.
  t.is(fsx.lgetxattr(path.join(sb.R, 'd'), 'trusted.overlay.opaque')?.toString(), 'y');
});

test('TAR-10: trusted.overlay.* xattrs from a tar are never applied', async (t) => {
  const sb = makeSandbox(t);
  const evil = {
    'SCHILY.xattr.trusted.overlay.opaque': 'y',
    'SCHILY.xattr.trusted.overlay.redirect': '/etc',
    'SCHILY.xattr.trusted.overlay.metacopy': '',
    'SCHILY.xattr.user.ok': 'fine',
  };
  t.is(await applyTar(sb.R, tar({ ...dir('d'), pax: evil }, { ...file('f', 'x'), pax: evil }), { mode: 'overlay' }), undefined);
  for (const p of ['d', 'f']) {
    t.deepEqual(fsx.llistxattr(path.join(sb.R, p)).filter((n) => n.startsWith('trusted.overlay.')), []);
    t.is(fsx.lgetxattr(path.join(sb.R, p), 'user.ok')?.toString(), 'fine');
  }
});

test('TAR-10: security.capability bytes survive; user.* on a symlink is skipped without error', async (t) => {
  const sb = makeSandbox(t);
  const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
  const code = await applyTar(sb.R, tar(
    { ...file('ping', 'elf', 0o755), pax: { 'SCHILY.xattr.security.capability': cap } },
    { ...symlink('l', 'ping'), pax: { 'SCHILY.xattr.user.x': 'y' } },
  ));
  t.is(code, undefined);
  t.deepEqual(fsx.lgetxattr(path.join(sb.R, 'ping'), 'security.capability'), cap);
});

test('overlay mode refuses an opaque root (overlayfs ignores it on a layer root)', async (t) => {
  const sb = makeSandbox(t);
  t.is(await applyTar(sb.R, tar(file('.wh..wh..opq')), { mode: 'overlay' }), 'EUNSUPPORTED');
  t.is(await applyTar(sb.R, tar(file('.wh..wh..opq'), file('a')), { mode: 'add' }), undefined);
});
