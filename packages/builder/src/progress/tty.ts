// The tty renderer: a live view at the bottom of the terminal (running steps with a spinner, their
// last log lines, byte progress of long work) above which finished steps scroll away as one line
// each, like BuildKit's `--progress=tty`. Logs are not clipped: a failed step's whole output is kept
// in the store's log folder and its tail is printed here; the full stream is in `--progress=plain`.
import type { Writable } from 'node:stream';
import { LineSplitter, formatDuration, formatSize, formatStepTitle } from './format.js';
import { formatSummary } from './plain.js';
import type { ProgressEvent, ProgressSink, StepInfo } from './types.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TAIL_LINES = 6;
const FAILED_TAIL_LINES = 30;
const REDRAW_MS = 100;

interface Active {
  step: StepInfo;
  start: number;
  tail: string[];
  action?: { name: string; current: number; total?: number };
}

export function createTtyProgress(out: Writable & { columns?: number }): ProgressSink {
  const active = new Map<number, Active>();
  const lines = new LineSplitter();
  const buildStart = Date.now();
  let drawn = 0;
  let frame = 0;
  let done = 0;
  let timer: NodeJS.Timeout | undefined;

  const width = (): number => Math.max(40, out.columns || 100);
  const clip = (s: string): string => (s.length > width() - 1 ? `${s.slice(0, width() - 2)}…` : s);

  // Erases the live block, prints permanent lines above it, and draws it again.
  const redraw = (permanent: string[] = []): void => {
    let text = drawn > 0 ? `\x1b[${drawn}A\x1b[J` : '';
    for (const l of permanent) text += `${l}\n`;
    const live: string[] = [];
    if (active.size > 0) {
      live.push(`[+] Building ${formatDuration(Date.now() - buildStart)} (${done} done, ${active.size} running)`);
      for (const a of active.values()) {
        const spin = SPINNER[frame % SPINNER.length];
        const time = `  ${formatDuration(Date.now() - a.start)}`;
        const title = ` ${spin} ${formatStepTitle(a.step)}`;
        // Clip the title, never the time: the time is what shows the step is alive.
        const room = width() - 1 - time.length;
        live.push(`${title.length > room ? `${title.slice(0, room - 1)}…` : title}${time}`);
        if (a.action) {
          const { name, current, total } = a.action;
          live.push(clip(`   ${name} ${formatSize(current)}${total ? ` / ${formatSize(total)} ${bar(current / total)}` : ''}`));
        }
        for (const t of a.tail.slice(-TAIL_LINES)) live.push(clip(`   ${t}`));
      }
    }
    for (const l of live) text += `${l}\n`;
    drawn = live.length;
    out.write(text);
  };

  const ensureTimer = (): void => {
    if (timer || active.size === 0) return;
    timer = setInterval(() => {
      frame++;
      redraw();
      if (active.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    }, REDRAW_MS);
    timer.unref();
  };

  const finish = (id: number): Active | undefined => {
    const a = active.get(id);
    active.delete(id);
    done++;
    return a;
  };

  return {
    emit(e: ProgressEvent): void {
      switch (e.type) {
        case 'build-start':
          break;
        case 'step-start':
          active.set(e.step.id, { step: e.step, start: e.time, tail: [] });
          ensureTimer();
          redraw();
          break;
        case 'step-cached':
          done++;
          redraw([` => CACHED ${formatStepTitle(e.step)}`]);
          break;
        case 'step-log': {
          const a = active.get(e.step.id);
          if (!a) break;
          a.tail.push(...lines.push(`${e.step.id}:${e.stream}`, e.data));
          // The failed-step report needs more than the live view shows.
          if (a.tail.length > FAILED_TAIL_LINES) a.tail.splice(0, a.tail.length - FAILED_TAIL_LINES);
          break;
        }
        case 'step-note':
          redraw([` => ${formatStepTitle(e.step)}: ${e.message}`]);
          break;
        case 'step-progress': {
          const a = active.get(e.step.id);
          if (a) a.action = { name: e.action, current: e.current, total: e.total };
          break;
        }
        case 'step-done': {
          const a = finish(e.step.id);
          const size = e.sizeBytes !== undefined ? ` ${formatSize(e.sizeBytes)}` : '';
          redraw([` => ${formatStepTitle(a?.step ?? e.step)}  ${formatDuration(e.durationMs)}${size}`]);
          break;
        }
        case 'step-error': {
          const a = finish(e.step.id);
          const tail = a ? [...a.tail, ...lines.flush(`${e.step.id}:stdout`), ...lines.flush(`${e.step.id}:stderr`)] : [];
          redraw([
            ` => ERROR ${formatStepTitle(e.step)}  ${formatDuration(e.durationMs)}`,
            '------',
            ` > [${e.step.label}] ${e.step.text}:`,
            ...tail.slice(-FAILED_TAIL_LINES),
            '------',
            `ERROR: ${e.message}`,
          ]);
          break;
        }
        case 'warning':
          redraw([`WARNING: ${e.message}${e.line !== undefined ? ` (${e.file ?? 'Dockerfile'}:${e.line})` : ''}`]);
          break;
        case 'build-done':
          redraw([formatSummary(e).trimEnd()]);
          break;
        case 'build-error':
          redraw();
          break;
      }
    },
    async close(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      active.clear();
      redraw();
    },
  };
}

function bar(fraction: number): string {
  const n = 20;
  const filled = Math.max(0, Math.min(n, Math.round(fraction * n)));
  return `[${'='.repeat(filled)}${' '.repeat(n - filled)}]`;
}
