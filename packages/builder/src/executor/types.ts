// What the executor needs from the world, as interfaces: the store, the runner, the context, the
// copy helper and a progress sink. Tests give fakes; build.ts gives the real ones.
import type { MountSession, ResolvedUser, RunResult, RunSpec } from '@tsbuild/runner';

export interface RunnerApi {
  run(spec: RunSpec): Promise<RunResult>;
  openMountSession(): Promise<MountSession>;
  /** Resolves a Docker USER string inside a rootfs (for COPY --chown names and WORKDIR owners). */
  resolveUser?(rootDir: string, user: string): Promise<ResolvedUser>;
}
