// How a failed build reads on a terminal, in BuildKit's shape: the Dockerfile lines around the
// failing instruction with a `>>>` marker, then the cause. The executor renders the excerpt when it
// wraps the error (it has the Dockerfile text); this only lays out what the error carries.
import type { SourceRange } from '../errors.js';

const CONTEXT_LINES = 2;

/** The lines of `range` with a marker and CONTEXT_LINES around them. */
export function renderExcerpt(text: string, range: SourceRange): string {
  const lines = text.split('\n');
  const first = Math.max(1, range.start.line - CONTEXT_LINES);
  const last = Math.min(lines.length, range.end.line + CONTEXT_LINES);
  const width = String(last).length;
  const out = [`${range.file}:${range.start.line === range.end.line ? range.start.line : `${range.start.line}-${range.end.line}`}`, '-'.repeat(20)];
  for (let n = first; n <= last; n++) {
    const mark = n >= range.start.line && n <= range.end.line ? '>>>' : '   ';
    out.push(` ${String(n).padStart(width)} | ${mark} ${lines[n - 1] ?? ''}`);
  }
  out.push('-'.repeat(20));
  return out.join('\n');
}

interface ReportableError {
  message: string;
  code?: string;
  hint?: string;
  location?: SourceRange;
  details?: Record<string, unknown>;
}

/**
 * The full report: the excerpt (when the error has one), the message, the last lines of a failed
 * step's output (when given), and the hint.
 */
export function formatErrorReport(err: ReportableError): string {
  const parts: string[] = [];
  const d = err.details ?? {};
  if (Array.isArray(d.logTail) && d.logTail.length > 0) {
    parts.push(['------', ` > ${String(d.step ?? '')}:`, ...(d.logTail as string[]), '------'].join('\n'));
  }
  if (typeof d.excerpt === 'string') parts.push(d.excerpt);
  else if (err.location) parts.push(`${err.location.file}:${err.location.start.line}:${err.location.start.column}`);
  parts.push(`ERROR: ${err.message}${err.code ? ` [${err.code}]` : ''}`);
  if (err.hint) parts.push(`hint: ${err.hint}`);
  return `${parts.join('\n')}\n`;
}
