import test from 'ava';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { removeMountStubs } from '../../src/executor/rootfs.js';

test('mount stubs leave the layer; what existed below or has content stays', async (t) => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'stubs-'));
  t.teardown(() => rm(tmp, { recursive: true, force: true }));
  const upper = path.join(tmp, 'upper');
  const lower = path.join(tmp, 'lower');
  await mkdir(path.join(lower, 'var'), { recursive: true });
  await mkdir(path.join(upper, 'var/cache/eval'), { recursive: true });
  await mkdir(path.join(upper, 'mnt/data'), { recursive: true });
  await mkdir(path.join(upper, 'keep'), { recursive: true });
  await writeFile(path.join(upper, 'keep/written'), 'x');
  await mkdir(path.join(upper, 'etc'), { recursive: true });
  await writeFile(path.join(upper, 'etc/hosts'), '');
  await removeMountStubs(upper, [lower], ['/var/cache/eval', '/mnt/data', '/keep', '/etc/hosts']);
  t.deepEqual((await readdir(upper)).sort(), ['keep', 'var']);
  t.deepEqual(await readdir(path.join(upper, 'var')), [], '/var exists below: kept (its copy-up is harmless)');
});
