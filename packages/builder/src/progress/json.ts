// The json renderer: one JSON object per line, one per event, for machines (CI dashboards, IDEs).
// Fields are the ProgressEvent fields; `time` is milliseconds since the epoch.
import type { Writable } from 'node:stream';
import type { ProgressEvent, ProgressSink } from './types.js';

export function createJsonProgress(out: Writable): ProgressSink {
  return {
    emit(e: ProgressEvent): void {
      out.write(`${JSON.stringify(e)}\n`);
    },
    async close(): Promise<void> {},
  };
}
