// Test helpers: run a function expected to fail and reduce the error to what tests assert on
// (code and location), never the wording.

import type { ExecutionContext } from 'ava';
import { DockerfileError } from '../../src/errors.js';

export interface ErrorShape {
  code: string;
  start: [number, number];
  end: [number, number];
}

export function errorOf(t: ExecutionContext, fn: () => unknown): ErrorShape & { error: DockerfileError } {
  const e = t.throws(fn);
  if (!(e instanceof DockerfileError)) {
    t.fail(`expected a DockerfileError, got ${String(e)}`);
    throw e;
  }
  const loc = e.location;
  return {
    error: e,
    code: e.code,
    start: [loc?.start.line ?? 0, loc?.start.column ?? 0],
    end: [loc?.end.line ?? 0, loc?.end.column ?? 0],
  };
}

/** Lines joined with \n and a final newline. */
export function df(...lines: string[]): string {
  return lines.join('\n') + '\n';
}
