// The one place errors become text for people: code, cause, the Dockerfile lines with a marker, a hint.
import { readFileSync, statSync } from 'node:fs';
import { EXIT, TsbuildError, type SourceRange } from '../errors.js';

const MAX_SOURCE_BYTES = 16 * 1024 * 1024;
const CONTEXT_LINES = 2;

interface CodedError {
  code?: unknown;
  message: string;
  exitCode?: unknown;
  location?: SourceRange;
  hint?: unknown;
}

/** Writes the error to `out` and returns the exit code it calls for. */
export function reportError(err: unknown, out: NodeJS.WritableStream, debug = false): number {
  if (!(err instanceof Error)) {
    out.write(`tsbuild: internal error: ${String(err)}\n`);
    return EXIT.internal;
  }
  const e = err as Error & CodedError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const known = err instanceof TsbuildError || (code !== undefined && /^[A-Z][A-Z0-9_]+$/.test(code));
  if (!known || code === 'EINTERNAL') {
    out.write(`tsbuild: internal error${code ? ` [${code}]` : ''}: ${e.message}\n`);
    out.write('This is a bug in tsbuild: please report it with the command line and the output above.\n');
    if (e.stack) out.write(`${e.stack}\n`);
    return EXIT.internal;
  }
  const where = e.location ? `${e.location.file}:${e.location.start.line}:${e.location.start.column}: ` : '';
  out.write(`error: ${where}${e.message} [${code}]\n`);
  if (e.location) out.write(renderExcerpt(e.location));
  if (typeof e.hint === 'string' && e.hint) out.write(`hint: ${e.hint}\n`);
  if (debug && e.stack) out.write(`${e.stack}\n`);
  if (e.cause instanceof Error && debug) out.write(`caused by: ${e.cause.message}\n`);
  return typeof e.exitCode === 'number' ? e.exitCode : EXIT.buildFailed;
}

/** The offending lines (with a little context) of a Dockerfile range, numbered, marked with '>'. */
export function renderExcerpt(loc: SourceRange, text?: string): string {
  const source = text ?? readSourceQuietly(loc.file);
  if (source === undefined) return '';
  const lines = source.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const from = Math.max(1, loc.start.line - CONTEXT_LINES);
  const to = Math.min(lines.length, Math.max(loc.end.line, loc.start.line) + CONTEXT_LINES);
  const width = String(to).length;
  let s = '';
  for (let n = from; n <= to; n++) {
    const inside = n >= loc.start.line && n <= Math.max(loc.end.line, loc.start.line);
    s += `${inside ? ' >>> ' : '     '}${String(n).padStart(width)} | ${lines[n - 1] ?? ''}\n`;
  }
  return s;
}

function readSourceQuietly(file: string): string | undefined {
  try {
    if (statSync(file).size > MAX_SOURCE_BYTES) return undefined;
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
