// Parser directives (`# syntax=`, `# escape=`, `# check=`) at the top of the file.
// State machine: the reader stays in "directives" until the first line that is not a known
// directive (an instruction, a blank line, a plain comment or an unknown `# key=value`), then never
// returns. A known directive given twice is an error, as in BuildKit.

import { DockerfileError, type SourceRange } from '../errors.js';
import type { CheckConfig, Directive, Directives, EscapeChar } from './types.js';

// Only the head is matched by a regex; the value is trimmed by hand (a lazy `(.+?)\s*$` is
// quadratic on a long run of blanks).
const DIRECTIVE_HEAD = /^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=/;
const KNOWN = new Set(['syntax', 'escape', 'check']);

export function defaultDirectives(): Directives {
  return { escape: '\\', check: { skip: [], error: false }, list: [] };
}

/**
 * Read one line while still in the directive block. Returns false when the line ends the block
 * (the caller then parses it as an ordinary line).
 */
export function readDirective(d: Directives, line: string, location: SourceRange): boolean {
  const text = line.trimStart();
  const m = DIRECTIVE_HEAD.exec(text);
  if (m === null) return false;
  const name = m[1]!.toLowerCase();
  if (!KNOWN.has(name)) return false;
  const raw = text.slice(m[0].length);
  if (raw === '') return false; // BuildKit needs at least one character after '='
  const value = trimBlanks(raw);
  if (d.list.some((x) => x.name === name)) {
    throw new DockerfileError('DF_DIRECTIVE_DUPLICATE', `only one ${name} parser directive can be used`, { location });
  }
  const directive: Directive = { name, value, line: location.start.line };
  d.list.push(directive);
  if (name === 'syntax') d.syntax = value;
  else if (name === 'escape') d.escape = parseEscape(value, location);
  else d.check = parseCheck(value, location);
  return true;
}

function trimBlanks(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s[a] === ' ' || s[a] === '\t')) a++;
  while (b > a && (s[b - 1] === ' ' || s[b - 1] === '\t')) b--;
  return s.slice(a, b);
}

function parseEscape(value: string, location: SourceRange): EscapeChar {
  if (value === '\\' || value === '`') return value;
  throw new DockerfileError('DF_DIRECTIVE_INVALID', `invalid escape directive '${value}': must be \` or \\`, { location });
}

/** `skip=A,B;error=true` (BuildKit linter.ParseCheckDirective). */
export function parseCheck(value: string, location: SourceRange): CheckConfig {
  const config: { skip: string[] | 'all'; error: boolean } = { skip: [], error: false };
  if (value.trim() === '') {
    throw new DockerfileError('DF_DIRECTIVE_INVALID', 'empty check directive: expected skip=<rules> and/or error=<bool>', { location });
  }
  for (const part of value.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq < 0) throw invalidCheck(value, location);
    const key = p.slice(0, eq).trim().toLowerCase();
    const v = p.slice(eq + 1).trim();
    if (key === 'skip') {
      const rules = v.split(',').map((r) => r.trim()).filter((r) => r !== '');
      config.skip = rules.some((r) => r.toLowerCase() === 'all') ? 'all' : rules;
    } else if (key === 'error') {
      const b = v.toLowerCase();
      if (b !== 'true' && b !== 'false') throw invalidCheck(value, location);
      config.error = b === 'true';
    } else {
      throw invalidCheck(value, location);
    }
  }
  return config;
}

function invalidCheck(value: string, location: SourceRange): DockerfileError {
  return new DockerfileError('DF_DIRECTIVE_INVALID', `invalid check directive '${value}': expected skip=<rules>;error=<bool>`, { location });
}
