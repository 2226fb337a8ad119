// One stage, start to end: its base (FROM), the base's ONBUILD triggers, then each instruction
// expanded with the variables of its point and dispatched.
import type { ImageRecord } from '@tsbuild/layerstore';
import { BuildError, DockerfileError, InternalError, TsbuildError } from '../errors.js';
import type { ExpandedInstruction, Instruction } from '../instructions/types.js';
import type { PlannedStage } from '../plan/types.js';
import { renderExcerpt } from '../progress/error-report.js';
import type { StepInfo } from '../progress/index.js';
import { hashJson } from './cache.js';
import { dispatchCopy } from './dispatch-copy.js';
import { dispatchMeta, type MetaInstruction } from './dispatch-meta.js';
import { dispatchRun } from './dispatch-run.js';
import { dispatchWorkdir } from './dispatch-workdir.js';
import { expandAt } from './expand.js';
import { throwIfCancelled } from './fs-step.js';
import { cloneConfig, scratchConfig } from './image-config.js';
import type { BuildRun } from './build-run.js';
import { isFileStep } from './steps.js';
import type { StageResult, StageState } from './state.js';

export async function runStage(b: BuildRun, ps: PlannedStage): Promise<StageResult> {
  const fromStep = b.steps.of(ps, 0);
  const state = await withLocation(b, ps.from, () => startStage(b, ps, fromStep));
  const triggers = state.config.config.OnBuild ?? [];
  if (triggers.length > 0) {
    // Triggers run once, in the stage that builds on the image; its children do not inherit them.
    state.config.config.OnBuild = null;
    for (const text of triggers) {
      const ins = b.parseTrigger(text, ps.from);
      const prefix = fromStep.label.replace(/\s*\d+\/\d+$/, '');
      const step = b.steps.extra(`${prefix ? `${prefix} ` : ''}onbuild`, text);
      await withLocation(b, ps.from, () => dispatch(b, state, ins, step));
    }
  }
  let k = 0;
  for (const ins of ps.instructions) {
    throwIfCancelled(b.services.signal);
    const step = isFileStep(ins) ? b.steps.of(ps, ++k) : undefined;
    await withLocation(b, ins, () => dispatch(b, state, ins, step));
  }
  return { index: ps.index, ...(ps.name ? { name: ps.name } : {}), config: state.config, layers: state.layers, key: state.key };
}

async function startStage(b: BuildRun, ps: PlannedStage, step: StepInfo): Promise<StageState> {
  const t0 = Date.now();
  b.services.progress.emit({ type: 'step-start', time: t0, step });
  try {
    return await resolveBase(b, ps, step, t0);
  } catch (e) {
    b.services.progress.emit({ type: 'step-error', time: Date.now(), step, durationMs: Date.now() - t0, message: (e as Error).message });
    throw e;
  }
}

async function resolveBase(b: BuildRun, ps: PlannedStage, step: StepInfo, t0: number): Promise<StageState> {
  const platform = ps.platform ?? b.plan.targetPlatform;
  let base: { config: StageState['config']; layers: StageState['layers']; key: string; created: string };
  switch (ps.base.kind) {
    case 'scratch': {
      const config = scratchConfig(platform);
      base = { config, layers: [], key: hashJson(['scratch', platform]), created: b.defaultCreated };
      break;
    }
    case 'stage': {
      const r = await b.stageResult(ps.base.index);
      base = { config: cloneConfig(r.config), layers: [...r.layers], key: r.key, created: createdOf(r.config, b.defaultCreated) };
      break;
    }
    case 'image': {
      const img: ImageRecord = await b.resolveImage(ps.base.ref, step);
      base = {
        config: cloneConfig(img.config),
        layers: [...img.layers],
        key: hashJson(['image', img.manifestDigest, platform]),
        created: createdOf(img.config, b.defaultCreated),
      };
      base.config.config ??= {};
      if (img.config.architecture !== platform.architecture || img.config.os !== platform.os) {
        // BuildKit's InvalidBaseImagePlatform: the build goes on, RUN steps will likely fail.
        b.services.progress.emit({
          type: 'warning',
          time: Date.now(),
          message: `InvalidBaseImagePlatform: base image ${ps.base.ref} is ${img.config.os}/${img.config.architecture}, the build targets ${platform.os}/${platform.architecture}`,
          ...(step.file ? { file: step.file } : {}),
          ...(step.line !== undefined ? { line: step.line } : {}),
        });
      }
      break;
    }
  }
  base.config.history ??= [];
  b.services.progress.emit({ type: 'step-done', time: Date.now(), step, durationMs: Date.now() - t0 });
  return {
    index: ps.index,
    ...(ps.name ? { name: ps.name } : {}),
    config: base.config,
    layers: base.layers,
    key: base.key,
    args: new Map(),
    cmdSet: false,
    created: b.settings.sourceDateEpoch !== undefined ? b.epochIso : base.created,
    sizeBytes: 0,
  };
}

function createdOf(config: { created?: string; history?: { created?: string }[] }, fallback: string): string {
  return config.created ?? config.history?.at(-1)?.created ?? fallback;
}

async function dispatch(b: BuildRun, state: StageState, ins: Instruction, step: StepInfo | undefined): Promise<void> {
  const expanded: ExpandedInstruction = expandAt(b, state, ins);
  switch (expanded.kind) {
    case 'FROM':
      throw new BuildError('EXEC_NESTED_FROM', 'FROM cannot be used here (an ONBUILD trigger cannot be FROM)');
    case 'RUN':
      await dispatchRun(b.runDeps, state, expanded, need(step, ins));
      return;
    case 'COPY':
    case 'ADD':
      await dispatchCopy(b.copyDeps, state, expanded, need(step, ins));
      return;
    case 'WORKDIR':
      dispatchMeta(state, expanded, b.metaOptions);
      await dispatchWorkdir(b.workdirDeps, state, need(step, ins));
      return;
    default:
      dispatchMeta(state, expanded as MetaInstruction, b.metaOptions);
  }
}

function need(step: StepInfo | undefined, ins: Instruction): StepInfo {
  return step ?? { id: 0, label: 'onbuild', text: ins.original };
}

/**
 * Errors of a step get the instruction's location and Dockerfile excerpt, once. Coded errors of the
 * store and the runner (EINTEGRITY, RUNNER_EXEC...) become BuildErrors at the instruction, code kept.
 */
async function withLocation<T>(b: BuildRun, ins: Instruction, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof TsbuildError && (e instanceof InternalError || e.location !== undefined || e.code === 'BUILD_CANCELLED')) throw e;
    const code = (e as { code?: unknown }).code;
    if (!(e instanceof TsbuildError) && (typeof code !== 'string' || !/^[A-Z][A-Z0-9_]+$/.test(code) || code === 'EINTERNAL')) throw e;
    const err = e as Error & { code: string; hint?: string; details?: Record<string, unknown> };
    const details = { ...(err.details ?? {}), excerpt: renderExcerpt(b.settings.dockerfileText, ins.location) };
    const Ctor = e instanceof DockerfileError ? DockerfileError : BuildError;
    throw new Ctor(err.code, err.message, { cause: e instanceof TsbuildError ? e.cause : e, location: ins.location, hint: err.hint, details });
  }
}
