// COPY and mount stubs through a real overlay (the runner's private mount session): the merged view is
// written, the upper dir records exactly the diff, image symlinks living in the lower layer are
// followed in-root, and stubs made for mounts are gone from the upper dir afterwards.
import test from 'ava';
import { mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { openMountSession } from '@tsbuild/runner';
import { copy, makeSandbox, snapshot, writeTree } from './helpers.js';
import { prepareRunMounts } from '../../src/mounts/index.js';

test.serial('COPY into an overlay merged view: the upper dir holds the diff, lower symlinks resolve in-root', async (t) => {
  const sb = makeSandbox(t);
  const lower = `${sb.dir}/lower`;
  const upper = `${sb.dir}/upper`;
  const work = `${sb.dir}/work`;
  for (const d of [upper, work]) mkdirSync(d);
  writeTree(lower, { 'etc/os-release': 'base' });
  symlinkSync('/etc', `${lower}/app`); // the image's own symlink, in a lower layer
  writeTree(sb.ctx, { 'conf.txt': 'C', 'src/main.js': 'M' });
  const session = await openMountSession();
  t.teardown(() => session.close());
  const view = await session.mountOverlay([lower], upper, work);
  try {
    const before = snapshot(sb.outside);
    await copy(sb, { sources: ['conf.txt'], dest: '/app/' }, { destRoot: view.path });
    await copy(sb, { sources: ['src'], dest: '/srv/' }, { destRoot: view.path });
    t.is(readFileSync(`${view.path}/etc/conf.txt`, 'utf8'), 'C');
    t.deepEqual(snapshot(sb.outside), before);
  } finally {
    await view.unmount();
  }
  const diff = snapshot(upper);
  t.truthy(diff['etc/conf.txt']);
  t.truthy(diff['srv/main.js']);
  t.false('app' in diff, 'the symlink itself is untouched');
  t.false('etc/os-release' in diff, 'unchanged lower files are not copied up');
});

test.serial('mount stubs made through the merged view leave nothing in the upper dir', async (t) => {
  const sb = makeSandbox(t);
  const lower = `${sb.dir}/lower`;
  const upper = `${sb.dir}/upper`;
  const work = `${sb.dir}/work`;
  for (const d of [upper, work, `${sb.dir}/cache`, `${sb.dir}/scratch`]) mkdirSync(d);
  writeTree(lower, { 'root/.profile': 'p', 'run/.keep': '' });
  writeTree(sb.dir, { token: 'T' });
  const session = await openMountSession();
  t.teardown(() => session.close());
  const view = await session.mountOverlay([lower], upper, work);
  const prepared = await prepareRunMounts(
    [
      { type: 'cache', target: '/root/.cache/go', id: 'go', readOnly: false, sharing: 'shared' },
      { type: 'secret', id: 'tok', target: '/run/secrets/tok', readOnly: true },
      { type: 'tmpfs', target: '/tmp/t', readOnly: false },
    ],
    {
      rootView: view.path,
      upperDir: upper,
      workdir: '/',
      contextDir: sb.ctx,
      rootOf: async () => lower,
      cacheDir: `${sb.dir}/cache`,
      scratchDir: `${sb.dir}/scratch`,
      secrets: [{ id: 'tok', src: `${sb.dir}/token` }],
      env: {},
    },
  );
  await view.unmount(); // the run would mount its own overlay of the same dirs here
  t.deepEqual(prepared.mounts.map((m) => m.target), ['/root/.cache/go', '/run/secrets/tok', '/tmp/t']);
  t.true(readdirSync(upper).length > 0, 'stubs exist in the upper dir during the run');
  t.deepEqual(await prepared.release(), []);
  const left = snapshot(upper);
  for (const stub of ['root/.cache', 'root/.cache/go', 'run/secrets', 'run/secrets/tok', 'tmp', 'tmp/t']) {
    t.false(stub in left, stub);
  }
});
