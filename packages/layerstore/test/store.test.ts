import test from 'ava';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isStoreError } from '../src/errors.js';
import { defaultRoot } from '../src/store-layout.js';
import { openStore } from '../src/store.js';
import { tempDir, tempStore } from './helpers/temp-root.js';

test('a new root is an OCI layout with our folders beside it, 0700', async (t) => {
  const store = await tempStore(t);
  t.deepEqual((await readdir(store.root)).sort(), ['blobs', 'cache', 'index.json', 'layers', 'locks', 'oci-layout', 'snapshots', 'state', 'tmp']);
  t.deepEqual(JSON.parse(await readFile(join(store.root, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  t.deepEqual(JSON.parse(await readFile(join(store.root, 'index.json'), 'utf8')), { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });
  t.is((await stat(store.root)).mode & 0o777, 0o700);
});

test('opening an existing root keeps its index; a root made 0755 is set back to 0700', async (t) => {
  const root = join(await tempDir(t), 'r');
  const a = await openStore(root);
  await a.images.write({ config: { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } }, layers: [], tags: ['x'] });
  await a.close();
  const { chmod } = await import('node:fs/promises');
  await chmod(root, 0o755);
  const b = await openStore(root);
  t.teardown(() => b.close());
  t.truthy(await b.images.resolve('x'));
  t.is((await stat(root)).mode & 0o777, 0o700);
});

test('defaultRoot: TSBUILD_ROOT, else /var/lib/tsbuild for root, else XDG_DATA_HOME', (t) => {
  t.is(defaultRoot({ TSBUILD_ROOT: '/x/y' }), '/x/y');
  if (process.getuid?.() === 0) t.is(defaultRoot({}), '/var/lib/tsbuild');
  else t.is(defaultRoot({ XDG_DATA_HOME: '/d' }), '/d/tsbuild');
});

test('work areas live in the process tmp dir and dispose twice safely', async (t) => {
  const store = await tempStore(t);
  const area = await store.workArea();
  for (const d of [area.upperDir, area.workDir, area.scratchDir]) t.true(d.startsWith(store.lease.tmpDir) && existsSync(d));
  await writeFile(join(area.upperDir, 'f'), 'x');
  await area.dispose();
  await area.dispose();
  t.false(existsSync(area.upperDir));
});

test('stateDir makes a folder per valid name and refuses paths (EINVALIDNAME)', async (t) => {
  const store = await tempStore(t);
  const dir = await store.stateDir('statcache');
  t.is(dir, join(store.root, 'state', 'statcache'));
  t.true(existsSync(dir));
  for (const bad of ['../x', 'a/b', '', '.hidden']) t.true(isStoreError(await t.throwsAsync(store.stateDir(bad)), 'EINVALIDNAME'), bad);
});

test('close removes the process tmp dir, lease and lock', async (t) => {
  const root = join(await tempDir(t), 'r');
  const store = await openStore(root);
  await store.blobs.putBytes(Buffer.from('x'));
  await store.close();
  await store.close();
  t.deepEqual(await readdir(join(root, 'tmp')), []);
  t.deepEqual(await readdir(join(root, 'locks/procs')), []);
});

const asRoot = process.getuid?.() === 0 ? test : test.skip;
asRoot('STO-01: another user cannot list the store or read a blob (needs root to switch to nobody)', async (t) => {
  const store = await tempStore(t);
  const { digest } = await store.blobs.putBytes(Buffer.from('secret layer'));
  const { spawnSync } = await import('node:child_process');
  const asNobody = (args: string[]) => spawnSync(args[0]!, args.slice(1), { uid: 65534, gid: 65534, encoding: 'utf8' });
  t.not(asNobody(['ls', store.root]).status, 0);
  const cat = asNobody(['cat', join(store.root, 'blobs/sha256', digest.slice(7))]);
  t.not(cat.status, 0);
  t.regex(cat.stderr, /Permission denied/);
});
