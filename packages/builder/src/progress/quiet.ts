// The quiet renderer: silent while the build goes well (the CLI prints only the image id); when a
// step fails, the last lines of its output, since nothing else showed them.
import type { Writable } from 'node:stream';
import type { ProgressEvent, ProgressSink } from './types.js';

const TAIL_BYTES = 8 * 1024;

export function createQuietProgress(err: Writable): ProgressSink {
  const tails = new Map<number, string>();
  return {
    emit(e: ProgressEvent): void {
      if (e.type === 'step-log') {
        const t = (tails.get(e.step.id) ?? '') + e.data;
        tails.set(e.step.id, t.length > TAIL_BYTES ? t.slice(-TAIL_BYTES) : t);
      } else if (e.type === 'step-done' || e.type === 'step-cached') {
        tails.delete(e.step.id);
      } else if (e.type === 'step-error') {
        const tail = (tails.get(e.step.id) ?? '').split('\n').slice(-20).join('\n');
        err.write(`------\n > [${e.step.label}] ${e.step.text}:\n${tail}${tail.endsWith('\n') || tail === '' ? '' : '\n'}------\n`);
      }
    },
    async close(): Promise<void> {},
  };
}
