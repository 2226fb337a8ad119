// The public types of word expansion, and the limits that keep a hostile Dockerfile from exhausting
// memory, CPU or the stack (SECURITY.md DF-02).
import { DockerfileError, type ErrorOptions } from '../errors.js';

export interface ExpandOptions {
  /** The Dockerfile's escape character (`# escape=`); default backslash. */
  escape?: '\\' | '`';
  /** Cap on the UTF-8 bytes one call may produce (all words together); default 1 MiB. */
  maxOutputBytes?: number;
  /** Cap on `${...}` nesting; default 64. */
  maxDepth?: number;
}

export interface Expansion<T> {
  value: T;
  /** Names looked up, in first-use order, without duplicates (including lookups whose text was discarded). */
  used: string[];
  /** Names looked up that had no value (a subset of `used`). */
  unset: string[];
}

/** Returns a variable's value, or undefined when it is not set (set-but-empty is ''). */
export type Lookup = (name: string) => string | undefined;

export type ExpansionCode = 'EXPAND_TOO_LARGE' | 'EXPAND_TOO_DEEP' | 'EXPAND_REQUIRED' | 'EXPAND_SYNTAX';

/**
 * A word could not be expanded. `details.offset` is the 0-based UTF-16 index in the word of the construct
 * that failed (the caller adds it to the word's column); EXPAND_REQUIRED also carries `details.name`.
 */
export class ExpansionError extends DockerfileError {
  constructor(code: ExpansionCode, message: string, opts: ErrorOptions = {}) {
    super(code, message, opts);
    this.name = 'ExpansionError';
  }
}

export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
export const DEFAULT_MAX_DEPTH = 64;
/**
 * Pattern operators (`#`, `%`, `/`) cost up to text × pattern steps; this bounds the total per call so
 * that many cheap-looking `${BIG%%*x}` cannot add up to minutes. ~0.1-0.3 s of work.
 */
export const PATTERN_STEP_BUDGET = 32 * 1024 * 1024;
