// A whole build behind the programmatic API: plan the Dockerfile, open the store, the context and
// the runner, run the stages, assemble and tag the image, write the outputs.
import type { Writable } from 'node:stream';
import type { ImageRecord, Store } from '@tsbuild/layerstore';
import { InternalError } from '../errors.js';
import { parseTrigger, planBuild } from '../frontend.js';
import type { Platform } from '../plan/types.js';
import type { OpenContextOptions } from '../context/index.js';
import type { ProgressSink } from '../progress/index.js';
import { BuildRun } from './build-run.js';
import { displayName } from './steps.js';
import { StepCache } from './cache.js';
import { openCopyContext } from './context-adapter.js';
import { writeOutput, type OutputSpec } from './export.js';
import { pullerFor, pusherFor, type PushedImage, type RegistryTransport } from './registry.js';
import { cloneConfig, setLabels } from './image-config.js';
import type { SecretSource } from '../mounts/index.js';
import { DEFAULT_STEP_PIDS, type RunnerApi, type StepLimits } from './types.js';

export interface ExecuteBuildOptions {
  contextDir: string;
  /** Dockerfile path (default: the context's Dockerfile); with dockerfileText only a name. */
  dockerfile?: string;
  /** The Dockerfile's text when the caller has it (`-f -`). */
  dockerfileText?: string;
  buildArgs: Record<string, string>;
  target?: string;
  platform?: Platform;
  tags: string[];
  labels: Record<string, string>;
  noCache: boolean;
  pull: boolean;
  network: 'none' | 'host';
  secrets: SecretSource[];
  root?: string;
  sourceDateEpoch?: number;
  signal?: AbortSignal;
  maxParallelStages: number;
  /** RUN step limits; pids defaults to DEFAULT_STEP_PIDS. */
  stepLimits?: StepLimits;
  outputs: OutputSpec[];
  env: Record<string, string | undefined>;
  stdout: Writable;
  progress: ProgressSink;
  /** Services to use instead of the real ones (tests). */
  store?: Store;
  runner?: RunnerApi;
  /** False: never contact a registry (tests with fakes). */
  registry?: boolean;
  /** Insecure registries and a certs.d folder for pulls and pushes. */
  transport?: RegistryTransport;
  /** Context options for tests (racy window, counted fs). */
  contextOptions?: Partial<OpenContextOptions>;
}

export interface ExecuteBuildResult {
  imageId: string;
  manifestDigest: string;
  configDigest: string;
  tags: string[];
  image: ImageRecord;
  cachedSteps: number;
  totalSteps: number;
  sizeBytes: number;
  /** Context files whose content was read (0 when the stat cache answered everything). */
  contextFilesRead: number;
  /** Where `--push` / `-o type=registry` put the image, with the registry's manifest digest. */
  pushed: PushedImage[];
}

export async function executeBuild(o: ExecuteBuildOptions): Promise<ExecuteBuildResult> {
  const { openStore } = await import('@tsbuild/layerstore');
  const store = o.store ?? (await openStore(o.root));
  try {
    const context = openCopyContext(o.contextDir, {
      ...(o.dockerfile !== undefined ? { dockerfile: o.dockerfile } : {}),
      ...(o.dockerfileText !== undefined ? { dockerfileText: o.dockerfileText } : {}),
      stateDir: await store.stateDir('context'),
      ...(o.contextOptions ? { extra: o.contextOptions } : {}),
    });
    const dockerfile = context.dockerfile;
    o.progress.emit({ type: 'build-start', time: Date.now(), contextDir: context.dir, dockerfile: dockerfile.path });
    const plan = planBuild(dockerfile.text, {
      file: dockerfile.path,
      buildArgs: o.buildArgs,
      ...(o.target !== undefined ? { target: o.target } : {}),
      ...(o.platform ? { platform: o.platform } : {}),
    });
    for (const w of plan.warnings) {
      o.progress.emit({ type: 'warning', time: Date.now(), message: `${w.rule}: ${w.message}`, file: displayName(w.location.file), line: w.location.start.line });
    }
    // SOURCE_DATE_EPOCH is consumed by the build itself, not by a stage.
    const unused = plan.unusedBuildArgs.filter((a) => a !== 'SOURCE_DATE_EPOCH');
    if (unused.length > 0) {
      o.progress.emit({ type: 'warning', time: Date.now(), message: `build args not consumed by any built stage: ${unused.join(', ')}` });
    }
    const registryOptions = { pull: o.pull, ...(o.transport ? { transport: o.transport } : {}), ...(o.platform ? { platform: o.platform } : {}), ...(o.signal ? { signal: o.signal } : {}) };
    const runner = o.runner ?? lazyRunner();
    const run = new BuildRun({
      plan,
      services: { store, runner, progress: o.progress, cache: new StepCache(store.cache, o.noCache), ...(o.signal ? { signal: o.signal } : {}) },
      settings: {
        network: o.network,
        pull: o.pull,
        noCache: o.noCache,
        ...(o.sourceDateEpoch !== undefined ? { sourceDateEpoch: o.sourceDateEpoch } : {}),
        startedAt: new Date().toISOString(),
        secrets: o.secrets,
        env: o.env,
        dockerfileText: dockerfile.text,
        contextDir: context.dir,
        maxParallelStages: o.maxParallelStages,
        hostname: 'tsbuild',
        stepLimits: { pids: DEFAULT_STEP_PIDS, ...o.stepLimits },
      },
      logDir: await store.stateDir('logs'),
      cacheMountsDir: await store.stateDir('cache-mounts'),
      digestContextPath: (rel) => context.digestPath(rel),
      contextIgnore: context.ignore,
      copy: {
        context,
        lookupUser: async (rootDir, user) => {
          if (!runner.resolveUser) throw new InternalError('the runner has no resolveUser');
          return runner.resolveUser(rootDir, user);
        },
        extractTar: (s, d, opts) => store.layers.extractTar(s, d, opts),
      },
      parseTrigger: (text, at) => parseTrigger(text, at.location, plan.escape),
      ...(o.registry === false ? {} : { pullImage: pullerFor(store, registryOptions) }),
    });
    const target = await run.execute().finally(() => context.close());

    const config = cloneConfig(target.config);
    const labels = Object.entries(o.labels);
    if (labels.length > 0) setLabels(config.config, labels);
    config.created = config.history?.at(-1)?.created ?? run.epochIso;
    const image = await store.images.write({ config, layers: target.layers, tags: o.tags });
    const push = o.registry === false ? undefined : pusherFor(store, o.signal, o.transport);
    const pushed: PushedImage[] = [];
    for (const out of o.outputs) {
      // Exports can be the longest part of a build (compression): each is a step people can watch.
      const step = run.steps.extra('output', `exporting to ${describeOutput(out)}`);
      const t0 = Date.now();
      o.progress.emit({ type: 'step-start', time: t0, step });
      try {
        const action = out.type === 'registry' || (out.type === 'image' && out.push === true) ? 'pushing' : 'writing';
        const onProgress = (bytes: number): void =>
          o.progress.emit({ type: 'step-progress', time: Date.now(), step, action, current: bytes });
        const sent = await writeOutput({ store, runner, stdout: o.stdout, onProgress, ...(o.signal ? { signal: o.signal } : {}), ...(push ? { push } : {}) }, image, out, {
          names: o.tags,
          ...(o.sourceDateEpoch !== undefined ? { sourceDateEpoch: o.sourceDateEpoch } : {}),
        });
        // The registry's digest is what people deploy (name@digest); it differs from the store's when
        // layers were compressed for the push, so say it.
        for (const p of sent) o.progress.emit({ type: 'step-note', time: Date.now(), step, message: `pushed ${p.name}@${p.digest}` });
        pushed.push(...sent);
      } catch (e) {
        o.progress.emit({ type: 'step-error', time: Date.now(), step, durationMs: Date.now() - t0, message: (e as Error).message });
        throw e;
      }
      o.progress.emit({ type: 'step-done', time: Date.now(), step, durationMs: Date.now() - t0 });
    }
    return {
      imageId: image.configDigest,
      manifestDigest: image.manifestDigest,
      configDigest: image.configDigest,
      tags: o.tags,
      image,
      cachedSteps: run.counters.cached,
      totalSteps: run.counters.total,
      sizeBytes: target.layers.reduce((n, l) => n + l.blob.size, 0),
      contextFilesRead: context.filesRead,
      pushed,
    };
  } finally {
    if (!o.store) await store.close();
  }
}

/**
 * The real runner, loaded on the first step that needs it: a fully cached build starts no sandbox
 * and should not pay for loading one.
 */
function lazyRunner(): RunnerApi {
  let mod: Promise<typeof import('@tsbuild/runner')> | undefined;
  const load = (): Promise<typeof import('@tsbuild/runner')> => (mod ??= import('@tsbuild/runner'));
  return {
    run: async (spec) => (await load()).run(spec),
    openMountSession: async () => (await load()).openMountSession(),
    resolveUser: async (rootDir, user) => (await load()).resolveUser(rootDir, user),
  };
}

function describeOutput(out: OutputSpec): string {
  switch (out.type) {
    case 'oci':
      return `an OCI archive ${out.dest === '-' ? '(stdout)' : out.dest}`;
    case 'docker':
      return `a docker archive ${out.dest === '-' ? '(stdout)' : out.dest}`;
    case 'tar':
      return `a rootfs tar ${out.dest === '-' ? '(stdout)' : out.dest}`;
    case 'local':
      return `the directory ${out.dest}`;
    case 'registry':
      return `a registry${out.name ? ` (${out.name})` : ''}`;
    case 'image':
      return out.push ? `the store and a registry${out.name ? ` (${out.name})` : ''}` : 'the store';
  }
}
