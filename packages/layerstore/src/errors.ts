// Every error the layer store throws. Codes are stable (tests and callers branch on them);
// messages name the cause. A bug is an InternalError.

export interface StoreErrorOptions {
  cause?: unknown;
  /** Machine-readable facts (digest, path, limit...) for --progress=json and tests. */
  details?: Record<string, unknown>;
}

export class StoreError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(code: string, message: string, opts: StoreErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'StoreError';
    this.code = code;
    this.details = opts.details ?? {};
  }
}

/** A fact that cannot be true unless tsbuild has a bug. */
export class InternalError extends StoreError {
  constructor(message: string, opts: StoreErrorOptions = {}) {
    super('EINTERNAL', message, opts);
    this.name = 'InternalError';
  }
}

export function isStoreError(e: unknown, code?: string): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}
