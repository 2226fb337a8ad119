// CLN-02, CLN-03, CLN-04, CRASH-03 and CRASH-04 (SECURITY.md §4) through the CLI: background and
// orphaned step processes, exit codes, SIGINT / SIGTERM / SIGKILL of the builder during a RUN. After
// each: no step process left, no mount below the test dir, `tsbuild verify` clean, the next build works.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  BASE,
  buildText,
  canMakeBase,
  cli,
  collect,
  isRoot,
  mountsBelow,
  outputIncludes,
  pidsWithArg,
  sandbox,
  sentinel,
  startCli,
  waitFor,
  writeTree,
  type Sandbox,
} from './helpers.js';

const serial = canMakeBase && isRoot ? test.serial : test.skip;

/** A sleep whose argv is unique to this test: `sleep 1000.<random>` (busybox takes fractions). */
function uniqueSleep(): string {
  return `1000.${randomInt(100_000, 999_999)}`;
}

/** Mounts of the host namespace that belong to this sandbox or to a tsbuild process `pid`. */
function leftoverMounts(sb: Sandbox, pid: number | undefined): string[] {
  const mine = mountsBelow(sb.dir);
  const shm = pid === undefined ? [] : mountsBelow('/dev/shm').filter((m) => m.includes(`-${pid}-`));
  return [...mine, ...shm];
}

async function verifyClean(t: import('ava').ExecutionContext, sb: Sandbox, when: string): Promise<void> {
  const v = await cli(sb.root, ['verify']);
  t.is(v.code, 0, `${when}: verify\n${v.stdout}\n${v.stderr}`);
}

async function nextBuildWorks(t: import('ava').ExecutionContext, sb: Sandbox, when: string): Promise<void> {
  const t0 = Date.now();
  const r = await buildText(sb, `FROM ${BASE}\nRUN echo after > /after\n`, [], { timeoutMs: 60_000 });
  t.is(r.code, 0, `${when}: the next build\n${r.stderr}`);
  t.true(Date.now() - t0 < 30_000, `${when}: the next build did not wait for a lock`);
}

serial('CLN-03: CLI exit codes are distinct and errors name the line and the status', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const ok = await buildText(sb, `FROM ${BASE}\nRUN false || true\n`);
  t.is(ok.code, 0, ok.stderr);

  const exit3 = await buildText(sb, `FROM ${BASE}\nRUN true\nRUN exit 3\n`);
  t.is(exit3.code, 1);
  t.regex(exit3.stderr, /Dockerfile\.\d+:3\b/, 'the failing line');
  t.regex(exit3.stderr, /RUN_FAILED/);
  t.regex(exit3.stderr, /\b3\b/);

  const killed = await buildText(sb, `FROM ${BASE}\nRUN sh -c 'kill -9 $$'\n`);
  t.is(killed.code, 1);
  t.regex(killed.stderr, /Dockerfile\.\d+:2\b/);
  t.regex(killed.stderr, /137|SIGKILL/);

  const parse = await buildText(sb, `FROM ${BASE}\nFROB x\n`);
  t.is(parse.code, 2, parse.stderr);
  t.regex(parse.stderr, /Dockerfile\.\d+:2\b/);

  const missing = await buildText(sb, 'FROM localhost/no-such-image-here:1\nRUN true\n', [], { timeoutMs: 60_000 });
  t.is(missing.code, 1, missing.stderr);
  t.regex(missing.stderr, /FROM_IMAGE_NOT_FOUND/);

  const usage = await cli(sb.root, ['build', '--no-such-flag', sb.ctx]);
  t.is(usage.code, 2);

  const missingFile = await buildText(sb, `FROM ${BASE}\nCOPY nothere /x\n`);
  t.is(missingFile.code, 1);
  t.regex(missingFile.stderr, /Dockerfile\.\d+:2\b/);
});

serial('CLN-02: background processes of a RUN are gone when it ends; the next COPY sees a quiet rootfs', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const S = await sentinel(sb.dir);
  const s1 = uniqueSleep();
  const s2 = uniqueSleep();
  const s3 = uniqueSleep();
  const name = `cln02-${randomInt(1e9)}`;
  await writeTree(sb.ctx, { [name]: 'copied\n' });
  const t0 = Date.now();
  // The third RUN leaves a "daemon" that keeps swapping /x between a dir and a symlink to /.
  const r = await buildText(
    sb,
    `FROM ${BASE}\nRUN sleep ${s1} & true\nRUN (nohup sleep ${s2} > /dev/null 2>&1 &) ; true\n` +
      `RUN (while :; do rm -rf /x; ln -sfn / /x; rm -f /x; mkdir -p /x; sleep ${s3} & done) > /dev/null 2>&1 & sleep 0.5\n` +
      `COPY ${name} /x/\nRUN ls /x > /tmp/x-list\n`,
    ['-o', `type=local,dest=${path.join(sb.dir, 'out')}`],
  );
  t.is(r.code, 0, r.stderr);
  t.true(Date.now() - t0 < 60_000, 'no step waited for its background processes');
  for (const s of [s1, s2, s3]) t.deepEqual(pidsWithArg(s), [], `sleep ${s} is gone`);
  t.false(existsSync(`/${name}`), 'the COPY did not follow a raced symlink to the host root');
  // /x was a dir, missing, or a link to / when the daemon died: the file is in the rootfs either way.
  const landed = [path.join(sb.dir, 'out/x', name), path.join(sb.dir, 'out', name)].filter((p) => existsSync(p));
  t.true(landed.length >= 1, 'the COPY landed in the rootfs');
  for (const p of landed) t.is(await readFile(p, 'utf8'), 'copied\n');
  t.deepEqual(await S.changes(), []);
  t.deepEqual(leftoverMounts(sb, undefined), []);
});

serial('CLN-04: orphans are reaped inside the step (no zombies); SIGTERM stops the build with 143', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const out = path.join(sb.dir, 'out');
  const r = await buildText(sb, `FROM ${BASE}\nRUN (sleep 0.2 &) ; (true &) ; sleep 1; ps -o stat,comm > /tmp/ps\n`, ['-o', `type=local,dest=${out}`]);
  t.is(r.code, 0, r.stderr);
  const ps = await readFile(path.join(out, 'tmp/ps'), 'utf8');
  t.false(/^\s*Z/m.test(ps), ps);

  const sleep = uniqueSleep();
  const df = path.join(sb.dir, 'Dockerfile.term');
  await writeFile(df, `FROM ${BASE}\nRUN echo started; sleep ${sleep}\n`);
  const child = startCli(sb.root, ['build', '--progress', 'plain', '-f', df, sb.ctx]);
  const done = collect(child, 60_000);
  await outputIncludes(child, 'started');
  const sent = Date.now();
  child.kill('SIGTERM');
  const res = await done;
  t.is(res.code, 143, res.stderr);
  t.true(Date.now() - sent < 10_000);
  t.true(await waitFor(() => pidsWithArg(sleep).length === 0, 5_000), 'the step is gone');
  t.deepEqual(leftoverMounts(sb, child.pid), []);
  await verifyClean(t, sb, 'after SIGTERM');
});

serial('CRASH-03: SIGINT during a RUN exits 130 within 10 s, leaves nothing, and the next build works', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const sleep = uniqueSleep();
  const df = path.join(sb.dir, 'Dockerfile.int');
  await writeFile(df, `FROM ${BASE}\nRUN echo one > /one\nRUN echo started; sleep ${sleep}\n`);
  const child = startCli(sb.root, ['build', '--progress', 'plain', '-f', df, sb.ctx]);
  const done = collect(child, 60_000);
  await outputIncludes(child, 'started');
  t.true(await waitFor(() => pidsWithArg(sleep).length === 1, 5_000), 'the step runs');
  const sent = Date.now();
  child.kill('SIGINT');
  const res = await done;
  t.is(res.code, 130, res.stderr);
  t.true(Date.now() - sent < 10_000, `exited after ${Date.now() - sent} ms`);
  t.deepEqual(pidsWithArg(sleep), [], 'no step process is left');
  t.deepEqual(leftoverMounts(sb, child.pid), [], 'no mount is left');
  await verifyClean(t, sb, 'after SIGINT');
  await nextBuildWorks(t, sb, 'after SIGINT');
});

serial('CRASH-03: a second SIGINT exits at once (≤ 2 s) with 130', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const sleep = uniqueSleep();
  const df = path.join(sb.dir, 'Dockerfile.int2');
  // A step that ignores SIGTERM/SIGINT makes the clean stop take a while; the second ^C cuts it short.
  await writeFile(df, `FROM ${BASE}\nRUN trap '' INT TERM; echo started; sleep ${sleep}\n`);
  const child = startCli(sb.root, ['build', '--progress', 'plain', '-f', df, sb.ctx]);
  const done = collect(child, 60_000);
  await outputIncludes(child, 'started');
  child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 50));
  const sent = Date.now();
  child.kill('SIGINT');
  const res = await done;
  t.is(res.code, 130, res.stderr);
  t.true(Date.now() - sent < 2_000, `exited after ${Date.now() - sent} ms`);
  // Whatever the quick exit left, the step itself must not outlive the builder for long (pdeathsig),
  // and the next invocation recovers.
  t.true(await waitFor(() => pidsWithArg(sleep).length === 0, 5_000), 'the step died with the builder');
  await nextBuildWorks(t, sb, 'after a second SIGINT');
  await verifyClean(t, sb, 'after a second SIGINT and a build');
  t.deepEqual(leftoverMounts(sb, undefined), []);
});

serial('CRASH-04: SIGKILL of the CLI during RUN sleep: the step dies within 5 s and the next build works', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const sleep = uniqueSleep();
  const df = path.join(sb.dir, 'Dockerfile.kill');
  await writeFile(df, `FROM ${BASE}\nCOPY . /ctx/\nRUN echo started; sleep ${sleep}\n`);
  await writeTree(sb.ctx, { 'a.txt': 'a\n' });
  const child = startCli(sb.root, ['build', '--progress', 'plain', '-f', df, sb.ctx]);
  const done = collect(child, 60_000);
  await outputIncludes(child, 'started');
  t.true(await waitFor(() => pidsWithArg(sleep).length === 1, 5_000), 'the step runs');
  child.kill('SIGKILL');
  await done;
  t.true(await waitFor(() => pidsWithArg(sleep).length === 0, 5_000), 'the step died within 5 s');
  t.deepEqual(leftoverMounts(sb, child.pid), [], 'no mount of the killed build is left on the host');
  await nextBuildWorks(t, sb, 'after SIGKILL');
  await verifyClean(t, sb, 'after SIGKILL and a build');
});

/** Relative paths of every entry below `dir` except those under `skip` (relative prefixes). */
function treeList(dir: string, skip: string[] = []): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip.some((s) => r === s || r.startsWith(`${s}/`))) continue;
      out.push(r);
      if (e.isDirectory()) walk(r);
    }
  };
  walk('');
  return out.sort();
}

serial('CLN-01: 20 builds mixing success, RUN failure and SIGINT leave no mount or process, and prune returns the store to its baseline', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  // Logs are left out: they are never pruned (see limits.test.ts, RES-04).
  const skip = ['state/logs', 'locks'];
  // The baseline is a store that has built once (the base unpacked, state dirs made) and pruned.
  t.is((await buildText(sb, `FROM ${BASE}\nRUN true\n`)).code, 0);
  t.is((await cli(sb.root, ['prune', '--all-cache'])).code, 0);
  const baseline = treeList(sb.root, skip);
  const sleeps: string[] = [];
  for (let i = 0; i < 20; i++) {
    await writeTree(sb.ctx, { 'f.txt': `round ${i}\n` });
    const kind = i % 3;
    if (kind === 0) {
      const r = await buildText(sb, `FROM ${BASE}\nCOPY f.txt /f\nRUN echo ${i} > /i\n`, ['-t', `localhost/cln01:${i}`]);
      t.is(r.code, 0, r.stderr);
    } else if (kind === 1) {
      const r = await buildText(sb, `FROM ${BASE}\nCOPY f.txt /f\nRUN echo ${i}; exit 4\n`);
      t.is(r.code, 1);
    } else {
      const sleep = uniqueSleep();
      sleeps.push(sleep);
      const df = path.join(sb.dir, `Dockerfile.cln${i}`);
      await writeFile(df, `FROM ${BASE}\nCOPY f.txt /f\nRUN echo started; sleep ${sleep}\n`);
      const child = startCli(sb.root, ['build', '--progress', 'plain', '-f', df, sb.ctx]);
      const done = collect(child, 60_000);
      await outputIncludes(child, 'started');
      child.kill('SIGINT');
      t.is((await done).code, 130);
    }
  }
  for (const s of sleeps) t.deepEqual(pidsWithArg(s), []);
  t.deepEqual(leftoverMounts(sb, undefined), []);
  t.deepEqual(mountsBelow('/dev/shm').filter((m) => /tsbuild/.test(m)), [], 'no tsbuild mount in /dev/shm');
  await verifyClean(t, sb, 'after 20 builds');
  for (let i = 0; i < 20; i += 3) t.is((await cli(sb.root, ['rmi', `localhost/cln01:${i}`])).code, 0);
  const pr = await cli(sb.root, ['prune', '--all-cache']);
  t.is(pr.code, 0, pr.stderr);
  t.deepEqual(treeList(sb.root, skip), baseline, 'the store is back to what it held before the builds');
});

// Gap: step logs (<root>/state/logs, one file per RUN, written whole: executor/step-log.ts) are
// never removed, not by prune and not by prune --all-cache (layerstore/src/manage prunes blobs,
// snapshots and records only), so the store grows with every build that prints. The fix: give
// logs to the cache record they belong to (or an age limit) and let prune remove them with it.
(canMakeBase && isRoot ? test.serial : test.skip)('CLN-01: prune --all-cache also drops the step logs of the builds it forgets', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const r = await buildText(sb, `FROM ${BASE}\nRUN echo some output\n`);
  t.is(r.code, 0, r.stderr);
  t.is((await cli(sb.root, ['prune', '--all-cache'])).code, 0);
  t.deepEqual(readdirSync(path.join(sb.root, 'state/logs')), []);
});

serial('CRASH-02 (short soak): 12 SIGKILLs at random moments of a build; each rebuild succeeds and verifies, and gives the same image', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  await writeTree(sb.ctx, { 'a.txt': 'a\n', 'dir/b.txt': 'b\n' });
  const env = { SOURCE_DATE_EPOCH: '1700000000' };
  const df = (i: number): string =>
    `FROM ${BASE} AS one\nRUN echo one > /one\nFROM ${BASE}\nCOPY . /ctx/\nRUN echo ${i} > /i && sleep 0.3\nCOPY --from=one /one /one\n`;
  // The image an uninterrupted build gives, per Dockerfile variant, in a second store.
  const clean = await sandbox();
  t.teardown(clean.cleanup);
  await writeTree(clean.ctx, { 'a.txt': 'a\n', 'dir/b.txt': 'b\n' });
  for (let i = 0; i < 12; i++) {
    const text = df(i % 3);
    const file = path.join(sb.dir, `Dockerfile.soak${i}`);
    await writeFile(file, text);
    const out = path.join(sb.dir, `soak${i}.oci.tar`);
    const child = startCli(sb.root, ['build', '--progress', 'plain', '-f', file, '-o', `type=oci,dest=${out}`, sb.ctx], { env });
    const done = collect(child, 60_000);
    await new Promise((r) => setTimeout(r, randomInt(50, 1500)));
    child.kill('SIGKILL');
    await done;
    const v = await cli(sb.root, ['verify']);
    t.is(v.code, 0, `#${i}: verify after SIGKILL\n${v.stdout}${v.stderr}`);
    const iidA = path.join(sb.dir, `iid${i}`);
    const again = await cli(sb.root, ['build', '--progress', 'plain', '--iidfile', iidA, '-f', file, sb.ctx], { env });
    t.is(again.code, 0, `#${i}: rebuild\n${again.stderr}`);
    const iidB = path.join(clean.dir, `iid${i}`);
    const ref = await buildText(clean, text, ['--iidfile', iidB], { env });
    t.is(ref.code, 0, ref.stderr);
    t.is(await readFile(iidA, 'utf8'), await readFile(iidB, 'utf8'), `#${i}: the same image as an uninterrupted build`);
  }
  t.deepEqual(leftoverMounts(sb, undefined), []);
  t.is((await cli(sb.root, ['prune'])).code, 0);
  t.deepEqual(readdirSync(path.join(sb.root, 'tmp')), [], 'no temp leftovers after prune');
});

/** Whether a blob put is in progress in the store (its ingest file is in a process's tmp dir). */
function ingesting(root: string): boolean {
  const tmp = path.join(root, 'tmp');
  if (!existsSync(tmp)) return false;
  return readdirSync(tmp, { withFileTypes: true }).some((d) => {
    if (!d.isDirectory()) return false;
    try {
      return readdirSync(path.join(tmp, d.name)).some((f) => f.startsWith('ingest-'));
    } catch {
      return false; // removed while we looked
    }
  });
}

serial('CRASH-03: SIGINT during an OCI export exits 130 within 10 s and leaves no partial archive', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  // The signal must land inside the export whatever the machine's speed: a failpoint holds every put
  // for 2 s once its bytes are written (the build's own and the export's compressed layer), and the
  // signal goes once the export has started and its put is seen in the store's tmp area.
  await writeTree(sb.ctx, { big: randomBytes(120 << 20) });
  const out = path.join(sb.dir, 'exports');
  spawnSync('mkdir', ['-p', out]);
  const df = path.join(sb.dir, 'Dockerfile.export');
  await writeFile(df, `FROM ${BASE}\nCOPY big /big\n`);
  const child = startCli(sb.root, ['build', '--progress', 'plain', '-f', df, '-o', `type=oci,dest=${path.join(out, 'o.tar')}`, sb.ctx], {
    env: { TSBUILD_FAILPOINTS: 'blobs.put.afterWrite=sleep(2000)' },
  });
  const done = collect(child, 120_000);
  await outputIncludes(child, '[output]', 120_000);
  while (!ingesting(sb.root) && child.exitCode === null) await new Promise((res) => setTimeout(res, 10));
  t.is(child.exitCode, null, 'the export was still running when the signal was sent');
  const sent = Date.now();
  child.kill('SIGINT');
  const r = await done;
  t.is(r.code, 130, r.stderr);
  t.true(Date.now() - sent < 10_000);
  t.deepEqual(readdirSync(out), [], 'no archive and no temp file beside it');
  await verifyClean(t, sb, 'after SIGINT in export');
  await nextBuildWorks(t, sb, 'after SIGINT in export');
});

// Bug: SIGINT during `tsbuild save -o FILE` does not stop the save: it runs to the end, renames the
// complete archive into place, and only then exits 130, so a script sees "interrupted" beside a
// finished file, and a large save ignores Ctrl-C until it is done. Cause: the save command
// (packages/builder/src/cli/commands/archive.ts, the `-o` branch) never passes ctx.signal to
// store.save() or to pipeline(). Fix: pipeline(pass, file, { signal: ctx.signal }) and abort the
// producer with it; the existing `finally` then removes the temp file and nothing is renamed.
(canMakeBase && isRoot ? test.serial : test.skip)('CRASH-03: SIGINT during save stops it: exit 130 and no archive', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  await writeTree(sb.ctx, { big: randomBytes(120 << 20) });
  const b = await buildText(sb, `FROM ${BASE}\nCOPY big /big\n`, ['-t', 'localhost/exp:1']);
  t.is(b.code, 0, b.stderr);
  const out = path.join(sb.dir, 'exports');
  spawnSync('mkdir', ['-p', out]);
  // The signal must arrive while the save is still at work, whatever the machine's speed: a failpoint
  // holds the put of the compressed layer for 3 s once its bytes are written, and the signal is sent
  // when that put's ingest file is seen in the store's tmp area.
  const save = startCli(sb.root, ['save', '-o', path.join(out, 's.tar'), 'localhost/exp:1'], {
    env: { TSBUILD_FAILPOINTS: 'blobs.put.afterWrite=sleep(3000)' },
  });
  const saved = collect(save, 120_000);
  while (!ingesting(sb.root) && save.exitCode === null) await new Promise((res) => setTimeout(res, 10));
  t.is(save.exitCode, null, 'the save was still running when the signal was sent');
  save.kill('SIGINT');
  const s = await saved;
  t.is(s.code, 130, s.stderr);
  t.deepEqual(readdirSync(out), [], 'no archive after an interrupted save');
  await verifyClean(t, sb, 'after SIGINT in save');
});
