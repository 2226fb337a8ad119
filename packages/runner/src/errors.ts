// Every error the runner throws. Codes are stable (the builder and tests branch on them); messages
// name the cause. A bug is an InternalError.

export type RunnerErrorCode =
  | 'RUNNER_INVALID_SPEC' // the RunSpec itself is wrong (relative cwd, bad hostname, ...)
  | 'RUNNER_HELPER_MISSING' // native/tsbuild-sandbox was not built
  | 'RUNNER_SETUP' // the sandbox could not be set up (mounts, namespaces, rootfs refused)
  | 'RUNNER_EXEC' // argv[0] could not be executed (not found, not executable)
  | 'RUNNER_CGROUP' // no usable cgroup hierarchy, or a limit could not be set
  | 'RUNNER_USER_INVALID' // USER string malformed or out of range
  | 'RUNNER_USER_NOT_FOUND' // a user or group name with no entry in the image
  | 'RUNNER_FILE_TOO_LARGE' // /etc/passwd or /etc/group over the size cap
  | 'RUNNER_MOUNT_SESSION' // the mount session helper failed or was closed
  | 'RUNNER_INTERNAL';

export interface RunnerErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class RunnerError extends Error {
  readonly code: RunnerErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: RunnerErrorCode, message: string, opts: RunnerErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RunnerError';
    this.code = code;
    this.details = opts.details ?? {};
  }
}

/** A fact that cannot be true unless tsbuild has a bug. */
export class RunnerInternalError extends RunnerError {
  constructor(message: string, opts: RunnerErrorOptions = {}) {
    super('RUNNER_INTERNAL', message, opts);
    this.name = 'RunnerInternalError';
  }
}

export function isRunnerError(e: unknown, code?: RunnerErrorCode): e is RunnerError {
  return e instanceof RunnerError && (code === undefined || e.code === code);
}
