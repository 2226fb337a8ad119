// DF-02: expansion bombs end in a typed error within milliseconds, never a stack overflow or OOM.
import test from 'ava';
import { expandWord, expandWords, ExpansionError } from '../../src/shell/index.js';

const MiB = 1024 * 1024;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof ExpansionError) return err.code;
    throw err;
  }
}

test('ENV A=$A$A repeated 40 times stops at the size cap', (t) => {
  const started = Date.now();
  let a = 'x';
  let code: string | undefined;
  for (let i = 0; i < 40 && code === undefined; i++) {
    code = codeOf(() => { a = expandWord('$A$A', () => a).value; });
  }
  t.is(code, 'EXPAND_TOO_LARGE');
  t.true(a.length <= MiB);
  t.true(Date.now() - started < 2000);
});

test('${a:-${a:-...}} nested 10^5 deep is EXPAND_TOO_DEEP, not a stack overflow', (t) => {
  const n = 100_000;
  const word = '${a:-'.repeat(n) + 'x' + '}'.repeat(n);
  const started = Date.now();
  t.is(codeOf(() => expandWord(word, () => undefined)), 'EXPAND_TOO_DEEP');
  t.is(codeOf(() => expandWords(word, () => undefined)), 'EXPAND_TOO_DEEP');
  t.true(Date.now() - started < 2000);
});

test('unterminated deep nesting is still EXPAND_TOO_DEEP', (t) => {
  t.is(codeOf(() => expandWord('${a:-"'.repeat(100_000), () => undefined)), 'EXPAND_TOO_DEEP');
});

test('maxDepth allows exactly that many levels', (t) => {
  const nest = (n: number): string => '${a:-'.repeat(n) + 'x' + '}'.repeat(n);
  t.is(expandWord(nest(64), () => undefined).value, 'x');
  t.is(codeOf(() => expandWord(nest(65), () => undefined)), 'EXPAND_TOO_DEEP');
  t.is(expandWord(nest(3), () => undefined, { maxDepth: 3 }).value, 'x');
  t.is(codeOf(() => expandWord(nest(4), () => undefined, { maxDepth: 3 })), 'EXPAND_TOO_DEEP');
});

test('a 1 MiB variable referenced 1000 times fails fast', (t) => {
  const big = 'b'.repeat(MiB);
  const started = Date.now();
  t.is(codeOf(() => expandWord('$BIG'.repeat(1000), () => big)), 'EXPAND_TOO_LARGE');
  t.is(codeOf(() => expandWords('$BIG '.repeat(1000), () => big)), 'EXPAND_TOO_LARGE');
  t.is(codeOf(() => expandWord('"${X:-$BIG}"'.repeat(1000), () => big)), 'EXPAND_TOO_LARGE');
  t.true(Date.now() - started < 2000);
});

test('the cap counts UTF-8 bytes, not characters', (t) => {
  const value = 'é'.repeat(600); // 1200 bytes
  t.is(expandWord('$V', () => value, { maxOutputBytes: 1200 }).value, value);
  t.is(codeOf(() => expandWord('$V', () => value, { maxOutputBytes: 1199 })), 'EXPAND_TOO_LARGE');
  t.is(codeOf(() => expandWord('x'.repeat(1201), () => undefined, { maxOutputBytes: 1200 })), 'EXPAND_TOO_LARGE');
});

test('a replacement that multiplies the text hits the cap while it grows', (t) => {
  const started = Date.now();
  const env: Record<string, string> = { A: 'a'.repeat(100_000), R: 'r'.repeat(100_000) };
  t.is(codeOf(() => expandWord('${A//a/$R}', (n) => env[n])), 'EXPAND_TOO_LARGE');
  t.true(Date.now() - started < 2000);
});

test('costly patterns on big values are bounded by the work budget', (t) => {
  const big = 'a'.repeat(MiB);
  const started = Date.now();
  const word = '${SET:-${BIG##*a*a*a*a*b}}'.repeat(200);
  t.is(codeOf(() => expandWord(word, (n) => (n === 'SET' ? 's' : big))), 'EXPAND_TOO_LARGE');
  t.true(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});

test('patterns with many stars stay linear (no backtracking blow-up)', (t) => {
  const value = 'a'.repeat(20_000);
  const started = Date.now();
  t.is(expandWord('${V##*a*a*a*a*a*a*a*a*b}', () => value).value, value);
  t.is(expandWord('${V//*a*a*a*a*a*a*a*a*b/x}', () => value).value, value);
  t.true(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
});
