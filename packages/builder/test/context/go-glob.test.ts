// Go filepath.Match semantics for COPY wildcards (the behaviour of Go's own match table). Note `[!a]`:
// Go has no `!` negation, so it is the class of `!` and `a`.
import test from 'ava';
import { BadPatternError, containsWildcards, goMatch } from '../../src/context/go-glob.js';

const cases: Array<[string, string, boolean | 'bad']> = [
  ['abc', 'abc', true], ['*', 'abc', true], ['*c', 'abc', true], ['a*', 'a', true], ['a*', 'abc', true],
  ['a*', 'ab/c', false], ['a*/b', 'abc/b', true], ['a*/b', 'a/c/b', false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true], ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false], ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true], ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['ab[c]', 'abc', true], ['ab[b-d]', 'abc', true], ['ab[e-g]', 'abc', false], ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false], ['ab[^e-g]', 'abc', true], ['a\\*b', 'a*b', true], ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true], ['a[^a]b', 'a☺b', true], ['a???b', 'a☺b', false], ['a[^a][^a][^a]b', 'a☺b', false],
  ['[a-ζ]*', 'α', true], ['*[a-ζ]', 'A', false], ['a?b', 'a/b', false], ['a*b', 'a/b', false],
  ['[\\]a]', ']', true], ['[\\-]', '-', true], ['[x\\-]', 'x', true], ['[x\\-]', '-', true], ['[x\\-]', 'z', false],
  ['[\\-x]', 'x', true], ['[\\-x]', '-', true], ['[\\-x]', 'a', false], ['*x', 'xxx', true], ['[!a]', 'b', false], ['[!a]', '!', true],
  ['[]a]', ']', 'bad'], ['[-]', '-', 'bad'], ['[x-]', 'x', 'bad'], ['[-x]', 'x', 'bad'], ['\\', 'a', 'bad'],
  ['[a-b-c]', 'a', 'bad'], ['[', 'a', 'bad'], ['[^', 'a', 'bad'], ['[^bc', 'a', 'bad'], ['a[', 'a', 'bad'],
  ['a[', 'ab', 'bad'], ['a[', 'x', 'bad'], ['a/b[', 'x', 'bad'], ['*.txt', '.hidden.txt', true],
];

for (const [pattern, name, expected] of cases) {
  test(`${JSON.stringify(pattern)} on ${JSON.stringify(name)} → ${String(expected)}`, (t) => {
    if (expected === 'bad') {
      t.throws(() => goMatch(pattern, name), { instanceOf: BadPatternError });
    } else {
      t.is(goMatch(pattern, name), expected);
    }
  });
}

test('containsWildcards skips escaped characters', (t) => {
  t.true(containsWildcards('a*'));
  t.true(containsWildcards('a[b]'));
  t.true(containsWildcards('?'));
  t.false(containsWildcards('a\\*b'));
  t.false(containsWildcards('plain'));
});
