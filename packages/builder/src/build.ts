// The programmatic API: `build(options)` builds a Dockerfile into the store, tags it and writes the
// requested outputs. The CLI is a thin shell over it (flags → BuildOptions). Everything with side
// effects (store, runner, context reads, progress output) starts here.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { text } from 'node:stream/consumers';
import type { ImageRecord } from '@tsbuild/layerstore';
import { TsbuildError, UsageError } from './errors.js';
import { executeBuild } from './executor/index.js';
import type { OutputSpec } from './executor/export.js';
import type { PushedImage, RegistryTransport } from './executor/registry.js';
import type { SecretSource } from './mounts/index.js';
import type { StepLimits } from './executor/types.js';
import type { Platform } from './plan/types.js';
import { createProgress, type ProgressMode } from './progress/index.js';

export type { OutputSpec } from './executor/export.js';
export type { PushedImage } from './executor/registry.js';

export interface BuildOptions {
  /** The build context directory. */
  contextDir: string;
  /** Dockerfile path (absolute or relative to the cwd); '-' reads it from stdin. Default: contextDir/Dockerfile. */
  dockerfile?: string;
  /** Names to tag the image with in the store (repeatable -t). */
  tags?: string[];
  buildArgs?: Record<string, string>;
  /** Stage to build (default: the last one). */
  target?: string;
  /** Do not reuse cached steps (results are still recorded for later builds). */
  noCache?: boolean;
  /** Resolve base images again from their registry. */
  pull?: boolean;
  outputs?: OutputSpec[];
  progress?: ProgressMode;
  /** Labels added to the final image's config. */
  labels?: Record<string, string>;
  /** Write the image id (config digest) here. */
  iidfile?: string;
  /** Write a JSON of the result's digests and names here. */
  metadataFile?: string;
  platform?: Platform;
  /** Network of RUN steps that do not ask for one (default host). */
  network?: 'none' | 'host';
  secrets?: SecretSource[];
  /** The store root (default: $TSBUILD_ROOT, /var/lib/tsbuild for root, else $XDG_DATA_HOME/tsbuild). */
  root?: string;
  /** Reproducible builds: history/config times and layer mtimes (default: SOURCE_DATE_EPOCH env or build arg). */
  sourceDateEpoch?: number;
  /** Aborting stops running steps, cleans up, and rejects with BUILD_CANCELLED. */
  signal?: AbortSignal;
  /** Stages built at once at most (default 2). */
  maxParallelStages?: number;
  /** Registries reached over plain HTTP or unverified TLS, and a docker-style certs.d folder. */
  registry?: RegistryTransport;
  /**
   * Limits of every RUN step: pids (default 16384, so a fork bomb stays in its cgroup), memory in
   * bytes and a wall-clock timeout in ms (none by default). A step past its timeout fails RUN_TIMEOUT.
   */
  stepLimits?: StepLimits;
}

export interface BuildIO {
  stdout?: Writable;
  stderr?: Writable & { isTTY?: boolean; columns?: number };
  stdin?: Readable;
  env?: Record<string, string | undefined>;
}

export interface BuildResult {
  /** The image id: its config digest ("sha256:…"), as docker prints it. */
  imageId: string;
  manifestDigest: string;
  configDigest: string;
  tags: string[];
  image: ImageRecord;
  durationMs: number;
  cachedSteps: number;
  totalSteps: number;
  /** Uncompressed size of all layers. */
  sizeBytes: number;
  /** Context files whose content was read (0 when the stat cache answered everything). */
  contextFilesRead: number;
  /** Where `--push` / `-o type=registry` put the image, with the registry's manifest digest. */
  pushed: PushedImage[];
}

export async function build(options: BuildOptions, io: BuildIO = {}): Promise<BuildResult> {
  const t0 = Date.now();
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const progress = createProgress(options.progress ?? 'auto', { err: stderr, out: stdout, env });
  try {
    const contextDir = path.resolve(options.contextDir);
    // `-f -`: the text comes from stdin; otherwise the context module reads (and size-caps) the file.
    const fromStdin = options.dockerfile === '-' ? await text(io.stdin ?? process.stdin) : undefined;
    const buildArgs = options.buildArgs ?? {};
    const sourceDateEpoch = epochOf(options.sourceDateEpoch, buildArgs.SOURCE_DATE_EPOCH ?? env.SOURCE_DATE_EPOCH);
    const result = await executeBuild({
      contextDir,
      ...(fromStdin !== undefined
        ? { dockerfileText: fromStdin }
        : options.dockerfile !== undefined
          ? { dockerfile: path.resolve(options.dockerfile) }
          : {}),
      buildArgs,
      ...(options.target !== undefined ? { target: options.target } : {}),
      ...(options.platform ? { platform: options.platform } : {}),
      tags: options.tags ?? [],
      labels: options.labels ?? {},
      noCache: options.noCache ?? false,
      pull: options.pull ?? false,
      network: options.network ?? 'host',
      secrets: options.secrets ?? [],
      ...(options.root !== undefined ? { root: options.root } : {}),
      ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      maxParallelStages: options.maxParallelStages ?? 2,
      ...(options.registry ? { transport: options.registry } : {}),
      ...(options.stepLimits ? { stepLimits: options.stepLimits } : {}),
      outputs: options.outputs ?? [],
      env,
      stdout,
      progress,
    });
    if (options.iidfile) await writeFile(options.iidfile, result.imageId);
    if (options.metadataFile) await writeFile(options.metadataFile, `${JSON.stringify(metadataOf(result), null, 2)}\n`);
    const durationMs = Date.now() - t0;
    progress.emit({
      type: 'build-done',
      time: Date.now(),
      durationMs,
      cachedSteps: result.cachedSteps,
      totalSteps: result.totalSteps,
      imageId: result.imageId,
      sizeBytes: result.sizeBytes,
      tags: result.tags,
    });
    return { ...result, durationMs };
  } catch (e) {
    const err = e instanceof TsbuildError ? e : undefined;
    progress.emit({
      type: 'build-error',
      time: Date.now(),
      durationMs: Date.now() - t0,
      code: err?.code ?? ((e as { code?: string }).code ?? 'EINTERNAL'),
      message: e instanceof Error ? e.message : String(e),
      exitCode: err?.exitCode ?? 70,
    });
    throw e;
  } finally {
    await progress.close();
  }
}

/**
 * BuildKit's --metadata-file keys. After a push, `containerimage.digest` is the registry's manifest
 * digest, as BuildKit's is: people sign and deploy `name@digest`. The store's own manifest digest
 * (uncompressed layers, so different) is kept under a key of ours.
 */
function metadataOf(result: Omit<BuildResult, 'durationMs'>): Record<string, unknown> {
  const pushed = result.pushed[0];
  const names = [...new Set([...result.tags, ...result.pushed.map((p) => p.name)])];
  return {
    'containerimage.digest': pushed?.digest ?? result.manifestDigest,
    'containerimage.config.digest': result.configDigest,
    'containerimage.descriptor': pushed
      ? { mediaType: pushed.mediaType, digest: pushed.digest, size: pushed.size }
      : { mediaType: result.image.manifest.mediaType, digest: result.manifestDigest },
    ...(pushed ? { 'tsbuild.store.digest': result.manifestDigest } : {}),
    ...(names.length > 0 ? { 'image.name': names.join(',') } : {}),
  };
}

/** SOURCE_DATE_EPOCH: whole seconds since the epoch. */
function epochOf(explicit: number | undefined, fromEnv: string | undefined): number | undefined {
  if (explicit !== undefined) return explicit;
  if (fromEnv === undefined || fromEnv === '') return undefined;
  if (!/^\d+$/.test(fromEnv)) {
    throw new UsageError('USAGE_SOURCE_DATE_EPOCH', `SOURCE_DATE_EPOCH must be whole seconds since 1970, got "${fromEnv}"`);
  }
  return Number(fromEnv);
}
