// Reproducible builds: the same inputs with SOURCE_DATE_EPOCH give the same image digest on two
// store roots, and every time in the image is that date.
import test from 'ava';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { openStore } from '@tsbuild/layerstore';
import { FIXTURES, haveBusybox, loadBuild, sink, storeWithBusybox, tempDir } from './helpers.js';

const build = await loadBuild();

const run = haveBusybox ? test.serial : test.skip;
const EPOCH = 1_700_000_000;

run('two builds on two store roots with SOURCE_DATE_EPOCH give the same image digest', async (t) => {
  const a = await tempDir('tsbuild-repro-a-');
  const b = await tempDir('tsbuild-repro-b-');
  t.teardown(a.cleanup);
  t.teardown(b.cleanup);
  await storeWithBusybox(path.join(a.dir, 'root'));
  await storeWithBusybox(path.join(b.dir, 'root'));
  // Two checkouts: other paths, other mtimes, same content.
  await cp(path.join(FIXTURES, 'demo'), path.join(a.dir, 'ctx'), { recursive: true });
  await new Promise((r) => setTimeout(r, 1100));
  await cp(path.join(FIXTURES, 'demo'), path.join(b.dir, 'ctx'), { recursive: true });
  const io = { stdout: sink(), stderr: sink(), env: { SOURCE_DATE_EPOCH: String(EPOCH) } };
  const one = await build({ contextDir: path.join(a.dir, 'ctx'), root: path.join(a.dir, 'root'), progress: 'quiet' }, io);
  const two = await build({ contextDir: path.join(b.dir, 'ctx'), root: path.join(b.dir, 'root'), progress: 'quiet' }, io);
  t.is(one.manifestDigest, two.manifestDigest);
  t.is(one.imageId, two.imageId);
  const created = new Date(EPOCH * 1000).toISOString().replace('.000Z', 'Z');
  t.is(one.image.config.created, created);
  // The entries after the base image's own (whose times are the base's) are this build's.
  const store = await openStore(path.join(a.dir, 'root'));
  const baseEntries = (await store.images.resolve('localhost/busybox:latest'))?.config.history?.length ?? 0;
  await store.close();
  const ours = (one.image.config.history ?? []).slice(baseEntries);
  t.true(ours.length > 0);
  t.true(ours.every((h) => h.created === created));
});

run('the epoch can come from --build-arg SOURCE_DATE_EPOCH', async (t) => {
  const a = await tempDir('tsbuild-repro-c-');
  t.teardown(a.cleanup);
  await storeWithBusybox(path.join(a.dir, 'root'));
  const r = await build(
    { contextDir: path.join(FIXTURES, 'demo'), root: path.join(a.dir, 'root'), progress: 'quiet', buildArgs: { SOURCE_DATE_EPOCH: String(EPOCH) } },
    { stdout: sink(), stderr: sink(), env: {} },
  );
  t.is(r.image.config.created, new Date(EPOCH * 1000).toISOString().replace('.000Z', 'Z'));
});
