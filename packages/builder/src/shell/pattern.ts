// Shell patterns for `${V#p}`, `${V##p}`, `${V%p}`, `${V%%p}`, `${V/p/r}` and `${V//p/r}`, with the
// results BuildKit gets by turning the pattern into a Go regexp (`*` → `.*` or `.*?`, `?` → `.`, no
// bracket expressions, `\` escapes only `*`, `?`, `\`, and is dropped before `}` and `/`).
//
// We do not build a JS RegExp: a backtracking engine takes exponential time on patterns like `*a*a*a*b`,
// where Go's engine is linear. Instead a small Pike VM (threads in priority order, one pass over the text)
// reproduces Go's leftmost-first semantics in O(text × pattern), and every step is charged to a budget.
// Like Go's `.`, a wildcard never matches a newline; text is handled as code points, like Go's runes.
import { ExpansionError } from './types.js';

const STAR = -2;
const ANY = -1;
const NEWLINE = 0x0a;
const BACKSLASH = 0x5c;

/** Work allowed for all pattern operations of one expansion; exceeding it is EXPAND_TOO_LARGE. */
export class StepBudget {
  constructor(private remaining: number) {}
  charge(steps: number): void {
    this.remaining -= steps;
    if (this.remaining < 0) {
      throw new ExpansionError('EXPAND_TOO_LARGE', 'pattern substitution needs too much work (text × pattern too large)');
    }
  }
}

/** A string as code points, with the UTF-16 offset of each so slices come from the original string. */
interface CodePoints {
  codes: Int32Array;
  /** offsets[i] is the UTF-16 index of code point i; offsets[length] is the string's length. */
  offsets: Int32Array;
  length: number;
}

function toCodePoints(text: string): CodePoints {
  const codes = new Int32Array(text.length);
  const offsets = new Int32Array(text.length + 1);
  let n = 0;
  for (let i = 0; i < text.length; n++) {
    const c = text.codePointAt(i)!;
    codes[n] = c;
    offsets[n] = i;
    i += c > 0xffff ? 2 : 1;
  }
  offsets[n] = text.length;
  return { codes, offsets, length: n };
}

function reverseString(text: string): string {
  return Array.from(text).reverse().join('');
}

/** Tokens: a code point ≥ 0 is a literal, ANY is `?`, STAR is `*` (runs of stars collapse to one). */
function compilePattern(pattern: ArrayLike<number>): number[] {
  const tokens: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    let c = pattern[i]!;
    if (c === 0x2a) {
      if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR);
      continue;
    }
    if (c === 0x3f) {
      tokens.push(ANY);
      continue;
    }
    if (c === BACKSLASH) {
      const next = pattern[i + 1];
      // `\}` and `\/` had to be escaped to get past the `${...}` syntax; the escape is not part of the pattern.
      if (next === 0x7d || next === 0x2f) continue;
      if (next !== 0x2a && next !== 0x3f && next !== BACKSLASH) {
        const shown = next === undefined ? 'end of pattern' : String.fromCodePoint(next);
        throw new ExpansionError('EXPAND_SYNTAX', `invalid pattern: bad escape before ${shown}`);
      }
      c = next;
      i++;
    }
    tokens.push(c);
  }
  return tokens;
}

/** BuildKit reverses a pattern for suffix matching keeping each `\x` pair in order (`a\*c` → `c\*a`). */
function reversePattern(pattern: ArrayLike<number>): number[] {
  const out = new Array<number>(pattern.length);
  const last = pattern.length - 1;
  for (let i = 0; i <= last;) {
    if (pattern[i] === BACKSLASH && i !== last) {
      out[last - i - 1] = BACKSLASH;
      out[last - i] = pattern[i + 1]!;
      i += 2;
    } else {
      out[last - i] = pattern[i]!;
      i++;
    }
  }
  return out;
}

interface ThreadList {
  states: Int32Array;
  starts: Int32Array;
  count: number;
  gen: number;
}

/**
 * A Pike VM for one compiled pattern: leftmost-first search, the match Go's regexp would report.
 * Greedy stars prefer to consume, lazy ones to stop. Buffers are allocated once and reused by every
 * search, since `${V//p/r}` searches once per match.
 */
class PatternMatcher {
  private readonly marks: Int32Array;
  private clist: ThreadList;
  private nlist: ThreadList;
  private gen = 0;

  constructor(private readonly tokens: number[], private readonly greedy: boolean, private readonly budget: StepBudget) {
    this.marks = new Int32Array(tokens.length + 1).fill(-1);
    this.clist = newList(tokens.length + 1);
    this.nlist = newList(tokens.length + 1);
  }

  /** Returns [start, end] in code points, or undefined. */
  search(text: Int32Array, length: number, from: number, anchored: boolean): [number, number] | undefined {
    const m = this.tokens.length;
    let matchStart = -1;
    let matchEnd = -1;
    this.clist.count = 0;
    this.clist.gen = ++this.gen;
    for (let p = from; p <= length; p++) {
      if (matchStart < 0 && (!anchored || p === from)) this.addThread(this.clist, 0, p);
      const clist = this.clist;
      if (clist.count === 0) {
        if (matchStart >= 0 || anchored) break;
        continue;
      }
      this.budget.charge(clist.count);
      const c = p < length ? text[p]! : -1;
      const nlist = this.nlist;
      nlist.count = 0;
      nlist.gen = ++this.gen;
      for (let t = 0; t < clist.count; t++) {
        const state = clist.states[t]!;
        if (state === m) {
          // A match: every thread after this one has lower priority and is dropped.
          matchStart = clist.starts[t]!;
          matchEnd = p;
          break;
        }
        if (c < 0) continue;
        const tok = this.tokens[state]!;
        if (tok === STAR) {
          if (c !== NEWLINE) this.addThread(nlist, state, clist.starts[t]!);
        } else if (tok === ANY ? c !== NEWLINE : tok === c) {
          this.addThread(nlist, state + 1, clist.starts[t]!);
        }
      }
      this.clist = nlist;
      this.nlist = clist;
    }
    return matchStart >= 0 ? [matchStart, matchEnd] : undefined;
  }

  /**
   * Adds a thread and its epsilon closure in priority order. A star state stands for "may consume one
   * more character"; its alternative is to move on to the next token (never a star: runs are collapsed).
   */
  private addThread(list: ThreadList, state: number, start: number): void {
    const marks = this.marks;
    if (marks[state] === list.gen) return;
    marks[state] = list.gen;
    if (state < this.tokens.length && this.tokens[state] === STAR) {
      const skip = state + 1;
      if (this.greedy) push(list, state, start);
      if (marks[skip] !== list.gen) {
        marks[skip] = list.gen;
        push(list, skip, start);
      }
      if (!this.greedy) push(list, state, start);
      return;
    }
    push(list, state, start);
  }
}

function newList(size: number): ThreadList {
  return { states: new Int32Array(size), starts: new Int32Array(size), count: 0, gen: 0 };
}

function push(list: ThreadList, state: number, start: number): void {
  list.states[list.count] = state;
  list.starts[list.count] = start;
  list.count++;
}

/** `${V#p}` (shortest) and `${V##p}` (longest): remove the matching prefix of value. */
export function trimPrefix(pattern: string, value: string, longest: boolean, budget: StepBudget): string {
  const tokens = tokenize(pattern, false);
  budget.charge(value.length);
  const text = toCodePoints(value);
  const found = new PatternMatcher(tokens, longest, budget).search(text.codes, text.length, 0, true);
  return found === undefined ? value : value.slice(text.offsets[found[1]]);
}

/** `${V%p}` (shortest) and `${V%%p}` (longest): remove the matching suffix, by matching a prefix in reverse. */
export function trimSuffix(pattern: string, value: string, longest: boolean, budget: StepBudget): string {
  const tokens = tokenize(pattern, true);
  budget.charge(value.length);
  const text = toCodePoints(reverseString(value));
  const found = new PatternMatcher(tokens, longest, budget).search(text.codes, text.length, 0, true);
  if (found === undefined) return value;
  // found[1] code points were removed from the end; the original keeps the rest.
  return value.slice(0, value.length - text.offsets[found[1]]!);
}

function tokenize(pattern: string, reversed: boolean): number[] {
  const { codes, length } = toCodePoints(pattern);
  const chars = codes.subarray(0, length);
  return compilePattern(reversed ? reversePattern(chars) : chars);
}

/**
 * `${V/p/r}` and `${V//p/r}`. The first form splices `r` in literally; the second uses Go's
 * ReplaceAllString, whose replacement is a template (`$0`/`${0}` is the match, `$$` a dollar, other
 * `$name` references are empty), and which never replaces an empty match right after a previous match.
 * `appendOut` receives the pieces so the caller can enforce the output cap as the result grows.
 */
export function replacePattern(pattern: string, replacement: string, value: string, all: boolean,
  budget: StepBudget, appendOut: (piece: string) => void): void {
  const matcher = new PatternMatcher(tokenize(pattern, false), true, budget);
  budget.charge(value.length);
  const text = toCodePoints(value);
  const at = (i: number): number => text.offsets[i]!;
  if (!all) {
    const found = matcher.search(text.codes, text.length, 0, false);
    if (found === undefined) return appendOut(value);
    appendOut(value.slice(0, at(found[0])));
    appendOut(replacement);
    return appendOut(value.slice(at(found[1])));
  }
  let lastEnd = 0;
  let searchPos = 0;
  while (searchPos <= text.length) {
    const found = matcher.search(text.codes, text.length, searchPos, false);
    if (found === undefined) break;
    const [start, end] = found;
    if (start > lastEnd) appendOut(value.slice(at(lastEnd), at(start)));
    if (end > lastEnd || start === 0) appendOut(expandTemplate(replacement, value.slice(at(start), at(end))));
    lastEnd = end;
    searchPos = searchPos + 1 > end ? searchPos + 1 : end;
  }
  appendOut(value.slice(at(lastEnd)));
}

const TEMPLATE_NAME = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u;

/** Go's Regexp.Expand for a pattern without capture groups. */
function expandTemplate(template: string, match: string): string {
  if (!template.includes('$')) return template;
  let out = '';
  let rest = template;
  for (let at = rest.indexOf('$'); at >= 0; at = rest.indexOf('$')) {
    out += rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const name = TEMPLATE_NAME.exec(rest);
    if (name === null) {
      out += '$';
      continue;
    }
    rest = rest.slice(name[0].length);
    if ((name[1] ?? name[2]) === '0') out += match;
  }
  return out + rest;
}
