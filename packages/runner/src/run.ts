// run(): one sandboxed process tree. The helper (native/) does the kernel work; this side prepares
// the temp dir and cgroup, answers the helper's "ready" with the resolved user, enforces the
// timeout and cancellation, and always leaves nothing behind (cgroup emptied and removed, temp
// files gone) before it resolves.
import { spawn, type StdioOptions } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { createStepCgroup, type StepCgroup } from './cgroups.js';
import { dropCopyUps } from './copy-up.js';
import { RunnerError } from './errors.js';
import { writeEtcFiles } from './etc-files.js';
import { encodeRecords, helperPath } from './helper.js';
import { configRecords, hasHome, validateSpec } from './spec.js';
import { makeTempDir, removeTempDir } from './temp-dirs.js';
import { resolveUser } from './user.js';
import { clearVolatileMarker } from './volatile.js';
import type { ResolvedUser, RunResult, RunSpec } from './types.js';

/** How long a stopped step's helper gets to clean up before it is SIGKILLed. */
const FORCE_KILL_MS = 3000;

export async function run(spec: RunSpec): Promise<RunResult> {
  validateSpec(spec);
  const helper = helperPath();
  const started = performance.now();
  trace('start');
  if (spec.signal?.aborted) return { exitCode: null, signal: null, oomKilled: false, timedOut: false, cancelled: true, durationMs: 0 };
  const tmp = makeTempDir('run');
  const mountpoint = path.join(tmp, 'root');
  let cg: StepCgroup | undefined;
  try {
    mkdirSync(mountpoint, { mode: 0o700 });
    const etc = writeEtcFiles(tmp, spec);
    trace('temp dir');
    cg = await createStepCgroup(spec.limits);
    trace('cgroup');
    return await supervise(helper, spec, encodeRecords(configRecords(spec, mountpoint, etc, cg.dirs)), cg, started);
  } finally {
    if (cg) await cg.remove();
    trace('cgroup removed');
    // no process of the step is left, so its overlay is gone with its mount namespace
    if (spec.rootfs.type === 'overlay') clearVolatileMarker(spec.rootfs.workDir);
    removeTempDir(tmp);
    trace('temp dir removed', true);
  }
}

/** TSBUILD_RUNNER_TRACE=1 prints where a run's time goes (phases since the previous mark). */
const tracing = process.env.TSBUILD_RUNNER_TRACE === '1';
let traceLast = 0;
const traceParts: string[] = [];
function trace(label: string, flush = false): void {
  if (!tracing) return;
  const now = performance.now();
  traceParts.push(`${label} +${(now - (traceLast || now)).toFixed(2)}`);
  traceLast = now;
  if (flush) {
    process.stderr.write(`[runner] ${traceParts.join(', ')}\n`);
    traceParts.length = 0;
    traceLast = 0;
  }
}

interface Status {
  initPid?: number;
  exit?: number;
  signal?: number;
  errors: { stage: string; message: string }[];
  other: string[];
  copyUps: string[];
}

async function supervise(helper: string, spec: RunSpec, config: Buffer, cg: StepCgroup, started: number): Promise<RunResult> {
  const stdio: StdioOptions = [
    spec.stdin === 'inherit' ? 'inherit' : spec.stdin === undefined || spec.stdin === 'ignore' ? 'ignore' : 'pipe',
    spec.stdout === 'inherit' ? 'inherit' : spec.stdout ? 'pipe' : 'ignore',
    spec.stderr === 'inherit' ? 'inherit' : spec.stderr ? 'pipe' : 'ignore',
    'pipe',
    'pipe',
  ];
  const child = spawn(helper, ['run'], { stdio, env: {} });
  const cfgPipe = child.stdio[3] as Writable;
  const statusPipe = child.stdio[4] as Readable;
  cfgPipe.on('error', () => undefined); // the helper may exit before reading it all
  connectStreams(spec, child.stdin, child.stdout, child.stderr);

  let timedOut = false;
  let cancelled = false;
  let userError: unknown;
  let forceTimer: NodeJS.Timeout | undefined;
  // Stopping empties the step's cgroup (init is outside it), so init still removes its mount stubs
  // and reports; if the helper is stuck anyway, SIGKILL it and PDEATHSIG takes the namespace down.
  const kill = (): void => {
    void cg.kill().catch(() => undefined);
    forceTimer ??= setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_MS);
  };
  const onAbort = (): void => {
    cancelled = true;
    kill();
  };
  // a resized terminal reaches the step's pty: monitor -> init -> TIOCSWINSZ
  const onWinch = (): void => void child.kill('SIGWINCH');
  if (spec.tty) process.on('SIGWINCH', onWinch);
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  if (spec.signal?.aborted) onAbort(); // aborted while we were preparing
  const timer = spec.limits?.timeoutMs ? setTimeout(() => { timedOut = true; kill(); }, spec.limits.timeoutMs) : undefined;

  const status: Status = { errors: [], other: [], copyUps: [] };
  const lines = createInterface({ input: statusPipe, crlfDelay: Infinity });
  lines.on('line', (line) => {
    const [word, ...rest] = line.split(' ');
    const arg = rest.join(' ');
    trace(word);
    if (word === 'init') status.initPid = Number(arg);
    else if (word === 'exit') status.exit = Number(arg);
    else if (word === 'signal') status.signal = Number(arg);
    else if (word === 'copyup') status.copyUps.push(arg);
    else if (word === 'error') status.errors.push({ stage: rest[0] ?? '', message: rest.slice(1).join(' ') });
    else if (word === 'ready') {
      // the root is pivoted and nothing of the step runs yet: read its /etc/passwd in-root
      // (encoding throws on a NUL, say in a passwd home: that takes the abort path too)
      resolveUser(`/proc/${status.initPid}/root`, spec.user).then((u) => encodeRecords(credentialRecords(spec, u))).then(
        (records) => trace('user') ?? cfgPipe.end(records),
        (e: unknown) => {
          userError = e;
          // nothing of the step runs yet; init removes its mount stubs and exits
          cfgPipe.end(encodeRecords([['abort', e instanceof Error ? e.message.replace(/\0/g, '') : 'user lookup failed']]));
        },
      );
    } else status.other.push(line);
  });
  cfgPipe.write(config);

  trace('spawned');
  const helperExit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  }).finally(() => {
    if (timer) clearTimeout(timer);
    if (forceTimer) clearTimeout(forceTimer);
    spec.signal?.removeEventListener('abort', onAbort);
    process.off('SIGWINCH', onWinch);
  });

  trace('closed');
  const oomKilled = await cg.oomKilled();
  if (spec.rootfs.type === 'overlay' && status.copyUps.length > 0) {
    // every process of the step is gone by now (init reaped them all, or the namespace died)
    await cg.kill();
    await dropCopyUps(spec.rootfs.upperDir, spec.rootfs.lowerDirs, status.copyUps);
  }
  const durationMs = performance.now() - started;
  if (userError !== undefined) throw userError;
  if (!timedOut && !cancelled) throwSetupError(status, helperExit);
  return {
    exitCode: status.exit ?? null,
    signal: status.exit !== undefined ? null : signalName(status.signal ?? osConstants.signals.SIGKILL),
    oomKilled,
    timedOut,
    cancelled,
    durationMs,
  };
}

/**
 * The resolved user for the helper, and HOME when the spec's env has none: runc (which BuildKit and
 * Docker run steps with) sets it from the user's passwd entry, "/" without one (libcontainer/env.go
 * prepareEnv; older runc: setupUser in init_linux.go), so `cd`, `~` and tools that keep dotfiles work.
 */
function credentialRecords(spec: RunSpec, u: ResolvedUser): [string, string][] {
  const rec: [string, string][] = [['uid', String(u.uid)], ['gid', String(u.gid)], ...u.additionalGids.map((g): [string, string] => ['group', String(g)])];
  if (!hasHome(spec.env)) rec.push(['env', `HOME=${u.home}`]);
  return rec;
}

function throwSetupError(status: Status, helperExit: { code: number | null; signal: NodeJS.Signals | null }): void {
  const err = status.errors[0];
  if (err) {
    const code = err.stage === 'exec' ? 'RUNNER_EXEC' : 'RUNNER_SETUP';
    throw new RunnerError(code, err.stage === 'exec' ? `exec ${err.message}` : `sandbox setup failed (${err.stage}): ${err.message}`, {
      details: { stage: err.stage },
    });
  }
  if (status.exit === undefined && status.signal === undefined) {
    throw new RunnerError('RUNNER_SETUP', `sandbox helper ended without a status (exit ${helperExit.code ?? helperExit.signal}) ${status.other.join('; ')}`.trim());
  }
}

function connectStreams(spec: RunSpec, stdin: Writable | null, stdout: Readable | null, stderr: Readable | null): void {
  if (stdin && spec.stdin && typeof spec.stdin === 'object') {
    stdin.on('error', () => undefined); // EPIPE when the step does not read its input
    spec.stdin.pipe(stdin);
  }
  if (stdout && spec.stdout && typeof spec.stdout === 'object') stdout.pipe(spec.stdout, { end: false });
  if (stderr && spec.stderr && typeof spec.stderr === 'object') stderr.pipe(spec.stderr, { end: false });
}

function signalName(n: number): string {
  const found = Object.entries(osConstants.signals).find(([, v]) => v === n);
  return found ? found[0] : `SIG${n}`;
}
