// One private mount namespace per build (the runner's MountSession), opened on first use: COPY and
// WORKDIR write through merged overlay views in it, and COPY --from reads stages through it.
import type { MountSession } from '@tsbuild/runner';
import type { RunnerApi } from './types.js';

export class LazyMountSession {
  private session: Promise<MountSession> | undefined;

  constructor(private readonly runner: RunnerApi) {}

  get(): Promise<MountSession> {
    this.session ??= this.runner.openMountSession();
    return this.session;
  }

  /** Mounts an overlay, runs `use` on its merged path, and unmounts whatever happens. */
  async withMerged<T>(lowerDirs: string[], upperDir: string, workDir: string, use: (root: string) => Promise<T>): Promise<T> {
    const mounted = await (await this.get()).mountOverlay(lowerDirs, upperDir, workDir);
    try {
      return await use(mounted.path);
    } finally {
      await mounted.unmount();
    }
  }

  async close(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s) await (await s).close();
  }
}
