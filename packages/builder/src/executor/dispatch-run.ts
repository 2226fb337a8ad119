// RUN: run the command in the runner over an overlay of the stage's layers; the overlay's upper dir
// becomes the step's layer.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MountSpec } from '@tsbuild/runner';
import { BuildError } from '../errors.js';
import type { ExpandedRun } from '../instructions/types.js';
import { mountKeyOf, prepareRunMounts, prepareTarget, removeStubs, removeTargetStubs, type MountEnv, type Stub } from '../mounts/index.js';
import { renderExcerpt } from '../progress/error-report.js';
import type { StepInfo } from '../progress/index.js';
import { configInputs } from './config-inputs.js';
import { runCreatedBy } from './created-by.js';
import { beforeLookup, runFsStep, throwIfCancelled, type FsStepEnv } from './fs-step.js';
import { DEFAULT_PATH, getEnv, shellOf } from './image-config.js';
import type { LazyMountSession } from './mount-session.js';
import { RUNTIME_STUBS } from './rootfs.js';
import { runArgv } from './run-argv.js';
import { argsForRun, type StageState } from './state.js';
import { StepLog } from './step-log.js';

export interface RunDeps extends FsStepEnv {
  logDir: string;
  /** Names this build's log files. */
  logPrefix: string;
  mounts: LazyMountSession;
  /** The mounts module's environment minus what is per step (root view, upper dir, workdir, scratch). */
  mountEnv: Omit<MountEnv, 'rootView' | 'upperDir' | 'workdir' | 'scratchDir'>;
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
  // An image without PATH still runs its steps with the default one, as BuildKit does.
  const imageEnv = getEnv(cc.Env, 'PATH') === undefined ? [`PATH=${DEFAULT_PATH}`, ...(cc.Env ?? [])] : (cc.Env ?? []);
  const env = [...imageEnv, ...args.map(([k, v]) => `${k}=${v}`), ...Object.entries(deps.proxyEnv).map(([k, v]) => `${k}=${v}`)];
  const cwd = cc.WorkingDir || '/';
  const network = run.network === 'default' ? deps.settings.network : run.network;

  const inputs: Record<string, string> = {
    ...configInputs(cc),
    argv: JSON.stringify(argv),
    network,
    ...Object.fromEntries(args.map(([k, v]) => [`arg:${k}`, v])),
  };
  // What a mount shows is part of the key: a context bind by content, a stage by its chain key.
  await beforeLookup(deps, step, async () => {
    for (const [i, m] of run.resolvedMounts.entries()) {
      let content = '';
      if (m.type === 'bind' || (m.type === 'cache' && m.from !== undefined)) {
        content = m.from === undefined ? await deps.digestContextPath(m.source ?? '/') : await deps.keyOf(m.from);
      }
      inputs[`mount:${i}`] = `${mountKeyOf(m)}${content ? ` ${content}` : ''}`;
    }
  });

  await runFsStep(deps, state, {
    step,
    instruction: run.original,
    inputs,
    createdBy: runCreatedBy(argv, args),
    execute: async (area, lowerDirs) => {
      const mounts: MountSpec[] = [];
      const extraEnv: string[] = [];
      const heredocStubs: Stub[] = [];
      let release: () => Promise<unknown> = async () => undefined;
      if (run.resolvedMounts.length > 0 || files.length > 0) {
        // Targets are resolved (and stubs made) in a view of the step's own rootfs, so the image's
        // symlinks are followed in-root; the stubs land in the upper dir and are removed after.
        await deps.mounts.withMerged(lowerDirs, area.upperDir, area.workDir, async (rootView) => {
          const prepared = await prepareRunMounts(run.resolvedMounts, {
            ...deps.mountEnv,
            rootView,
            upperDir: area.upperDir,
            workdir: cwd,
            scratchDir: area.scratchDir,
          });
          release = prepared.release;
          mounts.push(...prepared.mounts);
          extraEnv.push(...prepared.env);
          for (const [i, f] of files.entries()) {
            const host = path.join(area.scratchDir, `heredoc-${i}`);
            await writeFile(host, f.content, { mode: f.mode });
            const t = prepareTarget(rootView, f.target, 'file');
            heredocStubs.push(...t.stubs);
            mounts.push({ type: 'bind', source: host, target: t.target, readonly: true });
          }
        });
      }
      // One file per step and build: <build start>-<pid>-<step>.log, so a build's logs sort together.
      const log = new StepLog(path.join(deps.logDir, `${deps.logPrefix}-${step.id}.log`), deps.services.progress, step);
      let result;
      try {
        result = await deps.services.runner.run({
          rootfs: { type: 'overlay', lowerDirs, upperDir: area.upperDir, workDir: area.workDir },
          argv,
          env: [...env, ...extraEnv],
          cwd,
          user: cc.User ?? '',
          hostname: deps.settings.hostname,
          network,
          mounts,
          stdin: 'ignore',
          limits: deps.settings.stepLimits,
          stdout: log.stdout,
          stderr: log.stderr,
          ...(deps.services.signal ? { signal: deps.services.signal } : {}),
        });
      } finally {
        // No process of the step is alive once run() returns: stubs can go, secrets are deleted.
        await release();
        removeStubs(area.upperDir, heredocStubs);
        await log.close();
      }
      throwIfCancelled(deps.services.signal);
      if (result.cancelled) throw new BuildError('BUILD_CANCELLED', 'the build was cancelled');
      if (result.exitCode !== 0 || result.oomKilled || result.timedOut) {
        throw runFailure(deps, run, step, argv, result, log);
      }
      removeTargetStubs(area.upperDir, lowerDirs, RUNTIME_STUBS);
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
  return new BuildError(result.timedOut ? 'RUN_TIMEOUT' : 'RUN_FAILED', `${what}: ${why}`, {
    location: run.location,
    details: {
      exitCode: result.exitCode,
      signal: result.signal,
      oomKilled: result.oomKilled,
      timedOut: result.timedOut,
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
