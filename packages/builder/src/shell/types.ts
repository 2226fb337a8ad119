import { DockerfileError, type ErrorOptions } from '../errors.js';

export interface ExpandOptions {
  /** The Dockerfile's escape character (`# escape=`); default backslash. */
  escape?: '\\' | '`';
  /** Cap on the bytes (UTF-8) one call may produce, across all words; default 1 MiB. */
  maxOutputBytes?: number;
  /** Cap on `${...}` nesting; default 64. */
  maxDepth?: number;
}

export interface Expansion<T> {
  value: T;
  /** Names looked up, in first-use order, without duplicates. */
  used: string[];
  /** Names looked up that had no value (a subset of `used`). */
  unset: string[];
}

/** Returns a variable's value, or undefined when it is not set (set-but-empty is ''). */
export type Lookup = (name: string) => string | undefined;

export type ExpansionCode = 'EXPAND_TOO_LARGE' | 'EXPAND_TOO_DEEP' | 'EXPAND_REQUIRED' | 'EXPAND_SYNTAX';

/** A word could not be expanded. `details.offset` is the 0-based column in the word where it went wrong. */
export class ExpansionError extends DockerfileError {
  constructor(code: ExpansionCode, message: string, opts: ErrorOptions = {}) {
    super(code, message, opts);
    this.name = 'ExpansionError';
  }
}
