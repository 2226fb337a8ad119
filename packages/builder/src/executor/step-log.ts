// A step's output: streamed to progress as it comes (never clipped), written to the store's log
// folder up to LOG_FILE_CAP bytes (then one notice line: a `yes`-style flood must not fill the
// store's disk, RES-04), and a tail kept for the error report.
import { createWriteStream, type WriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ProgressSink, StepInfo } from '../progress/index.js';

const TAIL_LINES = 20;

/** Bytes of one step's output kept in its log file (BuildKit clips its logs at 2 MiB). */
export const LOG_FILE_CAP = 8 * 1024 * 1024;

export class StepLog {
  private readonly file: WriteStream;
  private tailText = '';
  private fileBytes = 0;
  private clipped = false;
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
        const keep = this.fileShare(chunk);
        if (this.file.writable && keep !== null) this.file.write(keep, () => cb());
        else cb();
      },
    });
  }

  /** What of `chunk` still goes to the file: all of it under the cap, then the notice once, then nothing. */
  private fileShare(chunk: Buffer): Buffer | null {
    if (this.clipped) return null;
    const room = LOG_FILE_CAP - this.fileBytes;
    if (chunk.length <= room) {
      this.fileBytes += chunk.length;
      return chunk;
    }
    this.clipped = true;
    this.fileBytes = LOG_FILE_CAP;
    const notice = `\n[tsbuild: log file clipped at ${LOG_FILE_CAP} bytes; the rest of the output went to progress only]\n`;
    return Buffer.concat([chunk.subarray(0, room), Buffer.from(notice)]);
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
