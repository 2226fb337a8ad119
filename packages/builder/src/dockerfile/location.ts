// Source ranges for nodes and errors. Columns are 1-based; an end column points just past the last
// character of the end line, so a continued instruction reports all its lines.

import type { SourceRange } from '../errors.js';

export function rangeOfLines(file: string, lines: readonly string[], startLine: number, endLine: number): SourceRange {
  const last = lines[endLine - 1] ?? '';
  return { file, start: { line: startLine, column: 1 }, end: { line: endLine, column: last.length + 1 } };
}

/** Narrow a node's range to the first occurrence of `needle` (a flag, a word), when it can be found. */
export function rangeOfText(range: SourceRange, lines: readonly string[], needle: string): SourceRange {
  if (needle === '') return range;
  for (let line = range.start.line; line <= range.end.line; line++) {
    const col = (lines[line - 1] ?? '').indexOf(needle);
    if (col >= 0) {
      return { file: range.file, start: { line, column: col + 1 }, end: { line, column: col + 1 + needle.length } };
    }
  }
  return range;
}
