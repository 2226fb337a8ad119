// Progress output for a build: pick a renderer for the mode and the terminal.
import type { Writable } from 'node:stream';
import { UsageError } from '../errors.js';
import { createJsonProgress } from './json.js';
import { createPlainProgress } from './plain.js';
import { createQuietProgress } from './quiet.js';
import { createTtyProgress } from './tty.js';
import type { ProgressMode, ProgressSink } from './types.js';

export type { ProgressEvent, ProgressMode, ProgressSink, StepInfo } from './types.js';
export { silentProgress } from './types.js';
export { formatDuration, formatSize } from './format.js';
export { formatErrorReport } from './error-report.js';

export interface ProgressStreams {
  /** Where progress goes (stderr for the CLI, so stdout stays free for `-o dest=-`). */
  err: Writable & { isTTY?: boolean; columns?: number };
  /** Where `quiet` prints the image id. */
  out: Writable;
  env?: Record<string, string | undefined>;
}

/**
 * `auto` is the live view on a terminal, plain otherwise (also when TERM=dumb or CI is set, where
 * cursor movement would garble logs). `quiet` prints nothing while things go well: the CLI prints
 * the image id on stdout.
 */
export function createProgress(mode: ProgressMode, io: ProgressStreams): ProgressSink {
  const env = io.env ?? {};
  const resolved =
    mode === 'auto' ? (io.err.isTTY && env.TERM !== 'dumb' && !env.CI ? 'tty' : 'plain') : mode;
  switch (resolved) {
    case 'tty':
      return createTtyProgress(io.err);
    case 'plain':
      return createPlainProgress(io.err);
    case 'json':
      return createJsonProgress(io.err);
    case 'quiet':
      return createQuietProgress(io.err);
    default:
      // Callers outside TypeScript (a repeated --progress gives an array) must not get undefined.
      throw new UsageError('USAGE_PROGRESS', `unknown progress mode ${JSON.stringify(mode)}`, {
        hint: 'use one of auto, tty, plain, quiet, json',
      });
  }
}
