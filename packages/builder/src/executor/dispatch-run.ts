// RUN: run the command in the runner over an overlay of the stage's layers; the overlay's upper dir
// becomes the step's layer.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MountSpec } from '@tsbuild/runner';
import { BuildError } from '../errors.js';
import type { ExpandedRun } from '../instructions/types.js';
import { renderExcerpt } from '../progress/error-report.js';
import type { StepInfo } from '../progress/index.js';
import { configInputs } from './config-inputs.js';
import { runCreatedBy } from './created-by.js';
import { runFsStep, throwIfCancelled, type FsStepEnv } from './fs-step.js';
import { shellOf } from './image-config.js';
import { RUNTIME_STUBS, removeMountStubs } from './rootfs.js';
import { runArgv } from './run-argv.js';
import { translateMounts, type MountResources } from './run-mounts.js';
import { argsForRun, type StageState } from './state.js';
import { StepLog } from './step-log.js';

export interface RunDeps extends FsStepEnv {
  logDir: string;
  /** Mount resources minus the per-step scratch dir. */
  mountResources: Omit<MountResources, 'scratchDir'>;
  /** Content digests of context paths a bind mount reads (part of the key). */
  digestContextPath(rel: string): Promise<string>;
  /** Chain key of a stage (or image digest) a `from=` mount reads. */
  keyOf(from: string): Promise<string>;
  proxyEnv: Record<string, string>;
}

export async function dispatchRun(deps: RunDeps, state: StageState, run: ExpandedRun, step: StepInfo): Promise<void> {
  if (run.security === 'insecure') {
    // BuildKit needs `--allow security.insecure` for this; tsbuild never runs steps privileged.
    throw new BuildError('RUN_INSECURE_DENIED', 'RUN --security=insecure is not allowed: tsbuild never runs a step privileged', {
      location: run.location,
    });
  }
  const cc = state.config.config;
  const shell = shellOf(cc);
  const { argv, files } = runArgv(run.command, run.heredocs, shell);
  const args = argsForRun(state);
  const env = [...(cc.Env ?? []), ...args.map(([k, v]) => `${k}=${v}`), ...Object.entries(deps.proxyEnv).map(([k, v]) => `${k}=${v}`)];
  const cwd = cc.WorkingDir || '/';
  const network = run.network === 'default' ? deps.settings.network : run.network;

  const inputs: Record<string, string> = {
    ...configInputs(cc),
    argv: JSON.stringify(argv),
    network,
    ...Object.fromEntries(args.map(([k, v]) => [`arg:${k}`, v])),
  };
  for (const [i, m] of run.resolvedMounts.entries()) {
    const { type, target, source, from, readOnly, id, sharing, mode, uid, gid, env: menv } = m;
    let content = '';
    if (type === 'bind') content = from === undefined ? await deps.digestContextPath(source ?? '/') : await deps.keyOf(from);
    inputs[`mount:${i}`] = JSON.stringify({ type, target, source, from, readOnly, id, sharing, mode, uid, gid, env: menv, content });
  }

  await runFsStep(deps, state, {
    step,
    instruction: run.original,
    inputs,
    createdBy: runCreatedBy(argv, args),
    execute: async (area, lowerDirs) => {
      const tm = await translateMounts(run.resolvedMounts, { ...deps.mountResources, scratchDir: area.scratchDir }, cwd);
      const mounts: MountSpec[] = [...tm.mounts];
      for (const [i, f] of files.entries()) {
        const host = path.join(area.scratchDir, `heredoc-${i}`);
        await writeFile(host, f.content, { mode: f.mode });
        mounts.push({ type: 'bind', source: host, target: f.target, readonly: true });
      }
      const log = new StepLog(path.join(deps.logDir, `${step.id}-${Date.now()}.log`), deps.services.progress, step);
      let result;
      try {
        result = await deps.services.runner.run({
          rootfs: { type: 'overlay', lowerDirs, upperDir: area.upperDir, workDir: area.workDir },
          argv,
          env: [...env, ...tm.env],
          cwd,
          user: cc.User ?? '',
          hostname: deps.settings.hostname,
          network,
          mounts,
          stdin: 'ignore',
          stdout: log.stdout,
          stderr: log.stderr,
          ...(deps.services.signal ? { signal: deps.services.signal } : {}),
        });
      } finally {
        tm.release();
        await log.close();
      }
      throwIfCancelled(deps.services.signal);
      if (result.cancelled) throw new BuildError('BUILD_CANCELLED', 'the build was cancelled');
      if (result.exitCode !== 0 || result.oomKilled || result.timedOut) {
        throw runFailure(deps, run, step, argv, result, log);
      }
      await removeMountStubs(area.upperDir, lowerDirs, [...tm.targets, ...files.map((f) => f.target), ...RUNTIME_STUBS]);
    },
  });
}

function runFailure(
  deps: RunDeps,
  run: ExpandedRun,
  step: StepInfo,
  argv: string[],
  result: { exitCode: number | null; signal: string | null; oomKilled: boolean; timedOut: boolean },
  log: StepLog,
): BuildError {
  const what = `process ${JSON.stringify(argv.join(' '))} did not complete successfully`;
  let why: string;
  if (result.oomKilled) why = 'it ran out of memory and was killed (OOM)';
  else if (result.timedOut) why = 'it ran past its time limit and was killed';
  else if (result.signal) why = `killed by signal ${result.signal} (exit code: ${128 + signalNumber(result.signal)})`;
  else why = `exit code: ${result.exitCode}`;
  return new BuildError('RUN_FAILED', `${what}: ${why}`, {
    location: run.location,
    details: {
      exitCode: result.exitCode,
      signal: result.signal,
      oomKilled: result.oomKilled,
      step: `[${step.label}] ${step.text}`,
      logTail: log.tail(),
      logFile: log.path,
      excerpt: renderExcerpt(deps.settings.dockerfileText, run.location),
    },
  });
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

function signalNumber(name: string): number {
  return SIGNALS[name] ?? 0;
}
