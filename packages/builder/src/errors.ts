// Every error the builder throws. Codes are stable; messages name the cause; Dockerfile errors
// carry the file and a line:column range so the CLI can print the offending lines with a marker.
// The CLI maps errors to exit codes through `exitCode` (see cli/main.ts).

export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

export interface SourceRange {
  file: string;
  start: Position;
  end: Position;
}

export interface ErrorOptions {
  cause?: unknown;
  location?: SourceRange;
  /** A next step for the user ("did you mean COPY?", "run tsbuild load ..."). */
  hint?: string;
  details?: Record<string, unknown>;
}

export const EXIT = {
  ok: 0,
  buildFailed: 1,
  usage: 2,
  internal: 70,
  interrupted: 130,
} as const;

export class TsbuildError extends Error {
  readonly code: string;
  readonly location: SourceRange | undefined;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;
  /** What the CLI exits with when this error ends a command. */
  readonly exitCode: number = EXIT.buildFailed;
  constructor(code: string, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TsbuildError';
    this.code = code;
    this.location = opts.location;
    this.hint = opts.hint;
    this.details = opts.details ?? {};
  }
}

/** The Dockerfile (or its plan) is wrong: the user must edit it. Exit 2. */
export class DockerfileError extends TsbuildError {
  override readonly exitCode: number = EXIT.usage;
  constructor(code: string, message: string, opts: ErrorOptions = {}) {
    super(code, message, opts);
    this.name = 'DockerfileError';
  }
}

/** Bad flags or arguments. Exit 2. */
export class UsageError extends TsbuildError {
  override readonly exitCode: number = EXIT.usage;
  constructor(code: string, message: string, opts: ErrorOptions = {}) {
    super(code, message, opts);
    this.name = 'UsageError';
  }
}

/** A step or the build failed at run time (RUN exited non-zero, missing COPY source...). Exit 1. */
export class BuildError extends TsbuildError {
  constructor(code: string, message: string, opts: ErrorOptions = {}) {
    super(code, message, opts);
    this.name = 'BuildError';
  }
}

/** A fact that cannot be true unless tsbuild has a bug. Exit 70, asks for a bug report. */
export class InternalError extends TsbuildError {
  override readonly exitCode: number = EXIT.internal;
  constructor(message: string, opts: ErrorOptions = {}) {
    super('EINTERNAL', message, opts);
    this.name = 'InternalError';
  }
}
