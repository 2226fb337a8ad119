// Small text helpers shared by the renderers: sizes and durations the way BuildKit prints them.

/** "0.3s", "12.0s", "2m3.4s"; BuildKit prints one decimal. */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${(s - m * 60).toFixed(1)}s`;
}

/** Decimal units like docker ("1.23kB", "45.6MB"). */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v}B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)}${units[i]}`;
}

/** "[builder 2/5] RUN make" plus " (Dockerfile:12)" when the line is known. */
export function formatStepTitle(step: { label: string; text: string; file?: string; line?: number }): string {
  const where = step.line !== undefined ? ` (${step.file ?? 'Dockerfile'}:${step.line})` : '';
  return `[${step.label}] ${step.text}${where}`;
}

/** Splits streamed text into whole lines, keeping an unfinished tail per key until it is flushed. */
export class LineSplitter {
  private readonly partial = new Map<string, string>();

  push(key: string, data: string): string[] {
    const text = (this.partial.get(key) ?? '') + data;
    const lines = text.split('\n');
    this.partial.set(key, lines.pop() ?? '');
    return lines.map(stripCarriageReturns);
  }

  /** The unfinished line of `key`, if any, as a final line. */
  flush(key: string): string[] {
    const rest = this.partial.get(key);
    this.partial.delete(key);
    return rest ? [stripCarriageReturns(rest)] : [];
  }
}

/** Progress bars redraw with \r: keep what the terminal would finally show. */
function stripCarriageReturns(line: string): string {
  const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
  const i = trimmed.lastIndexOf('\r');
  return i === -1 ? trimmed : trimmed.slice(i + 1);
}
