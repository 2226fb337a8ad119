// Word splitting (BuildKit ProcessWords, the semantics of its wordsTest file, cases written anew) and the
// used/unset bookkeeping the cache key and the linter rely on.
import test, { type ExecutionContext } from 'ava';
import { expandWord, expandWords, ExpansionError } from '../../src/shell/index.js';

const ENV: Record<string, string> = { PWD: 'xxx', SPACES: '  a b   c ', ONE: 'one', NULL: '', TABS: 'a\tb\nc' };
const lookup = (name: string): string | undefined => (Object.hasOwn(ENV, name) ? ENV[name] : undefined);

const splits = test.macro({
  exec(t: ExecutionContext, text: string, expected: string[] | 'error') {
    if (expected === 'error') {
      t.throws(() => expandWords(text, lookup), { instanceOf: ExpansionError });
      return;
    }
    t.deepEqual(expandWords(text, lookup).value, expected);
  },
  title: (given, text: string) => `${given ?? ''} ${JSON.stringify(text).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`,
});

const cases: Array<[string, string[] | 'error']> = [
  ['hello', ['hello']],
  ['hello world', ['hello', 'world']],
  ['  hello   world  ', ['hello', 'world']],
  ['hello\tworld\nagain', ['hello', 'world', 'again']],
  ['"hello world"', ['hello world']],
  ["'hello world'", ['hello world']],
  ['"hello" "world"', ['hello', 'world']],
  ['he"llo wo"rld', ['hello world']],
  ['hello\\ world', ['hello world']],
  ['hello\\\\ world', ['hello\\', 'world']],
  ['$PWD', ['xxx']],
  ['a$PWD b', ['axxx', 'b']],
  ['$SPACES', ['a', 'b', 'c']],
  ['x$SPACES', ['x', 'a', 'b', 'c']],
  ['"$SPACES"', ['  a b   c ']],
  ['${SPACES}x', ['a', 'b', 'c', 'x']],
  ['x${XXX:-$ONE}y', ['xoney']],
  ['${XXX:-$SPACES}', ['a', 'b', 'c']],
  ['${XXX:-"$SPACES"}', ['a', 'b', 'c']],
  ['$TABS', ['a', 'b', 'c']],
  ['$NULL', []],
  ['$NULL x', ['x']],
  ['""', []],
  ['"" x', ['x']],
  ["''", []],
  ['', []],
  ['   ', []],
  ['a "" b', ['a', 'b']],
  ['a\u00a0b', ['a', 'b']],
  ['a\u2003b', ['a', 'b']],
  ['a\ufeffb', ['a\ufeffb']],
  ['"hello', 'error'],
  ['${', 'error'],
];
for (const [text, expected] of cases) test('words', splits, text, expected);

test('expandWord keeps spaces between words', (t) => {
  t.is(expandWord('  a  $SPACES ', lookup).value, '  a    a b   c  ');
});

test('used lists every name looked up once, in order; unset the ones without a value', (t) => {
  const result = expandWord('$ONE ${XXX:-$ONE} ${NULL} ${YYY+$ZZZ} $ONE', lookup);
  t.deepEqual(result.used, ['ONE', 'XXX', 'NULL', 'ZZZ', 'YYY']);
  t.deepEqual(result.unset, ['XXX', 'ZZZ', 'YYY']);
});

test('names inside single quotes or escaped are not looked up', (t) => {
  const result = expandWords("'$ONE' \\$PWD", lookup);
  t.deepEqual(result.value, ['$ONE', '$PWD']);
  t.deepEqual(result.used, []);
});

test('a plain word looks up nothing', (t) => {
  t.deepEqual(expandWord('x', lookup), { value: 'x', used: [], unset: [] });
});

// BuildKit's TestProcessWithMatches: which names count as matched (set) and unmatched (unset).
const bookkeeping: Array<[string, Record<string, string>, string, string[], string[]]> = [
  ['x ${UNUSED}', { DUMMY: 'dummy' }, 'x ', [], ['UNUSED']],
  ['${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}', { FOO: 'xxx', BAR: '' }, 'xxx  ccc', ['FOO', 'BAR'], ['BAZ']],
  ['${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}', { FOO: 'xxx', BAR: '' }, 'xxx bbb ccc', ['FOO', 'BAR'], ['BAZ']],
  ['${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}', { FOO: 'xxx', BAR: '' }, 'aaa bbb ', ['FOO', 'BAR'], ['BAZ']],
  ['${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}', { FOO: 'xxx', BAR: '' }, 'aaa  ', ['FOO', 'BAR'], ['BAZ']],
  ['${FOO:-}', {}, '', [], ['FOO']],
  ['${ABC:-.}${FOO%x}${ABC:-.}', { FOO: 'xxyy' }, '.xxyy.', ['FOO'], ['ABC']],
  ['${FOO/$NEEDLE/$REPLACEMENT}', { FOO: 'http://a', NEEDLE: 'http://', REPLACEMENT: 'https://' }, 'https://a', ['FOO', 'NEEDLE', 'REPLACEMENT'], []],
  ['${FOO///}', {}, '', [], ['FOO']],
];
for (const [word, env, value, set, unset] of bookkeeping) {
  test(`matched/unmatched ${JSON.stringify(word)} with ${JSON.stringify(env)}`, (t) => {
    const result = expandWord(word, (n) => (Object.hasOwn(env, n) ? env[n] : undefined));
    t.is(result.value, value);
    t.deepEqual(result.used.filter((n) => !result.unset.includes(n)).sort(), [...set].sort());
    t.deepEqual([...result.unset].sort(), [...unset].sort());
  });
}
