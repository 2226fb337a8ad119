// Word splitters of the Dockerfile parser, with BuildKit's semantics (parser/line_parsers.go):
// - splitWhitespace: plain split, no quotes (FROM, EXPOSE, COPY/ADD/VOLUME word form).
// - parseWords: split on whitespace outside quotes, KEEPING quotes and escapes (ENV, LABEL, ARG);
//   the shell expander removes them at dispatch.
// - extractFlags: leading `--name=value` words, quotes and escapes removed; `--` alone ends them.
// Each is a single left-to-right pass; the state is only "between words / in a word / in a quote".

import type { EscapeChar } from './types.js';

const WHITESPACE = /[\t\v\f\r ]+/;

export function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\v' || ch === '\f' ||
    ch === '\u0085' || ch === '\u00a0' || (ch >= '\u2000' && ch <= '\u200a') || ch === '\u1680' ||
    ch === '\u2028' || ch === '\u2029' || ch === '\u202f' || ch === '\u205f' || ch === '\u3000';
}

export function trimLeft(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s[i]!)) i++;
  return i === 0 ? s : s.slice(i);
}

export function splitWhitespace(rest: string): string[] {
  const t = rest.trim();
  return t === '' ? [] : t.split(WHITESPACE);
}

/** Split into at most two parts at the first run of whitespace. */
export function splitFirstWord(rest: string): [string, string] {
  const t = trimLeft(rest);
  const m = WHITESPACE.exec(t);
  if (m === null) return [t, ''];
  return [t.slice(0, m.index), t.slice(m.index + m[0].length)];
}

export function parseWords(rest: string, escape: EscapeChar): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  let blankOk = false;
  for (let pos = 0; pos < rest.length; pos++) {
    let ch = rest[pos]!;
    if (quote === '') {
      if (isSpace(ch)) {
        if (inWord && (blankOk || word !== '')) words.push(word);
        inWord = false; word = ''; blankOk = false;
        continue;
      }
      inWord = true;
      if (ch === '\'' || ch === '"') { quote = ch; blankOk = true; }
      if (ch === escape) {
        if (pos + 1 === rest.length) continue; // a trailing escape is dropped
        word += ch;
        ch = rest[++pos]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) quote = '';
    // Inside single quotes nothing can be escaped.
    if (ch === escape && quote !== '\'' && quote !== '') {
      if (pos + 1 === rest.length) { quote = ''; continue; }
      word += ch;
      ch = rest[++pos]!;
    }
    word += ch;
  }
  if (inWord && (blankOk || word !== '')) words.push(word);
  return words;
}

export interface FlagSplit {
  flags: string[];
  rest: string;
}

export function extractFlags(line: string): FlagSplit {
  const flags: string[] = [];
  let pos = 0;
  while (true) {
    while (pos < line.length && isSpace(line[pos]!)) pos++;
    if (pos >= line.length) return { flags, rest: '' };
    if (!line.startsWith('--', pos)) return { flags, rest: line.slice(pos) };
    let word = '';
    let blankOk = false;
    let quote = '';
    for (; pos < line.length; pos++) {
      let ch = line[pos]!;
      if (quote === '' && isSpace(ch)) break;
      if (quote === '' && (ch === '\'' || ch === '"')) { quote = ch; blankOk = true; continue; }
      if (quote !== '' && ch === quote) { quote = ''; continue; }
      if (ch === '\\') {
        if (pos + 1 === line.length) { quote = ''; continue; }
        ch = line[++pos]!;
      }
      word += ch;
    }
    if (word === '--') return { flags, rest: trimLeft(line.slice(pos)) };
    if (blankOk || word !== '') flags.push(word);
  }
}
