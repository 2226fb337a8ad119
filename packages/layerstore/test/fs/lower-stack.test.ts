// lookupNewPath and copyUpDirs against the kernel: the same lower dirs mounted with overlayfs say
// what exists, and the kernel's own copy-up is what copyUpDirs must reproduce.
import test from 'ava';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync, chownSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fsx } from '../../src/native.js';
import { copyUpDirs, lookupNewPath } from '../../src/fs/index.js';
import { mountOverlay, mountReadOnly } from '../layers/helpers/overlay.js';

const root = process.getuid?.() === 0;
const serial = root ? test.serial : test.skip;

interface Stack {
  dir: string;
  /** Topmost first. */
  lowers: string[];
}

/**
 * L0 (bottom): usr/local/bin, opt -> /usr, etc/file, gone/x, d/a, deep/1/2, empty/, e2/
 * L1:          usr/local/f, whiteout "gone", d/ opaque with b, wdir/ holding a whiteout, e2/
 * L2 (top):    usr/ 0750 5:6 with user.k=v and an old mtime, etc2/
 */
function makeStack(t: { teardown(fn: () => void): void }): Stack {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsb-lowers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [l0, l1, l2] = ['l0', 'l1', 'l2'].map((n) => path.join(dir, n));
  mkdirSync(path.join(l0, 'usr/local/bin'), { recursive: true });
  symlinkSync('/usr', path.join(l0, 'opt'));
  mkdirSync(path.join(l0, 'etc'));
  writeFileSync(path.join(l0, 'etc/file'), 'f');
  mkdirSync(path.join(l0, 'gone/x'), { recursive: true });
  mkdirSync(path.join(l0, 'd/a'), { recursive: true });
  mkdirSync(path.join(l0, 'deep/1/2'), { recursive: true });
  mkdirSync(path.join(l0, 'empty'));
  mkdirSync(path.join(l0, 'e2'));
  mkdirSync(path.join(l1, 'e2'), { recursive: true });
  mkdirSync(path.join(l1, 'wdir'), { recursive: true });
  fsx.mknod(path.join(l1, 'wdir/x'), 0o20000, 0, 0);
  mkdirSync(path.join(l1, 'usr/local'), { recursive: true });
  writeFileSync(path.join(l1, 'usr/local/f'), 'f');
  fsx.mknod(path.join(l1, 'gone'), 0o20000, 0, 0);
  mkdirSync(path.join(l1, 'd/b'), { recursive: true });
  fsx.lsetxattr(path.join(l1, 'd'), 'trusted.overlay.opaque', Buffer.from('y'));
  mkdirSync(path.join(l2, 'usr'), { recursive: true });
  mkdirSync(path.join(l2, 'etc2'));
  chownSync(path.join(l2, 'usr'), 5, 6);
  chmodSync(path.join(l2, 'usr'), 0o2750);
  fsx.lsetxattr(path.join(l2, 'usr'), 'user.k', Buffer.from('v'));
  utimesSync(path.join(l2, 'usr'), 1_600_000_000.25, 1_600_000_100.5);
  utimesSync(path.join(l1, 'usr/local'), 1_600_000_000, 1_650_000_000);
  utimesSync(path.join(l0, 'deep/1'), 1_600_000_000, 1_610_000_000);
  utimesSync(path.join(l0, 'deep'), 1_600_000_000, 1_620_000_000);
  return { dir, lowers: [l2, l1, l0] };
}

/** What the kernel's merged view says: exists (and is not an empty dir), whether every ancestor is a directory. */
function kernelView(merged: string, p: string): { holds: boolean; parentsAreDirs: boolean } {
  const comps = p.split('/').filter((c) => c !== '');
  let parentsAreDirs = true;
  for (let i = 1; i < comps.length; i++) {
    const st = lstatSync(path.join(merged, ...comps.slice(0, i)), { throwIfNoEntry: false });
    if (st !== undefined && !st.isDirectory()) parentsAreDirs = false;
  }
  let holds = true;
  try {
    const st = lstatSync(path.join(merged, p), { throwIfNoEntry: false });
    holds = st !== undefined && !(st.isDirectory() && readdirSync(path.join(merged, p)).length === 0);
  } catch {
    holds = false;
  }
  return { holds, parentsAreDirs };
}

serial('lookupNewPath agrees with the mounted view, and refuses symlinks, files and whiteouts on the way', (t) => {
  const s = makeStack(t);
  const [l2, l1] = s.lowers as [string, string, string];
  const ro = mountReadOnly(t, s.lowers, path.join(s.dir, 'ro-scratch'));
  const cases: [string, boolean, string?][] = [
    ['/new', true],
    ['/empty', true],
    ['/e2', true], // empty in both layers it merges
    ['/deep/1/2', true],
    ['/empty/x/y', true],
    ['/usr/local/new', true],
    ['/usr/local/bin/tool', true],
    ['/deep/1/2/3/4', true],
    ['/d/a', true], // hidden by the opaque d of L1
    ['/d/a/x', true],
    ['/etc2/x/y', true],
    ['/', false, '/ exists and is not empty'],
    ['/usr', false, '/usr exists and is not empty'],
    ['/d', false, '/d exists and is not empty'],
    ['/wdir', false, '/wdir exists and is not empty'], // only a whiteout in it
    ['/usr/local/f', false, '/usr/local/f exists'],
    ['/d/b', true], // an empty dir
    ['/opt/x', false, '/opt exists and is not a directory'],
    ['/etc/file/x', false, '/etc/file exists and is not a directory'],
    ['/gone', false, `/gone is a whiteout in ${l1}`],
    ['/gone/x', false, `/gone is a whiteout in ${l1}`],
  ];
  for (const [p, absent, reason] of cases) {
    const got = lookupNewPath(s.lowers, p);
    t.is(got.clear, absent, p);
    if (!got.clear) t.is(got.reason, reason ?? '', p);
    const k = kernelView(ro.merged, p);
    if (got.clear) {
      t.false(k.holds, `${p}: nothing there in the kernel's view either`);
      t.true(k.parentsAreDirs, `${p}: every parent a directory`);
      for (const a of got.existing) t.true(lstatSync(path.join(ro.merged, a.rel)).isDirectory(), a.rel);
    }
  }
  const e2 = lookupNewPath(s.lowers, '/e2');
  t.deepEqual(e2.clear ? e2.existing.map((a) => a.source) : e2.reason, [path.join(l2, '..', 'l1', 'e2')]);
  const deep = lookupNewPath(s.lowers, '/../usr/./local//new');
  t.true(deep.clear);
  if (deep.clear) {
    t.deepEqual(deep.existing.map((a) => [a.rel, a.source]), [
      ['usr', path.join(l2, 'usr')],
      ['usr/local', path.join(l1, 'usr/local')],
    ]);
  }
});

/** Owner, mode, xattrs and mtime of a dir, as a layer records them (plus nanoseconds). */
function metaOf(p: string): string {
  const st = lstatSync(p, { bigint: true });
  const xattrs = fsx.llistxattr(p).filter((n) => !n.startsWith('trusted.overlay.')).sort()
    .map((n) => `${n}=${fsx.lgetxattr(p, n)?.toString('hex')}`);
  return `${st.uid}:${st.gid} ${(st.mode & 0o7777n).toString(8)} mtime=${st.mtimeNs} ${xattrs.join(',')}`;
}

serial("copyUpDirs makes the parents overlayfs' copy-up makes (owner, mode, xattrs, times)", (t) => {
  const s = makeStack(t);
  for (const p of ['usr/local/new', 'deep/1/2/new']) {
    const upperK = path.join(s.dir, `upper-kernel-${p.split('/')[0]}`);
    const upperD = path.join(s.dir, `upper-direct-${p.split('/')[0]}`);
    mkdirSync(upperK);
    mkdirSync(upperD);
    const ov = mountOverlay(t, s.lowers, upperK, path.join(s.dir, `rw-${p.split('/')[0]}`));
    mkdirSync(path.join(ov.merged, p));
    ov.unmount();

    const found = lookupNewPath(s.lowers, p);
    if (!found.clear) return t.fail(found.reason);
    copyUpDirs(upperD, found.existing);
    mkdirSync(path.join(upperD, p));
    const parents = found.existing.map((a) => a.rel);
    t.true(parents.length >= 2);
    // Every copied-up parent but the new dir's own has the lower's times; that one was just written to.
    for (const rel of parents.slice(0, -1)) t.is(metaOf(path.join(upperD, rel)), metaOf(path.join(upperK, rel)), rel);
    const strip = (m: string): string => m.replace(/mtime=\d+ /, '');
    const last = parents[parents.length - 1];
    t.is(strip(metaOf(path.join(upperD, last))), strip(metaOf(path.join(upperK, last))), last);
  }
});

serial('copyUpDirs refuses a parent that is already there', (t) => {
  const s = makeStack(t);
  const found = lookupNewPath(s.lowers, '/usr/x');
  if (!found.clear) return t.fail(found.reason);
  const upper = path.join(s.dir, 'upper');
  mkdirSync(path.join(upper, 'usr'), { recursive: true });
  t.throws(() => copyUpDirs(upper, found.existing), { code: 'EEXIST' });
});

serial('the root of an empty stack is clear (FROM scratch)', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsb-lowers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.deepEqual(lookupNewPath([dir], '/'), { clear: true, existing: [] });
});
