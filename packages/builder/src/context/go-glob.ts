// Go's path/filepath.Match on Linux, which BuildKit (fsutil) uses for COPY wildcards: `*` is any run of
// non-`/` characters, `?` one non-`/` character, `[...]` a class (`^` negates, `a-z` ranges, `\`
// escapes; `-` and `]` must be escaped), `\c` the character c. A malformed pattern is ErrBadPattern.
// Same algorithm as Go (one chunk at a time, leftmost fit), over code points.

const SEP = 0x2f;

export class BadPatternError extends Error {}

/** Whether a path component has an unescaped `*`, `?` or `[` (fsutil containsWildcards). */
export function containsWildcards(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

function codePoints(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) out.push(ch.codePointAt(0)!);
  return out;
}

/** Reports whether `name` matches `pattern`; throws BadPatternError for a malformed pattern. */
export function goMatch(pattern: string, name: string): boolean {
  let pat = codePoints(pattern);
  let s = codePoints(name);
  outer: while (pat.length > 0) {
    const { star, chunk, rest } = scanChunk(pat);
    pat = rest;
    if (star && chunk.length === 0) return !s.includes(SEP);
    const t = matchChunk(chunk, s);
    if (t !== undefined && (t.length === 0 || pat.length > 0)) {
      s = t;
      continue;
    }
    if (star) {
      for (let i = 0; i < s.length && s[i] !== SEP; i++) {
        const t2 = matchChunk(chunk, s.slice(i + 1));
        if (t2 === undefined) continue;
        if (pat.length === 0 && t2.length > 0) continue;
        s = t2;
        continue outer;
      }
    }
    // Like Go, report a malformed remainder even when the match already failed.
    while (pat.length > 0) {
      const next = scanChunk(pat);
      pat = next.rest;
      matchChunk(next.chunk, []);
    }
    return false;
  }
  return s.length === 0;
}

function scanChunk(pattern: number[]): { star: boolean; chunk: number[]; rest: number[] } {
  let start = 0;
  let star = false;
  while (start < pattern.length && pattern[start] === 0x2a) {
    start++;
    star = true;
  }
  let inRange = false;
  let i = start;
  scan: for (; i < pattern.length; i++) {
    switch (pattern[i]) {
      case 0x5c:
        if (i + 1 < pattern.length) i++;
        break;
      case 0x5b:
        inRange = true;
        break;
      case 0x5d:
        inRange = false;
        break;
      case 0x2a:
        if (!inRange) break scan;
        break;
    }
  }
  return { star, chunk: pattern.slice(start, i), rest: pattern.slice(i) };
}

/** Matches one chunk at the start of s: the rest of s, or undefined. Throws on a malformed chunk. */
function matchChunk(chunk: number[], input: number[]): number[] | undefined {
  let failed = false;
  let si = 0;
  let ci = 0;
  while (ci < chunk.length) {
    if (!failed && si >= input.length) failed = true;
    const c = chunk[ci]!;
    if (c === 0x5b) {
      let r = -1;
      if (!failed) r = input[si++]!;
      ci++;
      let negated = false;
      if (chunk[ci] === 0x5e) {
        negated = true;
        ci++;
      }
      let matched = false;
      for (let ranges = 0; ; ranges++) {
        if (chunk[ci] === 0x5d && ranges > 0) {
          ci++;
          break;
        }
        const lo = readEscaped(chunk, ci);
        ci = lo.next;
        let hi = lo.value;
        if (chunk[ci] === 0x2d) {
          const h = readEscaped(chunk, ci + 1);
          ci = h.next;
          hi = h.value;
        }
        if (lo.value <= r && r <= hi) matched = true;
      }
      if (matched === negated) failed = true;
      continue;
    }
    if (c === 0x3f) {
      if (!failed) {
        if (input[si] === SEP) failed = true;
        si++;
      }
      ci++;
      continue;
    }
    let lit = c;
    if (c === 0x5c) {
      ci++;
      if (ci >= chunk.length) throw new BadPatternError('trailing backslash');
      lit = chunk[ci]!;
    }
    if (!failed) {
      if (lit !== input[si]) failed = true;
      si++;
    }
    ci++;
  }
  return failed ? undefined : input.slice(si);
}

/** One class character (Go getEsc): `-` and `]` must be escaped, and the class must go on after it. */
function readEscaped(chunk: number[], at: number): { value: number; next: number } {
  let i = at;
  const c = chunk[i];
  if (c === undefined || c === 0x2d || c === 0x5d) throw new BadPatternError('bad character class');
  if (c === 0x5c) {
    i++;
    if (i >= chunk.length) throw new BadPatternError('bad character class');
  }
  const value = chunk[i]!;
  i++;
  if (i >= chunk.length) throw new BadPatternError('unterminated character class');
  return { value, next: i };
}
