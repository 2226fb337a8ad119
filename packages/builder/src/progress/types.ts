// Progress events: what the executor tells the person (or the machine) watching a build.
// The executor only emits events; renderers (plain, tty, json, quiet) decide how they look, so the
// build logic never formats text and a renderer never knows how a step ran.

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'quiet' | 'json';

/** One numbered vertex of the build, as BuildKit numbers them (`#N`). */
export interface StepInfo {
  /** The `#N` number, unique in the build. */
  id: number;
  /** "[builder 2/5]"-style label without brackets, or "internal" for work that is not a Dockerfile step. */
  label: string;
  /** The instruction as written (after expansion of its words), e.g. "RUN echo hi". */
  text: string;
  /** Where the instruction is, for "Dockerfile:12". */
  file?: string;
  line?: number;
}

export type ProgressEvent =
  | { type: 'build-start'; time: number; contextDir: string; dockerfile: string }
  | { type: 'step-start'; time: number; step: StepInfo }
  | { type: 'step-cached'; time: number; step: StepInfo }
  /** A chunk of a RUN's output; never clipped. */
  | { type: 'step-log'; time: number; step: StepInfo; stream: 'stdout' | 'stderr'; data: string }
  /** A remark about a step: "cache miss: file app.js changed". */
  | { type: 'step-note'; time: number; step: StepInfo; message: string }
  /** Progress of long work inside a step (layer commit, export): current/total in bytes or items. */
  | { type: 'step-progress'; time: number; step: StepInfo; action: string; current: number; total?: number }
  | { type: 'step-done'; time: number; step: StepInfo; durationMs: number; sizeBytes?: number }
  | { type: 'step-error'; time: number; step: StepInfo; durationMs: number; message: string }
  | { type: 'warning'; time: number; message: string; file?: string; line?: number }
  | {
      type: 'build-done';
      time: number;
      durationMs: number;
      cachedSteps: number;
      totalSteps: number;
      imageId: string;
      sizeBytes: number;
      tags: string[];
    }
  | { type: 'build-error'; time: number; durationMs: number; code: string; message: string; exitCode: number };

/** Where events go. emit never throws and never blocks the build; close flushes. */
export interface ProgressSink {
  emit(event: ProgressEvent): void;
  close(): Promise<void>;
}

/** A sink that drops everything (the default for the programmatic API). */
export const silentProgress: ProgressSink = {
  emit() {},
  async close() {},
};
