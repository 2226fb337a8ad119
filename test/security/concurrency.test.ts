// CONC-01 and CONC-03 (SECURITY.md §4) through the CLI: eight builds and two loads at once on one
// store, with prune looping beside them. All succeed, share identical layers, and leave a store
// that verifies and holds no temp leftovers.
import test from 'ava';
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BASE, BUSYBOX_TAR, canMakeBase, cli, collect, isRoot, sandbox, startCli, writeTree, type CliResult } from './helpers.js';

const serial = canMakeBase && isRoot ? test.serial : test.skip;
const N = 8;

serial('CONC-01/CONC-03: 8 builds and 2 loads at once, prune looping beside them', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  await writeTree(sb.ctx, { 'shared.txt': 'shared by all builds\n' });
  const builds: Promise<CliResult>[] = [];
  for (let i = 0; i < N; i++) {
    await writeTree(sb.ctx, { [`own${i}.txt`]: `build ${i}\n` });
    const df = path.join(sb.dir, `Dockerfile.c${i}`);
    await writeFile(df, `FROM ${BASE}\nCOPY shared.txt /shared\nRUN echo ${i % 2} > /parity\nCOPY own${i}.txt /own\n`);
    const child = startCli(sb.root, ['build', '--progress', 'plain', '-t', `localhost/conc:${i}`, '-f', df, sb.ctx]);
    child.stdin?.end();
    builds.push(collect(child, 180_000));
  }
  const loads = existsSync(BUSYBOX_TAR)
    ? [cli(sb.root, ['load', '-i', BUSYBOX_TAR, 'localhost/conc-load:a']), cli(sb.root, ['load', '-i', BUSYBOX_TAR, 'localhost/conc-load:b'])]
    : [];
  let running = true;
  const pruner = (async () => {
    let n = 0;
    while (running) {
      const p = await cli(sb.root, ['prune']);
      if (p.code !== 0) throw new Error(`prune failed: ${p.stderr}`);
      n++;
    }
    return n;
  })();
  const results = await Promise.all([...builds, ...loads]);
  running = false;
  const prunes = await pruner;
  t.true(prunes >= 1);
  results.forEach((r, i) => {
    if (r.code !== 0) t.log(`#${i} (${i < N ? 'build' : 'load'}) exit ${r.code}:\n${r.stderr}`);
    t.is(r.code, 0, `#${i}`);
    t.notRegex(r.stderr, /EEXIST|ENOENT/, `#${i} shows no raw fs error`);
  });
  // The shared COPY layer is one layer: the same diffID in every image.
  const diffIds = new Set<string>();
  for (let i = 0; i < N; i++) {
    const ins = await cli(sb.root, ['inspect', `localhost/conc:${i}`]);
    t.is(ins.code, 0, ins.stderr);
    const layers = (JSON.parse(ins.stdout) as Array<{ RootFS: { Layers: string[] } }>)[0]?.RootFS.Layers ?? [];
    diffIds.add(layers[layers.length - 3] as string);
  }
  t.is(diffIds.size, 1, 'the identical COPY gave one layer');
  const v = await cli(sb.root, ['verify']);
  t.is(v.code, 0, v.stdout + v.stderr);
  // A prune after everything removes nothing that a tag needs: every image still runs.
  t.is((await cli(sb.root, ['prune'])).code, 0);
  for (let i = 0; i < N; i++) {
    const r = await cli(sb.root, ['run', '--rm', `localhost/conc:${i}`, 'cat', '/own', '/shared']);
    t.is(r.stdout, `build ${i}\nshared by all builds\n`, r.stderr);
  }
  t.deepEqual(readdirSync(path.join(sb.root, 'tmp')), [], 'no temp leftovers');
});
