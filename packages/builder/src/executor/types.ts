// The runner as the executor needs it (the store is the layer store's `Store` interface). Tests give
// fakes; execute-build.ts gives the real @tsbuild/runner.
import type { MountSession, ResolvedUser, RunResult, RunSpec } from '@tsbuild/runner';

export interface RunnerApi {
  run(spec: RunSpec): Promise<RunResult>;
  openMountSession(): Promise<MountSession>;
  /** Resolves a Docker USER string inside a rootfs (for COPY --chown names and WORKDIR owners). */
  resolveUser?(rootDir: string, user: string): Promise<ResolvedUser>;
}
