// Images whose layer list holds the same layer twice. Real images have them (two steps that write
// the same bytes, the classic empty gzip layer), and a Dockerfile can make one on purpose.
import test from 'ava';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { BASE, buildText, canMakeBase, cli, isRoot, sandbox, writeTree } from './helpers.js';

const serial = canMakeBase && isRoot ? test.serial : test.skip;

// Was a bug: two equal layers gave the same snapshot dir twice in overlayfs' lowerdir, which the
// kernel refuses with ELOOP, so every later RUN, COPY, export and `tsbuild run` of such an image
// failed. The runner now keeps only the topmost occurrence (distinctLowers in
// packages/runner/src/helper.ts): the lower copy is entirely shadowed by the upper one.
serial('a layer that occurs twice in an image still mounts: later steps, export and run work', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  await writeTree(sb.ctx, { f: 'same\n' });
  const out = path.join(sb.dir, 'out');
  const r = await buildText(sb, `FROM ${BASE}\nCOPY f /a\nCOPY f /a\nRUN cat /a > /b\n`, ['-t', 'localhost/dup:1', '-o', `type=local,dest=${out}`]);
  t.is(r.code, 0, r.stderr);
  t.is(await readFile(path.join(out, 'b'), 'utf8'), 'same\n');
  const run = await cli(sb.root, ['run', '--rm', 'localhost/dup:1', 'cat', '/a']);
  t.is(run.code, 0, run.stderr);
  t.is(run.stdout, 'same\n');
});
