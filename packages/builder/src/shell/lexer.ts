// BuildKit's shell lexer (frontend/dockerfile/shell/lex.go), re-implemented: variable expansion, quote
// removal and optional word splitting for one Dockerfile word.
//
// State machine. A *frame* reads characters until its stop character (EOF at top level, `}` after
// `${V:-`, `/` between a pattern and its replacement). In a frame:
//   `$`  → dollar state: `$name`, `${name}` or `${name<op>word}`, where word is a nested frame;
//   `'`  → single-quote state: everything literal up to the next `'`;
//   `"`  → double-quote state: literal except `$` (dollar state) and escape + one of `"` `$` escape;
//   escape → the next character is literal (at EOF the escape vanishes);
//   anything else is literal.
// Frames nest only through `${...}`, so recursion depth is bounded by `maxDepth` and checked before each
// nested frame starts. Output size is checked after each append (in UTF-16 units, a lower bound on UTF-8
// bytes) and exactly at the end, so `$A$A...` fails as soon as it passes the cap.
import { replacePattern, StepBudget, trimPrefix, trimSuffix } from './pattern.js';
import {
  DEFAULT_MAX_DEPTH, DEFAULT_MAX_OUTPUT_BYTES, ExpansionError, PATTERN_STEP_BUDGET,
  type ExpandOptions, type Expansion, type ExpansionCode, type Lookup,
} from './types.js';
import { WordSplitter } from './words.js';

/** Expands one word (BuildKit ProcessWord): variables replaced, quotes and escapes removed, spaces kept. */
export function expandWord(word: string, lookup: Lookup, opts: ExpandOptions = {}): Expansion<string> {
  const lexer = new WordLexer(word, lookup, opts);
  const value = lexer.run(undefined);
  return { value, used: [...lexer.used.keys()], unset: lexer.unsetNames() };
}

/** Expands and splits into words (BuildKit ProcessWords): whitespace from expansions splits too. */
export function expandWords(text: string, lookup: Lookup, opts: ExpandOptions = {}): Expansion<string[]> {
  const lexer = new WordLexer(text, lookup, opts);
  const splitter = new WordSplitter();
  lexer.run(splitter);
  return { value: splitter.finish(), used: [...lexer.used.keys()], unset: lexer.unsetNames() };
}

const QUOTE_NAME: Record<string, string> = { '}': "'}'", '/': "'/'" };

class WordLexer {
  private pos = 0;
  private depth = 0;
  private readonly escape: string;
  private readonly maxBytes: number;
  private readonly maxDepth: number;
  private readonly budget = new StepBudget(PATTERN_STEP_BUDGET);
  /** name → whether it had a value. */
  readonly used = new Map<string, boolean>();

  constructor(private readonly src: string, private readonly lookup: Lookup, opts: ExpandOptions) {
    this.escape = opts.escape ?? '\\';
    this.maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    this.maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  run(splitter: WordSplitter | undefined): string {
    const value = this.readFrame(undefined, false, splitter);
    if (value.length > this.maxBytes / 3 && utf8Length(value) > this.maxBytes) this.tooLarge(0);
    return value;
  }

  unsetNames(): string[] {
    return [...this.used].filter(([, found]) => !found).map(([name]) => name);
  }

  /** Reads up to `stop` (consumed) or EOF. `raw` keeps escape characters (for patterns). */
  private readFrame(stop: string | undefined, raw: boolean, splitter: WordSplitter | undefined): string {
    const src = this.src;
    let out = '';
    while (this.pos < src.length) {
      let ch = src[this.pos]!;
      if (stop !== undefined && ch === stop) {
        this.pos++;
        return out;
      }
      if (ch === '$') {
        const value = this.readDollar();
        out = this.append(out, value);
        splitter?.addSplittable(value);
      } else if (ch === "'" || ch === '"') {
        const value = ch === "'" ? this.readSingleQuoted() : this.readDoubleQuoted(raw);
        out = this.append(out, value);
        splitter?.addRaw(value);
      } else {
        this.pos++;
        if (ch === this.escape) {
          if (raw) {
            splitter?.addRaw(ch);
            out += ch;
          }
          if (this.pos >= src.length) break;
          ch = src[this.pos++]!;
          splitter?.addRaw(ch);
        } else {
          splitter?.addChar(ch);
        }
        out += ch;
      }
    }
    if (stop !== undefined) {
      throw this.syntax(`unexpected end of statement while looking for matching ${QUOTE_NAME[stop] ?? stop}`, this.pos);
    }
    return out;
  }

  private readSingleQuoted(): string {
    const start = this.pos;
    const end = this.src.indexOf("'", start + 1);
    if (end < 0) throw this.syntax('unexpected end of statement while looking for matching single-quote', start);
    this.pos = end + 1;
    return this.src.slice(start + 1, end);
  }

  private readDoubleQuoted(raw: boolean): string {
    const src = this.src;
    const start = this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= src.length) {
        throw this.syntax('unexpected end of statement while looking for matching double-quote', start);
      }
      let ch = src[this.pos]!;
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === '$') {
        out = this.append(out, this.readDollar());
        continue;
      }
      this.pos++;
      if (ch === this.escape) {
        if (raw) out += ch;
        // An escape just before EOF is dropped; the missing quote is reported on the next turn.
        if (this.pos >= src.length) continue;
        const next = src[this.pos]!;
        if (next === '"' || next === '$' || next === this.escape) {
          ch = next;
          this.pos++;
        }
      }
      out += ch;
    }
  }

  /** At a `$`: returns its expansion. */
  private readDollar(): string {
    const src = this.src;
    const start = this.pos++;
    if (src[this.pos] !== '{') {
      const name = this.readName();
      return name === '' ? '$' : this.getEnv(name) ?? '';
    }
    this.pos++;
    if (this.pos >= src.length) throw this.syntax("syntax error: missing '}'", start);
    const first = src[this.pos];
    if (first === '{' || first === '}' || first === ':') throw this.syntax('syntax error: bad substitution', start);
    const name = this.readName();
    let op = this.pos < src.length ? src[this.pos++]! : '';
    if (op === '}') return this.getEnv(name) ?? '';
    if (op === '/') return this.readReplace(name, start);
    let nullIsUnset = false;
    let shown = op;
    if (op === ':') {
      nullIsUnset = true;
      op = this.pos < src.length ? src[this.pos++]! : '';
      shown += op;
    } else if (!'+-?#%'.includes(op) || op === '') {
      throw this.syntax(`unsupported modifier (${shown}) in substitution`, start);
    }
    const word = this.readNestedUntilBrace(op === '#' || op === '%', start);
    const value = this.getEnv(name);
    const unset = value === undefined || (nullIsUnset && value === '');
    switch (op) {
      case '-':
        return unset ? word : value!;
      case '+':
        return unset ? '' : word;
      case '?':
        if (!unset) return value!;
        throw new ExpansionError('EXPAND_REQUIRED',
          `${name}: ${word !== '' ? word : value === undefined ? 'is not allowed to be unset' : 'is not allowed to be empty'}`,
          { details: { offset: start, name } });
      case '#':
      case '%': {
        // `##`/`%%`: BuildKit looks at the expanded word, so a variable holding `#x` also makes it greedy.
        const longest = word.startsWith(op);
        const pattern = longest ? word.slice(1) : word;
        const text = value ?? '';
        try {
          return op === '#' ? trimPrefix(pattern, text, longest, this.budget) : trimSuffix(pattern, text, longest, this.budget);
        } catch (err) {
          throw this.located(err, start);
        }
      }
      default:
        throw this.syntax(`unsupported modifier (${shown}) in substitution`, start);
    }
  }

  /** `${name/pattern/replacement}` or `${name//pattern/replacement}`, after the first `/`. */
  private readReplace(name: string, start: number): string {
    const all = this.src[this.pos] === '/';
    if (all) this.pos++;
    const pattern = this.readNested('/', true, start, "syntax error: missing '/' in ${}");
    const replacement = this.readNestedUntilBrace(true, start);
    const value = this.getEnv(name) ?? '';
    let out = '';
    try {
      replacePattern(pattern, replacement, value, all, this.budget, (piece) => { out = this.append(out, piece); });
    } catch (err) {
      throw this.located(err, start);
    }
    return out;
  }

  private readNestedUntilBrace(raw: boolean, start: number): string {
    return this.readNested('}', raw, start, "syntax error: missing '}'");
  }

  /** A nested frame; like BuildKit, any syntax error that ran into EOF is reported as the missing closer. */
  private readNested(stop: string, raw: boolean, start: number, missing: string): string {
    if (this.depth >= this.maxDepth) {
      throw new ExpansionError('EXPAND_TOO_DEEP', `\${...} nested deeper than ${this.maxDepth} levels`,
        { details: { offset: start, maxDepth: this.maxDepth } });
    }
    this.depth++;
    try {
      return this.readFrame(stop, raw, undefined);
    } catch (err) {
      if (err instanceof ExpansionError && (err.code === 'EXPAND_SYNTAX' || err.code === 'EXPAND_REQUIRED') &&
        this.pos >= this.src.length) {
        throw this.syntax(missing, start);
      }
      throw err;
    } finally {
      this.depth--;
    }
  }

  /**
   * A name after `$`: letters, digits and `_`; or a run of digits (`$1`); or one special parameter
   * character (`$@ $* $# $? $- $$ $!`), which is looked up like any other name.
   */
  private readName(): string {
    const src = this.src;
    const start = this.pos;
    const first = src.codePointAt(start);
    if (first === undefined) return '';
    if (isDigit(first)) {
      while (this.pos < src.length && isDigit(src.codePointAt(this.pos)!)) this.pos += src.codePointAt(this.pos)! > 0xffff ? 2 : 1;
      return src.slice(start, this.pos);
    }
    if ('@*#?-$!'.includes(src[start]!)) {
      this.pos++;
      return src[start]!;
    }
    for (let c: number | undefined = first; c !== undefined && isNameChar(c); c = src.codePointAt(this.pos)) this.pos += c > 0xffff ? 2 : 1;
    return src.slice(start, this.pos);
  }

  private getEnv(name: string): string | undefined {
    const value = this.lookup(name);
    if (!this.used.has(name)) this.used.set(name, value !== undefined);
    return value;
  }

  private append(out: string, piece: string): string {
    if (out.length + piece.length > this.maxBytes) this.tooLarge(this.pos);
    return out + piece;
  }

  private tooLarge(offset: number): never {
    throw new ExpansionError('EXPAND_TOO_LARGE', `expansion is larger than ${this.maxBytes} bytes`,
      { details: { offset, maxOutputBytes: this.maxBytes } });
  }

  private syntax(message: string, offset: number): ExpansionError {
    return new ExpansionError('EXPAND_SYNTAX', message, { details: { offset } });
  }

  private located(err: unknown, offset: number): unknown {
    if (err instanceof ExpansionError && err.details['offset'] === undefined) {
      return new ExpansionError(err.code as ExpansionCode, err.message, { details: { ...err.details, offset } });
    }
    return err;
  }
}

const DIGIT = /\p{Nd}/u;
const LETTER = /\p{L}/u;

/** Go's unicode.IsDigit (any decimal digit, not only ASCII). */
function isDigit(code: number): boolean {
  if (code < 0x80) return code >= 0x30 && code <= 0x39;
  return DIGIT.test(String.fromCodePoint(code));
}

function isNameChar(code: number): boolean {
  if (code < 0x80) {
    return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f;
  }
  const ch = String.fromCodePoint(code);
  return LETTER.test(ch) || DIGIT.test(ch);
}

/** UTF-8 length of a string (kept free of Node's Buffer so this module stays portable). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
