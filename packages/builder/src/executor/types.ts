// The runner as the executor needs it (the store is the layer store's `Store` interface). Tests give
// fakes; execute-build.ts gives the real @tsbuild/runner.
import type { Limits, MountSession, ResolvedUser, RunResult, RunSpec } from '@tsbuild/runner';

/** Limits of a RUN step: pids, memory and wall clock (the runner's Limits, CPU aside). */
export type StepLimits = Pick<Limits, 'pids' | 'memoryBytes' | 'timeoutMs'>;

/**
 * pids.max of every RUN step unless the caller says otherwise: far above what a parallel compile
 * needs, far below the host's pid space, so a fork bomb in a Dockerfile stops at its own cgroup.
 * No memory limit or timeout by default (BuildKit sets none either); callers can ask for both.
 */
export const DEFAULT_STEP_PIDS = 16384;

export interface RunnerApi {
  run(spec: RunSpec): Promise<RunResult>;
  openMountSession(): Promise<MountSession>;
  /** Resolves a Docker USER string inside a rootfs (for COPY --chown names and WORKDIR owners). */
  resolveUser?(rootDir: string, user: string): Promise<ResolvedUser>;
}
