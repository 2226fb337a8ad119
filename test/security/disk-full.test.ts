// RES-03 (SECURITY.md §4): the store on a small filesystem that fills up during a RUN and during
// the commit of a layer. ENOSPC fails the build cleanly (exit 1), nothing partial stays, verify is
// clean, and once space is back the same build succeeds.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { BASE, buildText, canMakeBase, cli, isRoot, sandbox, writeTree, type Sandbox } from './helpers.js';

const serial = canMakeBase && isRoot ? test.serial : test.skip;

/** Fills the store's filesystem with a host file until about `leaveMiB` remain. */
function fill(sb: Sandbox, leaveMiB: number): string {
  const fs = path.dirname(sb.root);
  const df = spawnSync('df', ['--output=avail', '-B1M', fs], { encoding: 'utf8' });
  const avail = Number(df.stdout.trim().split('\n').pop());
  const filler = path.join(fs, 'filler');
  spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M', `count=${Math.max(0, avail - leaveMiB)}`]);
  return filler;
}

serial('RES-03: ENOSPC during a RUN and during a layer commit fails cleanly; after freeing space the build works', async (t) => {
  const sb = await sandbox('tsbuild-sec-full-', { tmpfsSize: '96m' });
  t.teardown(sb.cleanup);
  // Warm up: the base unpacked, state dirs made, so what follows measures only the step.
  t.is((await buildText(sb, `FROM ${BASE}\nRUN true\n`)).code, 0);
  const filler = fill(sb, 4);

  const run = await buildText(sb, `FROM ${BASE}\nRUN dd if=/dev/zero of=/big bs=1M count=16\n`);
  t.is(run.code, 1, run.stderr);
  t.regex(run.stderr, /RUN_FAILED|ENOSPC|No space/);
  let v = await cli(sb.root, ['verify']);
  t.is(v.code, 0, `after ENOSPC in RUN: ${v.stdout}${v.stderr}`);

  // A COPY whose layer does not fit: the failure names the cause; no partial blob is left.
  const big = Buffer.alloc(12 << 20, 'x');
  await writeTree(sb.ctx, { 'big.bin': big });
  const copy = await buildText(sb, `FROM ${BASE}\nCOPY big.bin /big.bin\n`);
  t.is(copy.code, 1, copy.stderr);
  t.regex(copy.stderr, /ENOSPC|No space|space/i);
  v = await cli(sb.root, ['verify']);
  t.is(v.code, 0, `after ENOSPC in COPY: ${v.stdout}${v.stderr}`);

  await rm(filler);
  const runAgain = await buildText(sb, `FROM ${BASE}\nRUN dd if=/dev/zero of=/big bs=1M count=16\n`);
  t.is(runAgain.code, 0, runAgain.stderr);
  const copyAgain = await buildText(sb, `FROM ${BASE}\nCOPY big.bin /big.bin\n`);
  t.is(copyAgain.code, 0, copyAgain.stderr);
  v = await cli(sb.root, ['verify']);
  t.is(v.code, 0, v.stdout + v.stderr);
});
