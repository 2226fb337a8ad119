// Expansion of one word, table-driven. The cases port the semantics of BuildKit's
// frontend/dockerfile/shell envVarTest and TestProcessWithMatches (written anew, not copied).
import test, { type ExecutionContext } from 'ava';
import { expandWord, ExpansionError, type ExpandOptions } from '../../src/shell/index.js';

const ENV: Record<string, string> = { PWD: '/home', SHELL: 'bash', KOREAN: '한국어', NULL: '' };
const lookupIn = (env: Record<string, string>) => (name: string): string | undefined =>
  Object.hasOwn(env, name) ? env[name] : undefined;

const expands = test.macro({
  exec(t: ExecutionContext, word: string, expected: string, env?: Record<string, string>, opts?: ExpandOptions) {
    t.is(expandWord(word, lookupIn(env ?? ENV), opts).value, expected);
  },
  title: (given, word: string, _expected: string, env?: Record<string, string>, _opts?: ExpandOptions) =>
    `${given ?? ''} ${JSON.stringify(word)}${env === undefined ? '' : ` with ${JSON.stringify(env)}`}`.trim(),
});

const fails = test.macro({
  exec(t: ExecutionContext, word: string, code: string, env?: Record<string, string>, opts?: ExpandOptions) {
    const err = t.throws(() => expandWord(word, lookupIn(env ?? ENV), opts), { instanceOf: ExpansionError });
    t.is(err?.code, code);
    t.is(typeof err?.details['offset'], 'number');
  },
  title: (given, word: string, code: string, env?: Record<string, string>, _opts?: ExpandOptions) =>
    `${given ?? ''} ${JSON.stringify(word)}${env === undefined ? '' : ` with ${JSON.stringify(env)}`} → ${code}`.trim(),
});

// Plain text, quotes and escapes.
const literal: Array<[string, string]> = [
  ['hello', 'hello'],
  ["he'll'o", 'hello'],
  ["he'llo", 'error'],
  ["he\\'llo", "he'llo"],
  ['he\\\\\'llo', 'error'],
  ['abc\\\\da', 'abc\\da'],
  ['"abc\\\\da"', 'abc\\da'],
  ['"abc\\da"', 'abc\\da'],
  ['"abc\\"da"', 'abc"da'],
  ['"abc\\$da"', 'abc$da'],
  ["\"'\"", "'"],
  ['\'"\'', '"'],
  ['"a\'b"', "a'b"],
  ['"he\'ll\'o"', "he'll'o"],
  ["'$PWD'", '$PWD'],
  ["'${PWD}'", '${PWD}'],
  ["'\\'", '\\'],
  ['hello\\', 'hello'],
  ['"hello\\"', 'error'],
  ['"hello', 'error'],
  ["'a b'  c", 'a b  c'],
  ['a\\ b', 'a b'],
  ['\\a\\b', 'ab'],
  ['""', ''],
  ["''", ''],
  ['"x"\'y\'z', 'xyz'],
  ['a\nb', 'a\nb'],
];

// $name and ${name}.
const dollar: Array<[string, string]> = [
  ['$', '$'],
  ['he$', 'he$'],
  ['he$ x', 'he$ x'],
  ['he$.x', 'he$.x'],
  ['he$/x', 'he$/x'],
  ['he$PWD', 'he/home'],
  ['he${PWD}', 'he/home'],
  ['he$PWD.', 'he/home.'],
  ['he$pwd.', 'he.'],
  ['he\\$PWD', 'he$PWD'],
  ['he\\\\$PWD', 'he\\/home'],
  ['"he$PWD"', 'he/home'],
  ['"he\\$PWD"', 'he$PWD'],
  ['"he\\\\$PWD"', 'he\\/home'],
  ['he${PWD}x', 'he/homex'],
  ['he$PWDx', 'he'],
  ['he${PWD', 'error'],
  ['he${', 'error'],
  ['he${}', 'error'],
  ['he${{PWD}}', 'error'],
  ['he${:}', 'error'],
  ['he${:-x}', 'error'],
  ['${PWD}}', '/home}'],
  ['$KOREAN', '한국어'],
  ['안녕$KOREAN', '안녕한국어'],
  ['${KOREAN}x', '한국어x'],
  ['$NULL.x', '.x'],
  ['${NULL}', ''],
  ['$_', ''],
  ['$1', ''],
  ['$12x', 'x'],
  ['$@x', 'x'],
  ['$*x', 'x'],
  ['$#x', 'x'],
  ['$?x', 'x'],
  ['$$x', 'x'],
  ['$!x', 'x'],
  ['$-x', 'x'],
  ['$0x', 'x'],
  ['${1}', ''],
  ['${@}', ''],
  ['${#}', ''],
  ['$ü', ''],
  ['x$=', 'x$='],
  ["$'PWD'", '$PWD'],
  ['$"PWD"', '$PWD'],
];

// ${name<op>word}.
const modifiers: Array<[string, string]> = [
  ['he${PWD:-000}xx', 'he/homexx'],
  ['he${PWD-000}xx', 'he/homexx'],
  ['he${XXX:-000}xx', 'he000xx'],
  ['he${XXX-000}xx', 'he000xx'],
  ['he${NULL:-000}xx', 'he000xx'],
  ['he${NULL-000}xx', 'hexx'],
  ['he${PWD:+000}xx', 'he000xx'],
  ['he${PWD+000}xx', 'he000xx'],
  ['he${XXX:+000}xx', 'hexx'],
  ['he${NULL:+000}xx', 'hexx'],
  ['he${NULL+000}xx', 'he000xx'],
  ['he${PWD:+${PWD}:}xx', 'he/home:xx'],
  ['he${XXX:-\\$PWD:}xx', 'he$PWD:xx'],
  ['he${XXX:-${PWD:-yyy}}xx', 'he/homexx'],
  ['he${XXX:-${YYY:-yyy}}xx', 'heyyyxx'],
  ['he${XXX:-"a}b"}', 'hea}b'],
  ["he${XXX:-'a}b'}", 'hea}b'],
  ['he${XXX:-a\\}b}', 'hea}b'],
  ['he${XXX:-a b}', 'hea b'],
  ['he${XXX:-}x', 'hex'],
  ['he${PWD:?}', 'he/home'],
  ['he${PWD?}', 'he/home'],
  ['he${NULL?}', 'he'],
  ['${KOREAN:-x}', '한국어'],
  ['${XXX:-$KOREAN}', '한국어'],
  ['he${PWD:=000}xx', 'error'],
  ['he${PWD=000}xx', 'error'],
  ['he${PWD:YYY}', 'error'],
  ['he${PWD:}', 'error'],
  ['he${PWD:}x}', 'error'],
  ['he${PWD:-000', 'error'],
  ['he${PWD:', 'error'],
  ['he${PWD.}', 'error'],
  ['${aaa:-bbb}}', 'bbb}'],
  ['${aaa}}', '}'],
];

// Pattern operators (TestProcessWithMatches, plus newline and Unicode cases).
const patterns: Array<[string, string, Record<string, string>]> = [
  ['${FOO#()[]{\\}^$.\\*\\?|\\\\}', 'x', { FOO: '()[]{}^$.*?|\\x' }],
  ['${FOO%%\\**}', 'xx', { FOO: 'xx**' }],
  ['${FOO#*x*y}', 'y', { FOO: 'xxyy' }],
  ['${FOO#*}', 'xxyy', { FOO: 'xxyy' }],
  ['${FOO##*}', '', { FOO: 'xxyy' }],
  ['${FOO#$BAR}', 'xyy', { FOO: 'xxyy', BAR: 'x' }],
  ['${FOO#$BAR}', 'xxyy', { FOO: 'xxyy', BAR: '' }],
  ['${FOO#}', 'xxyy', { FOO: 'xxyy' }],
  ['${FOO##*x}', 'yy', { FOO: 'xxyy' }],
  ['${FOO##}', 'xxyy', { FOO: 'xxyy' }],
  ['${FOO#?\\?}', '?y', { FOO: '???y' }],
  ['${ABC:-.}${FOO%x}${ABC:-.}', '.xxyy.', { FOO: 'xxyy' }],
  ['${FOO%%\\**\\*}', 'a', { FOO: 'a***yy*' }],
  ['${FOO%}', 'xxyy', { FOO: 'xxyy' }],
  ['${FOO%%$BAR}', 'xxyy', { FOO: 'xxyy', BAR: '' }],
  ['${FOO%y}', 'xxy', { FOO: 'xxyy' }],
  ['${FOO%%y*}', 'xx', { FOO: 'xxyy' }],
  ['${FOO%y*}', 'xxy', { FOO: 'xxyy' }],
  ['${FOO%/*}', '/usr/local', { FOO: '/usr/local/bin' }],
  ['${FOO%%/*}', '', { FOO: '/usr/local/bin' }],
  ['${FOO##*/}', 'bin', { FOO: '/usr/local/bin' }],
  ['${FOO#*/}', 'usr/local/bin', { FOO: '/usr/local/bin' }],
  ['${FOO:#x}', 'xyy', { FOO: 'xxyy' }],
  ['${FOO#$BAR}', 'yy', { FOO: 'xxyy', BAR: '#*x' }],
  ['${FOO##*}', '\nb', { FOO: 'a\nb' }],
  ['${FOO#a?b}', 'a\nb', { FOO: 'a\nb' }],
  ['${FOO#a\nb}', '', { FOO: 'a\nb' }],
  ['${FOO%?}', '🖖🚀', { FOO: '🖖🚀👽' }],
  ['${FOO#??}', '👽', { FOO: '🖖🚀👽' }],
  ['${FOO#\\x}', 'error', { FOO: 'xx' }],
  ['${FOO#$BAR}', 'error', { FOO: 'xx', BAR: 'x\\' }],
  ['${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}', '/foo.*/*.txt - /foo..*.txt', { FOO: '/foo*/*/*.txt', NEEDLE: '\\*/' }],
  ['${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}', '/tmp/bar.txt - /bar.txt', { FOO: '/tmp/tmp/bar.txt', NEEDLE: '/tmp' }],
  ['${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}', '/foo/b/c.txt - /foo/c.txt',
    { FOO: '/a/foo/b/c.txt', NEEDLE: '/?/', REPLACEMENT: '/' }],
  ['${FOO/$NEEDLE/$REPLACEMENT}', 'https://google.de', { FOO: 'http://google.de', NEEDLE: 'http://', REPLACEMENT: 'https://' }],
  ['${FOO//\\//\\/}', '\\/tmp\\/foo.txt', { FOO: '/tmp/foo.txt' }],
  ['${FOO/$BAR/ww}', 'wwxxyy', { FOO: 'xxyy', BAR: '' }],
  ['${FOO//$BAR/-}', '-x-x-y-y-', { FOO: 'xxyy', BAR: '' }],
  ['${FOO//ww}', 'error', { FOO: 'xxyy' }],
  ['${FOO//}', 'error', { FOO: 'xxyy' }],
  ['${FOO///}', 'xxyy', { FOO: 'xxyy' }],
  ['${FOO///}', '', {}],
  ['${FOO/x*/-}', '-', { FOO: 'xxyy' }],
  ['${FOO/x*/-}', '-\nxy', { FOO: 'xx\nxy' }],
  ['${FOO//x*/-}', '-\n-', { FOO: 'xx\nxy' }],
  ['${FOO//x/[$0]}', '[x][x]yy', { FOO: 'xxyy', 0: '$0' }],
  ['${FOO/x/[$0]}', '[$0]xyy', { FOO: 'xxyy', 0: '$0' }],
  ['${FOO//x/$R}', '$$yy', { FOO: 'xxyy', R: '$$' }],
  ['${FOO//x/$R}', 'yy', { FOO: 'xxyy', R: '$name' }],
  ['${FOO//x/$R}', '{x}{x}yy', { FOO: 'xxyy', R: '{${0}}' }],
  ['${FOO//x/$R}', '$$yy', { FOO: 'xxyy', R: '$' }],
  ['${FOO//y/\\y}', 'xx\\y\\y', { FOO: 'xxyy' }],
  ['${FOO//\\y/z}', 'error', { FOO: 'xxyy' }],
  ['${FOO/y\\*/z}', 'xxyz', { FOO: 'xxyy*' }],
  ['${FOO//[a]/z}', 'z', { FOO: '[a]' }],
  ['${FOO/a*b*c/-}', 'x-y', { FOO: 'xabcbcy' }],
];

const TARGET = 'something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz';
const nested: Array<[string, string, Record<string, string>]> = [
  [TARGET, 'something-v1.linux-arm-v7.tar.gz', { VERSION: 'v1', TARGETOS: 'linux', TARGETARCH: 'arm', TARGETVARIANT: 'v7' }],
  [TARGET, 'something-v1.linux-arm64.tar.gz', { VERSION: 'v1', TARGETOS: 'linux', TARGETARCH: 'arm64', TARGETVARIANT: '' }],
  [TARGET, 'something-v1.linux-arm64.tar.gz', { VERSION: 'v1', TARGETOS: 'linux', TARGETARCH: 'arm64' }],
];

for (const [word, expected] of [...literal, ...dollar, ...modifiers]) {
  if (expected === 'error') test('envVar', fails, word, 'EXPAND_SYNTAX');
  else test('envVar', expands, word, expected);
}
for (const [word, expected, env] of [...patterns, ...nested]) {
  if (expected === 'error') test('pattern', fails, word, 'EXPAND_SYNTAX', env);
  else test('pattern', expands, word, expected, env);
}

// The escape directive: with backtick, backslash is an ordinary character (Windows paths).
const backtick: Array<[string, string]> = [
  ['c:\\windows', 'c:\\windows'],
  ['a`$PWD', 'a$PWD'],
  ['"a`"b"', 'a"b'],
  ['"a\\"', 'a\\'],
  ['a`', 'a'],
  ['${XXX:-a`}b}', 'a}b'],
  ['he$PWD', 'he/home'],
];
for (const [word, expected] of backtick) test('escape=`', expands, word, expected, ENV, { escape: '`' as const });

test('required variables', fails, '${VAR:?message here$ARG}', 'EXPAND_REQUIRED', { VAR: '', ARG: 'x' });
test('required variables', fails, '${VAR:?message here$ARG}', 'EXPAND_REQUIRED', { ARG: 'x' });
test('required variables', fails, '${VAR?message here$ARG}', 'EXPAND_REQUIRED', { ARG: 'x' });
test('required variables', expands, '${VAR?message here$ARG}', '', { VAR: '', ARG: 'x' });
test('required variables', expands, '${VAR:?message here$ARG}', 'plain', { VAR: 'plain' });
test('required variables', fails, '${BAZ:?}', 'EXPAND_REQUIRED', {});

test('a required-variable error names the variable and carries the message', (t) => {
  const err = t.throws(() => expandWord('ab${VAR:?need $ARG}', lookupIn({ ARG: 'x' })), { instanceOf: ExpansionError });
  t.is(err?.code, 'EXPAND_REQUIRED');
  t.is(err?.details['name'], 'VAR');
  t.is(err?.details['offset'], 2);
  t.true(err?.message.includes('need x'));
});

test('syntax errors report the offset of the failing $', (t) => {
  const err = t.throws(() => expandWord('abc ${PWD:=x}', lookupIn(ENV)), { instanceOf: ExpansionError });
  t.is(err?.details['offset'], 4);
});
