// Dockerfile text → AST (BuildKit parser.Parse semantics).
//
// State machine over physical lines (never recursive, so 10^5 continuation lines cost no stack):
//   DIRECTIVES → a line that is a known `# key=value` is recorded; any other line switches to BODY
//                and is handled below.
//   BODY       → comment lines are collected; blank lines skipped; anything else starts an
//                instruction:
//   CONTINUED  → while the line ends with the escape char (+ blanks): comment lines are dropped,
//                blank lines are dropped with a NoEmptyContinuation warning, other lines appended.
//   HEREDOC    → after a RUN/COPY/ADD line with `<<` markers, each marker's body is read up to its
//                terminator line; EOF first is an error naming the instruction's line.
// Lines end at \n; a \r before it is dropped (a lone \r is not a line break, as in BuildKit).

import { DockerfileError } from '../errors.js';
import { defaultDirectives, readDirective } from './directives.js';
import { chompContent, findHeredocMarkers, type HeredocMarker } from './heredoc.js';
import { HEREDOC_KEYWORDS } from './keywords.js';
import { LIMITS } from './limits.js';
import { rangeOfLines } from './location.js';
import { buildNode } from './node.js';
import type { AstNode, Heredoc, ParseResult, Warning } from './types.js';
import { isSpace, trimLeft } from './words.js';

const UTF8_BOM = '\ufeff';

/** Decode bytes (or take a string), enforce the size cap, split into physical lines. */
export function toLines(input: string | Uint8Array, file: string): string[] {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (size > LIMITS.maxFileBytes) {
    throw new DockerfileError('DF_TOO_LARGE', `${file} is ${size} bytes; the limit is ${LIMITS.maxFileBytes}`, {
      location: { file, start: { line: 1, column: 1 }, end: { line: 1, column: 1 } },
      details: { size, limit: LIMITS.maxFileBytes },
    });
  }
  let text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(input);
  if (text.startsWith(UTF8_BOM)) text = text.slice(1);
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
  }
  return lines;
}

function isComment(line: string): boolean {
  return trimLeft(line).startsWith('#');
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) if (!isSpace(line[i]!)) return false;
  return true;
}

/** Strip a trailing escape char (and blanks after it); `continued` tells whether there was one. */
function trimContinuation(line: string, escape: string): { text: string; continued: boolean } {
  let i = line.length;
  while (i > 0 && (line[i - 1] === ' ' || line[i - 1] === '\t')) i--;
  if (i > 0 && line[i - 1] === escape) return { text: line.slice(0, i - 1), continued: true };
  return { text: line, continued: false };
}

/** RUN, COPY, ADD (and ONBUILD of one of them) outside JSON form (BuildKit canContainHeredoc). */
function canContainHeredoc(node: AstNode): boolean {
  const target = node.keyword === 'onbuild' && node.trigger !== undefined ? node.trigger : node;
  return HEREDOC_KEYWORDS.has(target.keyword) && !target.json;
}

export function parse(input: string | Uint8Array, file: string): ParseResult {
  const lines = toLines(input, file);
  const directives = defaultDirectives();
  const nodes: AstNode[] = [];
  const warnings: Warning[] = [];
  let inDirectives = true;
  let comments: string[] = [];
  let heredocCount = 0;
  let instructionCount = 0;
  let pairCount = 0;

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (inDirectives) {
      if (readDirective(directives, raw, rangeOfLines(file, lines, i + 1, i + 1))) continue;
      inDirectives = false;
    }
    if (isComment(raw)) {
      const c = trimLeft(raw).slice(1).trim();
      if (c === '') comments = [];
      else comments.push(c);
      continue;
    }
    if (isBlank(raw)) continue;

    const startLine = i + 1;
    let { text: line, continued } = trimContinuation(trimLeft(raw), directives.escape);
    let emptyContinuation = false;
    while (continued && i + 1 < lines.length) {
      const next = lines[++i]!;
      if (isComment(next)) continue;
      if (isBlank(next)) { emptyContinuation = true; continue; }
      const t = trimContinuation(next, directives.escape);
      line += t.text;
      continued = t.continued;
      if (line.length > LIMITS.maxLineLength) break;
    }
    if (line.length > LIMITS.maxLineLength) {
      throw new DockerfileError('DF_LINE_TOO_LONG', `instruction at line ${startLine} is longer than ${LIMITS.maxLineLength} characters`, {
        location: rangeOfLines(file, lines, startLine, i + 1),
      });
    }
    if (isBlank(line)) { comments = []; continue; }
    if (++instructionCount > LIMITS.maxInstructions) {
      throw new DockerfileError('DF_TOO_MANY_INSTRUCTIONS', `more than ${LIMITS.maxInstructions} instructions`, {
        location: rangeOfLines(file, lines, startLine, i + 1),
      });
    }

    const location = rangeOfLines(file, lines, startLine, i + 1);
    const node = buildNode(line, { escape: directives.escape, location, comments });
    comments = [];
    pairCount += node.pairs?.length ?? (node.keyword === 'arg' ? node.args.length : 0);
    if (pairCount > LIMITS.maxKeyValuePairs) {
      throw new DockerfileError('DF_TOO_MANY_PAIRS', `more than ${LIMITS.maxKeyValuePairs} ENV/LABEL/ARG key-value pairs`, { location });
    }
    if (emptyContinuation) {
      warnings.push({
        rule: 'NoEmptyContinuation',
        message: 'Empty continuation lines will become errors in a future release',
        location,
        url: 'https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/',
      });
    }
    if (canContainHeredoc(node)) {
      const markers = findHeredocMarkers(line);
      heredocCount += markers.length;
      if (heredocCount > LIMITS.maxHeredocs) {
        throw new DockerfileError('DF_TOO_MANY_HEREDOCS', `more than ${LIMITS.maxHeredocs} heredocs`, { location });
      }
      for (const marker of markers) {
        const { heredoc, lastLine } = readHeredoc(lines, i + 1, marker, file, startLine);
        node.heredocs.push(heredoc);
        // ONBUILD RUN <<EOF: the trigger owns the heredoc too, so it parses like a top-level RUN.
        node.trigger?.heredocs.push(heredoc);
        i = lastLine - 1;
      }
      if (markers.length > 0) node.location = rangeOfLines(file, lines, startLine, i + 1);
    }
    nodes.push(node);
  }
  return { file, directives, nodes, warnings, lines };
}

/** Read a heredoc body starting at 0-based line `from`; returns the 1-based terminator line. */
function readHeredoc(lines: readonly string[], from: number, marker: HeredocMarker, file: string, startLine: number): { heredoc: Heredoc; lastLine: number } {
  const body: string[] = [];
  for (let j = from; j < lines.length; j++) {
    const l = lines[j]!;
    const candidate = marker.chomp ? l.replace(/^\t+/, '') : l;
    if (candidate === marker.name) {
      let content = body.length === 0 ? '' : body.join('\n') + '\n';
      if (marker.chomp) content = chompContent(content);
      const heredoc: Heredoc = {
        name: marker.name,
        content,
        expand: marker.expand,
        chomp: marker.chomp,
        location: rangeOfLines(file, lines, Math.min(from + 1, j + 1), j + 1),
      };
      if (marker.fd !== undefined) heredoc.fd = marker.fd;
      return { heredoc, lastLine: j + 1 };
    }
    body.push(l);
  }
  throw new DockerfileError('DF_HEREDOC_UNTERMINATED', `unterminated heredoc <<${marker.name} opened at line ${startLine}`, {
    location: rangeOfLines(file, lines, startLine, Math.max(startLine, lines.length)),
    details: { delimiter: marker.name },
  });
}
