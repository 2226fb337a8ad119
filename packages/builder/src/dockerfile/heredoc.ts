// Here-document markers on RUN/COPY/ADD lines (`<<EOF`, `<<-EOF`, `3<<"EOF"`), as BuildKit's
// heredocsFromLine: the line is split into raw words (quotes and backslash escapes kept), and a
// word of the form `[fd]<<[-]delimiter` opens a heredoc. A delimiter with any quoted part turns
// expansion of the body off. The body lines themselves are read by the parser (parser.ts).

import { isSpace } from './words.js';

export interface HeredocMarker {
  name: string;
  expand: boolean;
  chomp: boolean;
  fd?: number;
}

/** Split like a POSIX shell would, but keep quotes and escapes (BuildKit RawQuotes+RawEscapes). */
function rawWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote === '' && isSpace(ch)) {
      if (inWord) words.push(word);
      word = ''; inWord = false;
      continue;
    }
    inWord = true;
    word += ch;
    if (quote === '') {
      if (ch === '\'' || ch === '"') quote = ch;
      else if (ch === '\\' && i + 1 < line.length) word += line[++i];
      else if (ch === '<' && line[i + 1] === '<') {
        // BuildKit's lexer keeps blanks after `<<` in the word, so `<<  EOF` is one marker.
        word += line[++i];
        while (i + 1 < line.length && (line[i + 1] === ' ' || line[i + 1] === '\t')) word += line[++i];
      }
    } else if (ch === quote) {
      quote = '';
    } else if (ch === '\\' && quote === '"' && i + 1 < line.length) {
      word += line[++i];
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Remove quotes and escapes from a delimiter word; undefined if it is not one single word. */
function unquote(word: string): string | undefined {
  let out = '';
  let quote = '';
  for (let i = 0; i < word.length; i++) {
    const ch = word[i]!;
    if (quote === '') {
      if (ch === '\'' || ch === '"') { quote = ch; continue; }
      if (ch === '\\') { if (i + 1 < word.length) out += word[++i]; continue; }
      if (isSpace(ch)) return undefined;
      out += ch;
    } else if (ch === quote) {
      quote = '';
    } else if (ch === '\\' && quote === '"' && i + 1 < word.length) {
      out += word[++i];
    } else {
      out += ch;
    }
  }
  return out;
}

function countQuotes(s: string): number {
  let n = 0;
  for (const ch of s) if (ch === '\'' || ch === '"') n++;
  return n;
}

/** Parse one raw word as a heredoc marker; undefined when it is not one. */
export function parseHeredocMarker(word: string): HeredocMarker | undefined {
  let i = 0;
  while (i < word.length && word[i]! >= '0' && word[i]! <= '9') i++;
  if (!word.startsWith('<<', i)) return undefined;
  const fdText = word.slice(0, i);
  let j = i + 2;
  const chomp = word[j] === '-';
  if (chomp) j++;
  while (word[j] === ' ' || word[j] === '\t') j++;
  const rest = word.slice(j);
  if (rest === '' || rest.includes('<')) return undefined;
  const name = unquote(rest);
  if (name === undefined || name === '') return undefined;
  const expand = countQuotes(name) === countQuotes(rest);
  const marker: HeredocMarker = { name, expand, chomp };
  if (fdText !== '') marker.fd = Number(fdText);
  return marker;
}

export function findHeredocMarkers(line: string): HeredocMarker[] {
  if (!line.includes('<<')) return [];
  const markers: HeredocMarker[] = [];
  for (const w of rawWords(line)) {
    const m = parseHeredocMarker(w);
    if (m !== undefined) markers.push(m);
  }
  return markers;
}

/** `<<-`: strip leading tabs from every body line. */
export function chompContent(content: string): string {
  return content.replace(/^\t+/gm, '');
}
