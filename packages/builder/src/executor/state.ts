// The state of a stage while its instructions run, and the build-wide context the steps share.
import type { ImageConfig, LayerRef, Store } from '@tsbuild/layerstore';
import type { ProgressSink } from '../progress/index.js';
import type { StepCache } from './cache.js';
import type { SecretSource } from '../mounts/index.js';
import type { RunnerApi, StepLimits } from './types.js';
import { getEnv } from './image-config.js';

export interface StageState {
  index: number;
  name?: string;
  config: ImageConfig;
  layers: LayerRef[];
  /** Chain key of the filesystem: the key of the last step that could change files. */
  key: string;
  /** ARGs declared in this stage so far (in order), with their values; undefined = declared, unset. */
  args: Map<string, string | undefined>;
  /** A CMD was set in this stage (so a later ENTRYPOINT keeps it). */
  cmdSet: boolean;
  /** `created` for the next empty-layer history entry: the time of the last layer, or the base's. */
  created: string;
  /** Bytes of the layers this build added or reused in this stage. */
  sizeBytes: number;
}

/** What a finished stage hands to the stages that build on it or copy from it. */
export interface StageResult {
  index: number;
  name?: string;
  config: ImageConfig;
  layers: LayerRef[];
  key: string;
}

export interface BuildSettings {
  network: 'none' | 'host';
  pull: boolean;
  noCache: boolean;
  sourceDateEpoch?: number;
  /** ISO time of the build start, for history entries when no epoch is given. */
  startedAt: string;
  secrets: readonly SecretSource[];
  env: Record<string, string | undefined>;
  dockerfileText: string;
  contextDir: string;
  /** Parallel stages at most. */
  maxParallelStages: number;
  hostname: string;
  /** Limits of every RUN step's process tree (pids, memory, wall clock). */
  stepLimits: StepLimits;
}

export interface ExecutorServices {
  store: Store;
  runner: RunnerApi;
  progress: ProgressSink;
  cache: StepCache;
  signal?: AbortSignal;
}

export interface StepCounters {
  total: number;
  cached: number;
}

/** Values of variables at a point of a stage: ENV wins over ARG, as Docker documents. */
export function lookupIn(state: StageState): (name: string) => string | undefined {
  return (name) => {
    const env = getEnv(state.config.config.Env, name);
    if (env !== undefined) return env;
    return state.args.get(name);
  };
}

/** ARGs in scope that have a value and that ENV does not shadow: they join RUN's environment. */
export function argsForRun(state: StageState): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of state.args) {
    if (v === undefined) continue;
    if (getEnv(state.config.config.Env, k) !== undefined) continue;
    out.push([k, v]);
  }
  return out;
}
