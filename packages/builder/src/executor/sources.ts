// What a stage can read besides its own rootfs: other stages' results and images from the store,
// by the names a Dockerfile uses (`--from=builder`, `--from=1`, `--from=alpine:3`), each as a chain
// key (for cache keys) and as a host dir (a merged overlay view in the build's mount session).
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ImageRecord, Store, WorkArea } from '@tsbuild/layerstore';
import { BuildError } from '../errors.js';
import type { BuildPlan } from '../plan/types.js';
import { hashJson } from './cache.js';
import type { LazyMountSession } from './mount-session.js';
import { lowerDirsFor } from './rootfs.js';
import type { StageResult } from './state.js';

export interface SourceResolverDeps {
  plan: BuildPlan;
  store: Store;
  mounts: LazyMountSession;
  stageResult(index: number): Promise<StageResult>;
  resolveImage(ref: string): Promise<ImageRecord>;
}

const execFileRaw = promisify(execFile);
async function execFileAsync(cmd: string, args: string[]): Promise<void> {
  const dest = args.at(-1);
  if (dest) await mkdir(dest, { recursive: true });
  await execFileRaw(cmd, args);
}

export type SourceRef = { kind: 'stage'; index: number } | { kind: 'image'; ref: string };

export class SourceResolver {
  private readonly roots = new Map<string, Promise<string>>();
  private readonly areas: WorkArea[] = [];
  private readonly unmounts: (() => Promise<void>)[] = [];

  constructor(private readonly deps: SourceResolverDeps) {}

  /** `--from` value → a stage of this build or an image reference. */
  classify(from: string): SourceRef {
    const { plan } = this.deps;
    if (/^\d+$/.test(from)) {
      const index = Number(from);
      if (index >= plan.stageCount) {
        throw new BuildError('FROM_STAGE_UNKNOWN', `--from=${from}: the Dockerfile has only ${plan.stageCount} stages`);
      }
      return { kind: 'stage', index };
    }
    const byName = plan.stageNames.indexOf(from.toLowerCase());
    if (byName >= 0) {
      const st = plan.stages.find((s) => s.name === from.toLowerCase());
      if (st) return { kind: 'stage', index: st.index };
    }
    return { kind: 'image', ref: from };
  }

  /** The chain key of what `from` names: a stage's last file step, or an image's manifest digest. */
  async keyOf(from: string): Promise<string> {
    const src = this.classify(from);
    if (src.kind === 'stage') return (await this.deps.stageResult(src.index)).key;
    const img = await this.deps.resolveImage(src.ref);
    return hashJson(['image', img.manifestDigest]);
  }

  /** A host dir showing the whole filesystem of `from`, mounted once per build. */
  rootOf(from: string): Promise<string> {
    const src = this.classify(from);
    const id = src.kind === 'stage' ? `stage:${src.index}` : `image:${src.ref}`;
    let p = this.roots.get(id);
    if (!p) {
      p = this.mount(src);
      this.roots.set(id, p);
    }
    return p;
  }

  /**
   * A dir of the host's own mount namespace showing the whole filesystem of `from`, for the runner
   * to bind from (it cannot bind out of the mount session's namespace): the snapshot itself when the
   * source has one layer, else a copy of its merged view, made once per build.
   */
  hostRootOf(from: string): Promise<string> {
    const src = this.classify(from);
    const id = `host:${src.kind === 'stage' ? `stage:${src.index}` : `image:${src.ref}`}`;
    let p = this.roots.get(id);
    if (!p) {
      p = this.materialize(src, from);
      this.roots.set(id, p);
    }
    return p;
  }

  private async materialize(src: SourceRef, from: string): Promise<string> {
    const layers =
      src.kind === 'stage' ? (await this.deps.stageResult(src.index)).layers : (await this.deps.resolveImage(src.ref)).layers;
    if (layers.length === 1) return this.deps.store.layers.snapshot(layers[0] as (typeof layers)[number]);
    const merged = await this.rootOf(from);
    const area = await this.deps.store.workArea();
    this.areas.push(area);
    const dest = path.join(area.scratchDir, 'root');
    await execFileAsync('cp', ['-a', '--', `${merged}/.`, `${dest}/`]).catch(async (e: unknown) => {
      throw new BuildError('FROM_STAGE_COPY', `cannot copy the files of "${from}" for a RUN --mount: ${(e as Error).message}`);
    });
    return dest;
  }

  private async mount(src: SourceRef): Promise<string> {
    const layers =
      src.kind === 'stage' ? (await this.deps.stageResult(src.index)).layers : (await this.deps.resolveImage(src.ref)).layers;
    const area = await this.deps.store.workArea();
    this.areas.push(area);
    const lowers = await lowerDirsFor(this.deps.store, layers, area.scratchDir);
    const session = await this.deps.mounts.get();
    const mounted = await session.mountOverlay(lowers, area.upperDir, area.workDir);
    this.unmounts.push(() => mounted.unmount());
    return mounted.path;
  }

  async close(): Promise<void> {
    for (const u of this.unmounts.splice(0)) await u().catch(() => undefined);
    for (const a of this.areas.splice(0)) await a.dispose().catch(() => undefined);
  }
}
