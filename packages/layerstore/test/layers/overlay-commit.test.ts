// Layers generated from REAL overlay upper dirs, checked entry by entry and against an independent
// reader: ocitool.py flattening [base, layer] must equal the merged view the overlay showed.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { fsx } from '../../src/native.js';
import { makeStore, makeUpper } from './helpers/store.js';
import { mountOverlay, mountReadOnly } from './helpers/overlay.js';
import { flatten, walkDir, writeLayout } from './helpers/layout.js';
import { haveOcitool } from './helpers/layout.js';

/** Tests that check our layers with the shared independent reader (ocitool.py) run where it is. */
const withReader = haveOcitool() ? test.serial : test.skip;

withReader('overlay changes become whiteouts, opaque dirs and canonical entries', async (t) => {
  const s = makeStore(t);
  const baseDir = makeUpper(s, 'base');
  const w = (p: string, data = p): void => {
    mkdirSync(path.dirname(path.join(baseDir, p)), { recursive: true });
    writeFileSync(path.join(baseDir, p), data);
  };
  for (const p of ['etc/passwd', 'etc/keep', 'dir1/a', 'dir1/sub/b', 'dir2/x', 'file3', 'del', 'deldir/y', 'dir4/z', 'bin/tool']) w(p);
  const base = await s.layers.commit(baseDir, { sourceDateEpoch: 1_000_000_000 });

  const scratch = mkdtempSync(path.join(s.tmpDir, 'scratch-'));
  const upper = makeUpper(s);
  const ov = mountOverlay(t, [base.snapshotDir], upper, scratch);
  const m = (p: string): string => path.join(ov.merged, p);
  writeFileSync(m('etc/passwd'), 'root:x:0:0\n'); // copy-up
  unlinkSync(m('del'));
  rmSync(m('deldir'), { recursive: true });
  rmSync(m('dir1'), { recursive: true });
  mkdirSync(m('dir1')); // re-created: overlay marks it opaque
  writeFileSync(m('dir1/new'), 'new');
  rmSync(m('dir2'), { recursive: true });
  writeFileSync(m('dir2'), 'dir2 is a file now'); // dir → file
  unlinkSync(m('file3'));
  mkdirSync(m('file3'));
  writeFileSync(m('file3/in'), 'file → dir');
  writeFileSync(m('hl1'), 'linked');
  linkSync(m('hl1'), m('hl2'));
  writeFileSync(m('suid'), '#!/bin/sh\n');
  chmodSync(m('suid'), 0o4755);
  execFileSync('setcap', ['cap_net_raw+ep', m('bin/tool')]);
  writeFileSync(m('xattr'), 'x');
  fsx.lsetxattr(m('xattr'), 'user.k', Buffer.from('v'));
  symlinkSync('/etc/passwd', m('pw'));
  const mergedView = walkDir(ov.merged);
  ov.unmount();

  const layer = await s.layers.commit(upper, { sourceDateEpoch: 1_000_000_000 });
  const blob = path.join(s.root, 'blobs/sha256', layer.blob.digest.slice(7));
  const entries = execFileSync('tar', ['-tf', blob]).toString().trim().split('\n');
  // Sorted by the names in the upper dir; a whiteout sits where the name it deletes would.
  t.deepEqual(entries, [
    'bin/', 'bin/tool',
    '.wh.del', '.wh.deldir',
    'dir1/', 'dir1/.wh..wh..opq', 'dir1/new',
    'dir2',
    'etc/', 'etc/passwd',
    'file3/', 'file3/.wh..wh..opq', 'file3/in', // overlay marks a dir made over a whiteout opaque
    'hl1', 'hl2', 'pw', 'suid', 'xattr',
  ]);
  const verbose = execFileSync('tar', ['-tvf', blob, '--numeric-owner']).toString();
  t.regex(verbose, /hrw-r--r-- 0\/0 +0 [^\n]* hl2 link to hl1/);
  t.regex(verbose, /-rwsr-xr-x 0\/0 [^\n]* suid/);
  t.regex(verbose, /---------- 0\/0 +0 1970-01-01 00:00 \.wh\.del/);
  const caps = execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-xvf', blob, '-C', mkdtempSync(path.join(s.tmpDir, 'x-')), 'bin/tool']).toString();
  t.true(caps.includes('bin/tool'));

  // Independent reader: flatten [base, layer] == what the overlay showed.
  const layoutDir = mkdtempSync(path.join(s.tmpDir, 'layout-'));
  writeLayout(layoutDir, s.root, [base, layer]);
  t.is(flatten(layoutDir), mergedView);
  // And the snapshot dirs stacked as lowers (what the runner will mount) show the same tree.
  const ro = mountReadOnly(t, [layer.snapshotDir, base.snapshotDir], mkdtempSync(path.join(s.tmpDir, 'ro-')));
  t.is(walkDir(ro.merged), mergedView);
  ro.unmount();
});

test.serial('security.capability and user.* xattrs are layer content; trusted.overlay.* never is', async (t) => {
  const s = makeStore(t);
  const upper = makeUpper(s);
  writeFileSync(path.join(upper, 'ping'), 'elf');
  execFileSync('setcap', ['cap_net_raw+ep', path.join(upper, 'ping')]);
  fsx.lsetxattr(path.join(upper, 'ping'), 'user.a', Buffer.from([0, 1, 0xff]));
  fsx.lsetxattr(path.join(upper, 'ping'), 'trusted.overlay.origin', Buffer.from('x'));
  const layer = await s.layers.commit(upper);
  const blob = path.join(s.root, 'blobs/sha256', layer.blob.digest.slice(7));
  const out = mkdtempSync(path.join(s.tmpDir, 'x-'));
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-xf', blob, '-C', out]);
  t.regex(execFileSync('getcap', [path.join(out, 'ping')]).toString(), /cap_net_raw[=+]ep/);
  t.deepEqual(fsx.lgetxattr(path.join(out, 'ping'), 'user.a'), Buffer.from([0, 1, 0xff]));
  t.is(fsx.lgetxattr(path.join(out, 'ping'), 'trusted.overlay.origin'), null);
});

test.serial('a redirect_dir upper is refused with EUNSUPPORTED', async (t) => {
  const s = makeStore(t);
  const upper = makeUpper(s);
  mkdirSync(path.join(upper, 'moved'));
  fsx.lsetxattr(path.join(upper, 'moved'), 'trusted.overlay.redirect', Buffer.from('/orig'));
  const e = await t.throwsAsync(s.layers.commit(upper));
  t.is((e as { code?: string }).code, 'EUNSUPPORTED');
});
