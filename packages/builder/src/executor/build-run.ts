// One execution of a build plan: the shared state of its stages (results, resolved images, the mount
// session, step numbers) and the scheduling of stages: each starts when the stages it needs are done,
// at most `maxParallelStages` at once. The first failure cancels the rest.
import type { ImageRecord } from '@tsbuild/layerstore';
import { BuildError, DockerfileError } from '../errors.js';
import type { FromInstruction, Instruction } from '../instructions/types.js';
import type { ExclusionRules } from '../copy/index.js';
import type { BuildPlan, PlannedStage } from '../plan/types.js';
import type { CopyDeps } from './dispatch-copy.js';
import type { MetaOptions } from './dispatch-meta.js';
import type { RunDeps } from './dispatch-run.js';
import type { WorkdirDeps } from './dispatch-workdir.js';
import { isoOf } from './fs-step.js';
import { LazyMountSession } from './mount-session.js';
import { SourceResolver } from './sources.js';
import { runStage } from './stage.js';
import type { BuildSettings, ExecutorServices, StageResult, StepCounters } from './state.js';
import { StepNumbers, displayName } from './steps.js';
import type { Puller } from './registry.js';
import type { StepInfo } from '../progress/index.js';

export interface BuildRunDeps {
  plan: BuildPlan;
  services: ExecutorServices;
  settings: BuildSettings;
  /** Dirs in the store: step logs and cache mounts. */
  logDir: string;
  cacheMountsDir: string;
  /** Digest of a context path (file or tree) for bind-mount keys. */
  digestContextPath(rel: string): Promise<string>;
  /** The context's .dockerignore rules: RUN --mount binds of the context do not see ignored files. */
  contextIgnore?: ExclusionRules;
  /** What COPY/ADD need besides the build's own services: the context, user lookup, tar extraction. */
  copy: Pick<CopyDeps, 'context' | 'lookupUser' | 'extractTar'>;
  /** Parses an ONBUILD trigger's text into an instruction. */
  parseTrigger(text: string, at: FromInstruction): Instruction;
  /** Fetches an image into the store when `--pull` is set or it is missing; undefined = no registry. */
  pullImage?: Puller;
}

export class BuildRun {
  readonly plan: BuildPlan;
  readonly settings: BuildSettings;
  readonly services: ExecutorServices;
  readonly steps: StepNumbers;
  readonly counters: StepCounters = { total: 0, cached: 0 };
  readonly mounts: LazyMountSession;
  readonly sources: SourceResolver;
  readonly metaOptions: MetaOptions;
  readonly runDeps: RunDeps;
  readonly copyDeps: CopyDeps;
  readonly workdirDeps: WorkdirDeps;
  readonly defaultCreated: string;
  readonly epochIso: string;
  readonly dockerfileLines: readonly string[];
  private readonly results = new Map<number, Promise<StageResult>>();
  private readonly images = new Map<string, Promise<ImageRecord>>();
  private readonly abort = new AbortController();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly deps: BuildRunDeps) {
    this.plan = deps.plan;
    this.settings = deps.settings;
    this.dockerfileLines = deps.settings.dockerfileText.split(/\r?\n/);
    const outer = deps.services.signal;
    if (outer) {
      if (outer.aborted) this.abort.abort(outer.reason);
      else outer.addEventListener('abort', () => this.abort.abort(outer.reason), { once: true });
    }
    this.services = { ...deps.services, signal: this.abort.signal };
    this.steps = new StepNumbers(deps.plan, displayName(deps.plan.file));
    this.mounts = new LazyMountSession(deps.services.runner);
    this.sources = new SourceResolver({
      plan: deps.plan,
      store: deps.services.store,
      mounts: this.mounts,
      stageResult: (i) => this.stageResult(i),
      resolveImage: (r) => this.resolveImage(r),
    });
    this.epochIso = deps.settings.sourceDateEpoch !== undefined ? isoOf(deps.settings.sourceDateEpoch) : deps.settings.startedAt;
    this.defaultCreated = this.epochIso;
    this.metaOptions = { buildArgs: deps.plan.buildArgs, metaArgs: deps.plan.metaArgs };
    const fsEnv = { services: this.services, settings: this.settings, counters: this.counters };
    this.runDeps = {
      ...fsEnv,
      logDir: deps.logDir,
      logPrefix: `${deps.settings.startedAt.replace(/[-:.]/g, '')}-${process.pid}`,
      mounts: this.mounts,
      proxyEnv: deps.plan.proxyEnv,
      digestContextPath: deps.digestContextPath,
      keyOf: (from) => this.sources.keyOf(from),
      mountEnv: {
        contextDir: deps.settings.contextDir,
        ...(deps.contextIgnore ? { contextIgnore: deps.contextIgnore } : {}),
        rootOf: (from) => this.sources.hostRootOf(from),
        cacheDir: deps.cacheMountsDir,
        secrets: deps.settings.secrets,
        env: deps.settings.env,
      },
    };
    this.workdirDeps = { ...fsEnv, mounts: this.mounts };
    this.copyDeps = { ...fsEnv, ...deps.copy, mounts: this.mounts, sources: this.sources };
  }

  /** Runs every stage the target needs and returns the target's result. */
  async execute(): Promise<StageResult> {
    const all = this.plan.stages.map((s) => this.stageResult(s.index));
    try {
      await Promise.all(all);
    } catch (e) {
      this.abort.abort(e);
      await Promise.allSettled(all);
      throw e;
    } finally {
      await this.sources.close();
      await this.mounts.close();
    }
    return this.stageResult(this.plan.target);
  }

  stageResult(index: number): Promise<StageResult> {
    let p = this.results.get(index);
    if (!p) {
      const stage = this.plan.stages.find((s) => s.index === index);
      if (!stage) {
        return Promise.reject(new DockerfileError('PLAN_STAGE_MISSING', `stage ${index} is not part of the plan`));
      }
      p = this.schedule(stage);
      this.results.set(index, p);
    }
    return p;
  }

  private async schedule(stage: PlannedStage): Promise<StageResult> {
    await Promise.all(stage.dependsOn.map((d) => this.stageResult(d)));
    await this.acquire();
    try {
      return await runStage(this, stage);
    } finally {
      this.release();
    }
  }

  private async acquire(): Promise<void> {
    if (this.running < Math.max(1, this.settings.maxParallelStages)) {
      this.running++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  /**
   * An image from the store (pulled first with --pull, or when missing and a registry client exists).
   * Resolved once per build: the first step to ask shows the pull's progress.
   */
  resolveImage(ref: string, step?: StepInfo): Promise<ImageRecord> {
    let p = this.images.get(ref);
    if (!p) {
      p = this.findImage(ref, step);
      this.images.set(ref, p);
    }
    return p;
  }

  /**
   * With --pull the registry is asked first and must answer, even for an image the store holds
   * (docker build --pull, podman --pull=always); else the store, then the registry.
   */
  private async findImage(ref: string, step?: StepInfo): Promise<ImageRecord> {
    const { store, signal, progress } = this.services;
    // A malformed name (an ARG that expanded to nothing, capitals) is the Dockerfile's fault, found
    // before the store or a registry is asked, as BuildKit does ("invalid reference format").
    const { parseReference } = await import('@tsbuild/layerstore');
    try {
      parseReference(ref);
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'EREFERENCE') throw e;
      throw new DockerfileError('DF_INVALID_REFERENCE', `invalid reference format: "${ref}": ${(e as Error).message}`, {
        cause: e,
        hint: 'an image name is [registry/]name[:tag][@digest], in lowercase; check the ARGs it is made of',
        details: { ref },
      });
    }
    const pullImage = this.deps.pullImage;
    const pull = pullImage
      ? async (): Promise<ImageRecord> => {
          const onBytes = step
            ? (current: number, total: number): void => progress.emit({ type: 'step-progress', time: Date.now(), step, action: 'pulling', current, total })
            : undefined;
          const img = await pullImage(ref, { ...(signal ? { signal } : {}), ...(onBytes ? { onBytes } : {}) });
          if (step) progress.emit({ type: 'step-note', time: Date.now(), step, message: `resolved ${ref}@${img.manifestDigest}` });
          return img;
        }
      : undefined;
    if (this.settings.pull && pull) {
      return pull().catch(async (e: unknown) => {
        const inStore = (await store.images.resolve(ref).catch(() => undefined)) !== undefined;
        return this.pullFailed(ref, e, inStore);
      });
    }
    const found = await store.images.resolve(ref);
    if (found) return found;
    if (pull) return pull().catch((e: unknown) => this.pullFailed(ref, e, false));
    throw new BuildError('FROM_IMAGE_NOT_FOUND', `image "${ref}" is not in the store`, {
      hint: `load it with "tsbuild load -i IMAGE.tar ${ref}" or pull it with "tsbuild pull ${ref}"`,
      details: { ref },
    });
  }

  /**
   * The error of a pull made for FROM / --from. An image the store lacks is FROM_IMAGE_NOT_FOUND
   * whatever went wrong, as is one the registry does not have. Only with --pull can the store hold
   * the image while the pull fails otherwise (unreachable, refused credentials, content that fails
   * verification): FROM_PULL_FAILED. The registry's code stays in details.cause.
   */
  private pullFailed(ref: string, e: unknown, inStore: boolean): never {
    if (this.services.signal?.aborted) throw new BuildError('BUILD_CANCELLED', 'the build was cancelled', { cause: e });
    const code = (e as { code?: unknown }).code;
    const details = { ref, ...(typeof code === 'string' ? { cause: code } : {}) };
    const message = (e as Error).message;
    const registry = (e as { details?: { registry?: unknown } }).details?.registry;
    const login = code === 'EAUTH' ? `log in with "tsbuild login ${typeof registry === 'string' ? registry : 'REGISTRY'}"` : undefined;
    if (!inStore) {
      throw new BuildError('FROM_IMAGE_NOT_FOUND', `image "${ref}" is not in the store and could not be pulled: ${message}`, {
        cause: e,
        hint: login ?? `load it with "tsbuild load -i IMAGE.tar ${ref}" or check the name`,
        details,
      });
    }
    if (code === 'ENOTFOUND') {
      throw new BuildError('FROM_IMAGE_NOT_FOUND', `--pull: the registry has no image "${ref}": ${message}`, { cause: e, hint: 'check the name and tag', details });
    }
    throw new BuildError('FROM_PULL_FAILED', `--pull: image "${ref}" could not be pulled: ${message}`, {
      cause: e,
      hint: login ?? 'build without --pull to use the image already in the store',
      details,
    });
  }

  parseTrigger(text: string, at: FromInstruction): Instruction {
    return this.deps.parseTrigger(text, at);
  }
}

