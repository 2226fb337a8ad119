// The plain renderer: BuildKit's `--progress=plain` habits. Every line of every RUN is printed,
// prefixed with its step number and the seconds since the step started, so CI logs are complete.
import type { Writable } from 'node:stream';
import { LineSplitter, formatDuration, formatSize, formatStepTitle } from './format.js';
import type { ProgressEvent, ProgressSink } from './types.js';

export function createPlainProgress(out: Writable): ProgressSink {
  const lines = new LineSplitter();
  const started = new Map<number, number>();
  const write = (text: string): void => {
    out.write(text);
  };
  const writeLogLines = (id: number, items: string[], time: number): void => {
    const t0 = started.get(id) ?? time;
    const stamp = ((time - t0) / 1000).toFixed(3);
    for (const l of items) write(`#${id} ${stamp} ${l}\n`);
  };
  const flushStep = (id: number, time: number): void => {
    writeLogLines(id, [...lines.flush(`${id}:stdout`), ...lines.flush(`${id}:stderr`)], time);
  };

  return {
    emit(e: ProgressEvent): void {
      switch (e.type) {
        case 'build-start':
          write(`#0 building with tsbuild (context ${e.contextDir}, ${e.dockerfile})\n#0 DONE 0.0s\n\n`);
          break;
        case 'step-start':
          started.set(e.step.id, e.time);
          write(`#${e.step.id} ${formatStepTitle(e.step)}\n`);
          break;
        case 'step-cached':
          write(`#${e.step.id} ${formatStepTitle(e.step)}\n#${e.step.id} CACHED\n\n`);
          break;
        case 'step-log':
          writeLogLines(e.step.id, lines.push(`${e.step.id}:${e.stream}`, e.data), e.time);
          break;
        case 'step-note':
          write(`#${e.step.id} ${e.message}\n`);
          break;
        case 'step-progress':
          // Plain output is a log, not a live view: report only the end of long work.
          if (e.total !== undefined && e.current >= e.total) {
            write(`#${e.step.id} ${e.action} ${formatSize(e.total)} done\n`);
          }
          break;
        case 'step-done': {
          flushStep(e.step.id, e.time);
          const size = e.sizeBytes !== undefined ? ` (layer ${formatSize(e.sizeBytes)})` : '';
          write(`#${e.step.id} DONE ${formatDuration(e.durationMs)}${size}\n\n`);
          break;
        }
        case 'step-error':
          flushStep(e.step.id, e.time);
          write(`#${e.step.id} ERROR: ${e.message}\n\n`);
          break;
        case 'warning': {
          const where = e.line !== undefined ? ` (${e.file ?? 'Dockerfile'}:${e.line})` : '';
          write(`WARNING: ${e.message}${where}\n`);
          break;
        }
        case 'build-done':
          write(formatSummary(e));
          break;
        case 'build-error':
          break;
      }
    },
    async close(): Promise<void> {},
  };
}

export function formatSummary(e: Extract<ProgressEvent, { type: 'build-done' }>): string {
  const tags = e.tags.length > 0 ? `, tagged ${e.tags.join(', ')}` : '';
  return (
    `writing image ${e.imageId} done\n` +
    `Built in ${formatDuration(e.durationMs)}: ${e.cachedSteps}/${e.totalSteps} steps cached, ` +
    `image ${e.imageId.replace(/^sha256:/, '').slice(0, 12)} (${formatSize(e.sizeBytes)})${tags}\n`
  );
}
