// TAR-01..07 (SECURITY.md §4) end to end: images whose top layer is a hostile tar, brought in with
// `tsbuild load`, then built on and run. The layer applier has its own tables in
// packages/layerstore/test/layers; this checks that the CLI paths (load → snapshot → overlay → RUN,
// export) use it and that nothing outside the store is ever written.
import test from 'ava';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BASE, buildText, canMakeBase, cli, isRoot, sandbox, sentinel } from './helpers.js';
import { loadEditedImage, rawTar, type RawEntry } from './images.js';

const serial = canMakeBase && isRoot ? test.serial : test.skip;

function cases(S: string): Record<string, RawEntry[]> {
  const rel = path.relative('/', S);
  const up = '../../../../../../../../..';
  return {
    'dotdot name': [{ name: `${up}/${rel}/pwned-dotdot`, type: '0', data: 'x' }],
    'absolute name': [{ name: `${S}/pwned-abs`, type: '0', data: 'x' }],
    'symlink then write (CVE-2021-32803)': [
      { name: 'd/', type: '5' },
      { name: 'd', type: '2', linkname: `${S}/probe` },
      { name: 'd/pwned-d', type: '0', data: 'x' },
    ],
    'relative symlink then write': [
      { name: 'e', type: '2', linkname: `${up}/${rel}/probe` },
      { name: 'e/pwned-e', type: '0', data: 'x' },
    ],
    'hardlink to an absolute host path, then write (CVE-2018-20834, CVE-2026-23745)': [
      { name: 'h', type: '1', linkname: `${S}/sentinel` },
      { name: 'h', type: '0', data: 'overwritten' },
    ],
    'hardlink with ..': [{ name: 'h2', type: '1', linkname: `${up}/${rel}/sentinel` }],
    'hardlink through a symlink chain (CVE-2026-26960)': [
      { name: 'l1', type: '2', linkname: up },
      { name: 'h3', type: '1', linkname: `l1/${rel}/sentinel` },
      { name: 'h3', type: '0', data: 'overwritten' },
    ],
    'whiteout of the root (.wh..)': [{ name: '.wh..', type: '0' }],
    'whiteout under etc (etc/.wh..)': [{ name: 'etc/.wh..', type: '0' }],
    'whiteout through a symlinked parent': [
      { name: 'wd', type: '2', linkname: S },
      { name: 'wd/.wh.sentinel', type: '0' },
      { name: 'wd/.wh.probe', type: '0' },
    ],
    'root as a symlink (CVE-2021-29136)': [
      { name: './', type: '2', linkname: `${S}/probe` },
      { name: 'etc/pwned-root', type: '0', data: 'x' },
    ],
    'metadata through a symlink (CVE-2021-32760)': [
      { name: 'm', type: '2', linkname: `${S}/sentinel` },
      { name: 'm2', type: '1', linkname: 'm' },
      { name: 'm', type: '5', mode: 0o777 },
    ],
    'block device': [{ name: 'blk', type: '4', linkname: '' }],
  };
}

serial('TAR e2e: hostile layers loaded, built on, exported and run never write outside the store', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const S = await sentinel(sb.dir);
  let i = 0;
  for (const [what, entries] of Object.entries(cases(S.dir))) {
    const name = `localhost/tar:${++i}`;
    const load = await loadEditedImage(sb, BASE, name, () => undefined, rawTar(entries));
    t.true(load.code === 0 || load.code === 1, `${what}: load exit ${load.code}\n${load.stderr}`);
    t.deepEqual(await S.changes(), [], `${what}: load`);
    if (load.code !== 0) {
      t.log(`${what}: load refused`);
      continue;
    }
    const out = path.join(sb.dir, `out${i}`);
    const b = await buildText(
      sb,
      `FROM ${name}\nRUN ls -la / > /dev/null; head -c1 /blk 2>/dev/null | wc -c > /tmp/blk; echo new > /etc/after\n`,
      ['-o', `type=local,dest=${out}`],
    );
    t.true(b.code === 0 || b.code === 1, `${what}: build exit ${b.code}\n${b.stderr}`);
    t.deepEqual(await S.changes(), [], `${what}: build`);
    t.log(`${what}: loaded; build exit ${b.code}`);
    const run = await cli(sb.root, ['run', '--rm', name, 'sh', '-c', 'cat /h /h2 /h3 2>/dev/null; true']);
    t.false(run.stdout.includes('sentinel'), `${what}: a hardlink reached the host sentinel`);
    t.deepEqual(await S.changes(), [], `${what}: run`);
  }
  for (const p of ['/pwned-dotdot', '/pwned-abs', '/etc/pwned-root', '/etc/after']) t.false(existsSync(p), p);
});
