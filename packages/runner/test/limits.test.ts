// RES-01/02/05, CLN-02 and CRASH-04: limits hold, stopping works, nothing of a step survives it.
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, type RunSpec } from '../src/index.js';
import { tempBase } from '../src/temp-dirs.js';
import { baseSpec, removeTree, sh, tempDir, unpackBusybox } from './helpers/fixture.js';
import { cgroupParent, findProcesses, ownRunCgroups, pidsParent, waitFor } from './helpers/procs.js';

let dir = '';
let rootfs: RunSpec['rootfs'];

test.before(() => {
  dir = tempDir('limits');
  unpackBusybox(dir);
  rootfs = { type: 'dir', path: path.join(dir, 'rootfs') };
});
test.after.always(() => removeTree(dir));

test.serial('a fork bomb stays under pids.max, the host stays responsive, the timeout ends it', async (t) => {
  const parent = pidsParent();
  let peak = 0;
  let hostOk = 0;
  const sampler = setInterval(() => {
    for (const c of parent ? ownRunCgroups(parent) : []) {
      try {
        peak = Math.max(peak, Number(readFileSync(path.join(parent as string, c, 'pids.current'), 'utf8')));
      } catch {
        // removed meanwhile
      }
    }
  }, 100);
  const probe = setInterval(() => {
    execFileSync('sh', ['-c', 'true'], { timeout: 5000 });
    hostOk++;
  }, 500);
  const started = Date.now();
  const r = await sh(rootfs, 'f() { f | f & }; f; sleep 1000', { limits: { pids: 64, timeoutMs: 3000 } }).finally(() => {
    clearInterval(sampler);
    clearInterval(probe);
  });
  t.true(r.timedOut);
  t.is(r.exitCode, null);
  t.true(Date.now() - started < 3000 + 8000, `took ${Date.now() - started} ms`);
  if (parent) {
    t.true(peak > 1 && peak <= 64, `peak pids ${peak}`);
    t.deepEqual(ownRunCgroups(parent), [], 'the step cgroup is removed');
  }
  t.true(hostOk >= 4, `host shell ran ${hostOk} times`);
});

test.serial('a memory hog under 64 MiB is reported as OOM-killed', async (t) => {
  const r = await sh(rootfs, 'head -c 512m /dev/zero | tail', { limits: { memoryBytes: 64 * 1024 * 1024, timeoutMs: 60000 } });
  t.true(r.oomKilled);
  t.false(r.timedOut);
  t.is(r.exitCode, 137);
});

test.serial('the wall-clock timeout kills the step and says so', async (t) => {
  const started = Date.now();
  const r = await sh(rootfs, 'sleep 1000', { limits: { timeoutMs: 500 } });
  t.true(r.timedOut);
  t.false(r.cancelled);
  t.is(r.signal, 'SIGKILL');
  t.true(Date.now() - started < 5000);
});

test.serial('aborting the signal cancels the run', async (t) => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 300);
  const r = await sh(rootfs, 'sleep 1000', { signal: ac.signal });
  t.true(r.cancelled);
  t.false(r.timedOut);
  t.true(r.durationMs < 5000);
  const pre = await run({ ...baseSpec(rootfs, ['true']), signal: AbortSignal.abort() });
  t.true(pre.cancelled);
});

test.serial('a background sleep is gone when the step ends', async (t) => {
  const r = await sh(rootfs, 'sleep 98765 & (nohup sleep 98765 >/dev/null 2>&1 &) ; echo started');
  t.is(r.exitCode, 0, r.stderr);
  t.deepEqual(findProcesses(['sleep', '98765']), []);
});

test.serial('SIGKILL of the node process running a step leaves no step process behind', async (t) => {
  const script = path.join(dir, 'victim.mjs');
  const index = path.resolve(import.meta.dirname, '../src/index.js');
  writeFileSync(script, `import { run } from ${JSON.stringify(index)};
await run({ rootfs: ${JSON.stringify(rootfs)}, argv: ['sleep', '87654'], env: ['PATH=/bin'], cwd: '/', user: '', hostname: 'victim', network: 'none' });
`);
  const child = spawn(process.execPath, [script], { stdio: 'inherit' });
  t.true(await waitFor(() => findProcesses(['sleep', '87654']).length === 1, 10000), 'the step started');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  t.true(await waitFor(() => findProcesses(['sleep', '87654']).length === 0, 5000), 'the step died with its parent');
  // what the dead process left (its temp dir, its empty step cgroups) goes with the next tsbuild's first run
  const leftovers = (): string[] => [
    ...readdirSync(tempBase()).filter((e) => e.startsWith(`tsbuild-run-${child.pid}-`)),
    ...['memory', 'pids', 'cpu', 'devices'].flatMap((c) => {
      const parent = cgroupParent(c);
      return parent ? readdirSync(parent).filter((e) => e.startsWith(`run-${child.pid}-`)) : [];
    }),
  ];
  t.true(leftovers().length > 0, 'a SIGKILLed tsbuild cannot clean up after itself');
  const next = path.join(dir, 'next.mjs');
  writeFileSync(next, readFileSync(script, 'utf8').replace("'sleep', '87654'", "'true'"));
  execFileSync(process.execPath, [next]);
  t.deepEqual(leftovers(), []);
});

test.serial('memory (swap off), pids and cpu quota are set on the step cgroup; the step sees it as its root', async (t) => {
  const memory = cgroupParent('memory');
  const pids = cgroupParent('pids');
  const cpu = cgroupParent('cpu');
  if (!memory || !pids || !cpu) {
    t.pass('no cgroup v1 here');
    return;
  }
  const running = sh(rootfs, 'cat /proc/self/cgroup; sleep 2', { limits: { pids: 77, cpus: 0.5, memoryBytes: 128 << 20 } });
  t.true(await waitFor(() => ownRunCgroups(memory).length === 1, 5000));
  const read = (parent: string, file: string): string => readFileSync(path.join(parent, ownRunCgroups(parent)[0], file), 'utf8').trim();
  t.is(read(memory, 'memory.limit_in_bytes'), String(128 << 20));
  t.is(read(memory, 'memory.memsw.limit_in_bytes'), String(128 << 20));
  t.is(read(pids, 'pids.max'), '77');
  t.is(read(cpu, 'cpu.cfs_quota_us'), '50000');
  const r = await running;
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /memory:\/$/m);
  for (const p of [memory, pids, cpu]) t.deepEqual(ownRunCgroups(p), []);
});
