// Wildcards in COPY/ADD sources, with Go's filepath.Match semantics (what BuildKit's fsutil uses):
// `*` and `?` never match `/`, `[...]` classes with ranges and `^`/`!` negation, `\` escapes the next
// character. A pattern is matched one path component at a time.

/** True when the component has an unescaped `*`, `?` or `[`. */
export function hasWildcard(component: string): boolean {
  for (let i = 0; i < component.length; i++) {
    const ch = component[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}

function escapeRe(ch: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(ch) ? '\\' + ch : ch;
}

/** Compiles one path component's pattern. Returns undefined for a malformed pattern (Go: ErrBadPattern). */
export function compileComponent(pattern: string): RegExp | undefined {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\') {
      if (i + 1 >= pattern.length) return undefined;
      re += escapeRe(pattern[++i]);
    } else if (ch === '[') {
      const end = classEnd(pattern, i + 1);
      if (end < 0) return undefined;
      let body = pattern.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('^') || body.startsWith('!')) {
        negate = true;
        body = body.slice(1);
      }
      if (body === '') return undefined;
      let cls = '';
      for (let j = 0; j < body.length; j++) {
        let c = body[j];
        if (c === '\\') c = body[++j] ?? '';
        if (c === '') return undefined;
        cls += escapeRe(c);
        if (body[j + 1] === '-' && j + 2 < body.length) {
          let hi = body[j + 2];
          j += 2;
          if (hi === '\\') hi = body[++j] ?? '';
          if (hi === '' || hi < c) return undefined;
          cls += '-' + escapeRe(hi);
        }
      }
      re += negate ? `[^/${cls}]` : `[${cls}]`;
      i = end;
    } else re += escapeRe(ch);
  }
  return new RegExp(re + '$', 's');
}

/** Index of the `]` closing a class that starts at `from`, honouring escapes; -1 when unclosed. */
function classEnd(p: string, from: number): number {
  let j = from;
  if (p[j] === '^' || p[j] === '!') j++;
  for (; j < p.length; j++) {
    if (p[j] === '\\') j++;
    else if (p[j] === ']' && j > from) return j;
  }
  return -1;
}

/** Removes the escapes of a component without wildcards ("a\\*b" names the file "a*b"). */
export function unescapeComponent(component: string): string {
  return component.replace(/\\(.)/gs, '$1');
}
