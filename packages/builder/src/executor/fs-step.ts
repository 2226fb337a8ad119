// The life of a step that may change files (FROM's triggers aside: RUN, COPY, ADD, WORKDIR):
// look the cache up; on a hit reuse the recorded layer; on a miss run the step into a fresh overlay
// upper dir over the parent's snapshots, commit it as a layer, and record it. Every path ends with
// the work area removed, whatever happened.
import type { WorkArea } from '@tsbuild/layerstore';
import { BuildError } from '../errors.js';
import type { StepInfo } from '../progress/index.js';
import type { StepInputs, StepRecordValue } from './cache.js';
import { addHistory } from './image-config.js';
import { lowerDirsFor } from './rootfs.js';
import type { ExecutorServices, StageState, StepCounters } from './state.js';
import type { BuildSettings } from './state.js';

export interface FsStepSpec {
  step: StepInfo;
  /** The instruction as the key sees it (expanded text or a canonical JSON of it). */
  instruction: string;
  inputs: StepInputs;
  createdBy: string;
  /** Writes the step's changes into `area.upperDir` (lowers are topmost first). */
  execute(area: WorkArea, lowerDirs: string[]): Promise<void>;
}

export interface FsStepEnv {
  services: ExecutorServices;
  settings: BuildSettings;
  counters: StepCounters;
}

export async function runFsStep(env: FsStepEnv, state: StageState, spec: FsStepSpec): Promise<void> {
  const { services, settings, counters } = env;
  const { store, cache, progress } = services;
  throwIfCancelled(services.signal);
  counters.total++;
  const inputs = { ...spec.inputs, ...(settings.sourceDateEpoch !== undefined ? { epoch: String(settings.sourceDateEpoch) } : {}) };
  const lookup = await cache.lookup(state.key, spec.instruction, inputs);
  if (lookup.hit && (await layerPresent(env, lookup.hit))) {
    counters.cached++;
    progress.emit({ type: 'step-cached', time: Date.now(), step: spec.step });
    apply(state, lookup.hit, spec.createdBy, settings);
    state.key = lookup.key;
    return;
  }
  const t0 = Date.now();
  progress.emit({ type: 'step-start', time: t0, step: spec.step });
  if (lookup.missReason) progress.emit({ type: 'step-note', time: Date.now(), step: spec.step, message: lookup.missReason });
  const area = await store.workArea();
  let record: StepRecordValue;
  try {
    const lowers = await lowerDirsFor(store, state.layers, area.scratchDir);
    await spec.execute(area, lowers);
    throwIfCancelled(services.signal);
    const committed = await store.layers.commit(area.upperDir, {
      ...(settings.sourceDateEpoch !== undefined ? { sourceDateEpoch: settings.sourceDateEpoch } : {}),
      // A big COPY's commit takes seconds: the tty view shows its bytes as they are written.
      onProgress: (bytes) => progress.emit({ type: 'step-progress', time: Date.now(), step: spec.step, action: 'committing layer', current: bytes }),
    });
    record = {
      v: 1,
      instruction: spec.instruction,
      inputs,
      layer: committed.empty ? null : { diffID: committed.diffID, blob: committed.blob },
      created: settings.sourceDateEpoch !== undefined ? isoOf(settings.sourceDateEpoch) : new Date().toISOString(),
      sizeBytes: committed.empty ? 0 : committed.blob.size,
    };
  } catch (e) {
    progress.emit({ type: 'step-error', time: Date.now(), step: spec.step, durationMs: Date.now() - t0, message: errorText(e) });
    throw e;
  } finally {
    await area.dispose();
  }
  await cache.save(state.key, lookup.key, record);
  apply(state, record, spec.createdBy, settings);
  state.key = lookup.key;
  progress.emit({ type: 'step-done', time: Date.now(), step: spec.step, durationMs: Date.now() - t0, sizeBytes: record.sizeBytes });
}

/** A cache hit is only usable while its layer's blob is still in the store (prune may have run). */
async function layerPresent(env: FsStepEnv, rec: StepRecordValue): Promise<boolean> {
  if (!rec.layer) return true;
  return (await env.services.store.blobs.stat(rec.layer.blob.digest)) !== undefined;
}

function apply(state: StageState, rec: StepRecordValue, createdBy: string, settings: BuildSettings): void {
  const created = settings.sourceDateEpoch !== undefined ? isoOf(settings.sourceDateEpoch) : rec.created;
  if (rec.layer) {
    state.layers.push(rec.layer);
    state.config.rootfs.diff_ids.push(rec.layer.diffID);
    state.sizeBytes += rec.sizeBytes;
    addHistory(state.config, { created, created_by: createdBy, comment: 'buildkit.dockerfile.v0' });
  } else {
    addHistory(state.config, { created, created_by: createdBy, comment: 'buildkit.dockerfile.v0', empty_layer: true });
  }
  state.created = created;
}

/**
 * Runs the part of a step that comes before its cache lookup (matching and digesting sources,
 * resolving `--from`); a failure there is shown as that step's error, as if it had started.
 */
export async function beforeLookup<T>(env: FsStepEnv, step: StepInfo, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const now = Date.now();
    env.services.progress.emit({ type: 'step-start', time: now, step });
    env.services.progress.emit({ type: 'step-error', time: now, step, durationMs: 0, message: errorText(e) });
    throw e;
  }
}

export function isoOf(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new BuildError('BUILD_CANCELLED', 'the build was cancelled');
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
