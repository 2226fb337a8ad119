// A step's output: streamed to progress as it comes, written whole to the store's log folder, and a
// tail kept for the error report. Nothing is clipped except the in-memory tail.
import { createWriteStream, type WriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ProgressSink, StepInfo } from '../progress/index.js';

const TAIL_LINES = 20;

export class StepLog {
  private readonly file: WriteStream;
  private tailText = '';
  readonly stdout: Writable;
  readonly stderr: Writable;

  constructor(
    readonly path: string,
    private readonly progress: ProgressSink,
    private readonly step: StepInfo,
  ) {
    this.file = createWriteStream(path);
    // A log file that cannot be written must not fail the build: the output still reaches progress.
    this.file.on('error', () => undefined);
    this.stdout = this.sink('stdout');
    this.stderr = this.sink('stderr');
  }

  private sink(stream: 'stdout' | 'stderr'): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        const data = chunk.toString('utf8');
        this.progress.emit({ type: 'step-log', time: Date.now(), step: this.step, stream, data });
        this.keepTail(data);
        if (this.file.writable) this.file.write(chunk, () => cb());
        else cb();
      },
    });
  }

  private keepTail(data: string): void {
    this.tailText += data;
    if (this.tailText.length > 64 * 1024) this.tailText = this.tailText.slice(-32 * 1024);
  }

  /** The last lines of output, for "the last lines of its output" in a failure report. */
  tail(n = TAIL_LINES): string[] {
    const lines = this.tailText.replace(/\n$/, '').split('\n');
    return this.tailText === '' ? [] : lines.slice(-n);
  }

  async close(): Promise<void> {
    this.stdout.end();
    this.stderr.end();
    this.file.end();
    await finished(this.file).catch(() => undefined);
  }
}
