// Removing a work area or a dead process's tmp dir never deletes through a mount left in it
// (a bind-mounted host folder from `run -v`, an overlay): mounts are detached first.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore } from '../../src/store.js';
import { mountsUnder } from '../../src/remove-tree.js';
import { tempDir, tempStore } from '../helpers/temp-root.js';
import { runWorker } from '../helpers/spawn-worker.js';

const root = process.getuid?.() === 0 ? test.serial : test.skip;

root('dispose of a work area with a bind mount in it detaches the mount and keeps the host files', async (t) => {
  const store = await tempStore(t);
  const host = await tempDir(t, 'host-');
  await writeFile(join(host, 'sentinel'), 'keep me');
  const area = await store.workArea();
  await mkdir(join(area.scratchDir, 'vol'));
  t.is(spawnSync('mount', ['--bind', host, join(area.scratchDir, 'vol')]).status, 0);
  t.teardown(() => spawnSync('umount', ['--lazy', join(area.scratchDir, 'vol')]));
  t.is((await mountsUnder(area.scratchDir)).length, 1);
  await area.dispose();
  t.is(await readFile(join(host, 'sentinel'), 'utf8'), 'keep me');
  t.false(existsSync(area.scratchDir));
});

root('recovery after a SIGKILL with a bind mount in a work area keeps the host files (CRASH-04 cleanup)', async (t) => {
  const dir = await tempDir(t);
  const storeRoot = join(dir, 'root');
  const host = await tempDir(t, 'host-');
  await writeFile(join(host, 'sentinel'), 'keep me');
  const r = await runWorker(['crash-with-mount', storeRoot, host]);
  t.is(r.signal, 'SIGKILL', r.stderr || r.message);
  t.is((await mountsUnder(join(storeRoot, 'tmp'))).length, 1);
  const store = await openStore(storeRoot);
  t.teardown(() => store.close());
  t.is(store.recovered.length, 1);
  t.is((await mountsUnder(join(storeRoot, 'tmp'))).length, 0);
  t.is(await readFile(join(host, 'sentinel'), 'utf8'), 'keep me');
  t.deepEqual(await readdir(join(storeRoot, 'tmp')), [store.lease.id]);
});
