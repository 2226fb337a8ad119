import test from 'ava';
import { dumpAst, parseDockerfile, parseTrigger } from '../../src/frontend.js';
import { df, errorOf } from './helpers.js';

const parse = (text: string | Uint8Array) => parseDockerfile(text, { file: 'Dockerfile' });

const failsWith = test.macro({
  exec(t, text: string, code: string, start: [number, number], end?: [number, number]) {
    const e = errorOf(t, () => parse(text));
    t.is(e.code, code);
    t.deepEqual(e.start, start);
    if (end !== undefined) t.deepEqual(e.end, end);
  },
  title: (title) => `parse error: ${title ?? ''}`,
});

test('unknown instruction', failsWith, df('FROM a', 'RUNN x'), 'DF_UNKNOWN_INSTRUCTION', [2, 1], [2, 7]);
test('continued unknown instruction reports all its lines', failsWith, df('FROM a', 'FOO a \\', ' b \\', ' c'), 'DF_UNKNOWN_INSTRUCTION', [2, 1], [4, 3]);
test('duplicate syntax directive', failsWith, df('# syntax=a', '# SYNTAX=b', 'FROM a'), 'DF_DIRECTIVE_DUPLICATE', [2, 1]);
test('whitespace-only check directive', failsWith, df('# check= ', 'FROM a'), 'DF_DIRECTIVE_INVALID', [1, 1]);
test('unterminated heredoc names the RUN line', failsWith, df('FROM a', 'RUN <<EOF', 'x', 'y'), 'DF_HEREDOC_UNTERMINATED', [2, 1], [4, 2]);
test('second heredoc unterminated', failsWith, df('FROM a', 'COPY <<A <<B /d', 'a', 'A', 'b'), 'DF_HEREDOC_UNTERMINATED', [2, 1]);
test('JSON array of non-strings', failsWith, df('FROM a', 'ENTRYPOINT ["a", {"b": 1}]'), 'DF_JSON_NOT_STRINGS', [2, 1]);

test('did you mean: hint for a misspelt keyword', (t) => {
  const e = errorOf(t, () => parse(df('FROM a', 'COPPY a b')));
  t.is(e.error.hint, 'did you mean COPY?');
  const far = errorOf(t, () => parse(df('FROM a', 'FOOBAR x')));
  t.is(far.error.hint, undefined);
});

test('directives are case-insensitive and stop at the first other line', (t) => {
  const r = parse(df('#ESCAPE=`', '# Syntax = x/y', '', '# check=error=true', 'FROM a'));
  t.is(r.directives.escape, '`');
  t.is(r.directives.syntax, 'x/y');
  t.false(r.directives.check.error);
});

test('check directive: skip list and error flag', (t) => {
  const r = parse(df('# check=skip=A,B;error=true', 'FROM a'));
  t.deepEqual(r.directives.check, { skip: ['A', 'B'], error: true });
  t.is(parse(df('# check=skip=all', 'FROM a')).directives.check.skip, 'all');
});

test('a directive-looking comment after an instruction is a comment', (t) => {
  const r = parse(df('FROM a', '# escape=`', 'RUN a \\', ' b'));
  t.is(r.directives.escape, '\\');
  t.is(r.nodes[1]!.args[0], 'a  b');
});

test('empty continuation lines warn NoEmptyContinuation at the instruction', (t) => {
  const r = parse(df('FROM a', 'RUN a \\', '', '  b'));
  t.deepEqual(r.warnings.map((w) => [w.rule, w.location.start.line]), [['NoEmptyContinuation', 2]]);
});

test('CRLF, BOM and Uint8Array input give the same AST as LF text', (t) => {
  const lf = dumpAst(parse(df('FROM a', 'RUN x \\', '  y')));
  const crlf = new TextEncoder().encode('\ufeffFROM a\r\nRUN x \\\r\n  y\r\n');
  t.is(dumpAst(parse(crlf)), lf);
});

test('comments above an instruction are attached to it', (t) => {
  const r = parse(df('# one', '# two', 'FROM a', '#', '# three', 'RUN x'));
  t.deepEqual(r.nodes[0]!.comments, ['one', 'two']);
  t.deepEqual(r.nodes[1]!.comments, ['three']);
});

test('heredoc with fd, chomp and quotes', (t) => {
  const r = parse(df('FROM a', 'RUN 5<<-"E\'x" cat', '\t\tbody $v', '\tE\'x'));
  const h = r.nodes[1]!.heredocs[0]!;
  t.like(h, { name: "E'x", fd: 5, chomp: true, expand: false, content: 'body $v\n' });
});

test('heredoc markers are only read in RUN, COPY and ADD', (t) => {
  const r = parse(df('FROM a', 'LABEL x=<<EOF', 'RUN echo hi'));
  t.is(r.nodes.length, 3);
  t.is(r.nodes[1]!.heredocs.length, 0);
});

test('a quoted << is not a heredoc', (t) => {
  const r = parse(df('FROM a', 'RUN echo "<<EOF"', 'RUN true'));
  t.is(r.nodes.length, 3);
});

test('flags: quotes removed, -- ends flags, escapes kept out', (t) => {
  const r = parse(df('FROM a', 'COPY --chown="a b" --chmod=7\\55 -- --x y'));
  t.deepEqual(r.nodes[1]!.flags, ['--chown=a b', '--chmod=755']);
  t.deepEqual(r.nodes[1]!.args, ['--x', 'y']);
});

test('ENV legacy form keeps the rest of the line as the value', (t) => {
  const r = parse(df('FROM a', 'ENV K  hello   "world"'));
  t.deepEqual(r.nodes[1]!.pairs, [{ key: 'K', value: 'hello   "world"' }]);
  t.true(r.nodes[1]!.legacyKeyValue);
});

test('a lone escape char line inside a continuation', (t) => {
  const r = parse(df('FROM a', 'RUN a \\', '\\', '  && b'));
  t.is(r.nodes[1]!.args[0], 'a   && b');
});

test('empty and comment-only files parse to no instructions', (t) => {
  t.is(parse('').nodes.length, 0);
  t.is(parse(df('# just', '#  comments', '')).nodes.length, 0);
  t.is(parse(new Uint8Array()).nodes.length, 0);
});

test('parseTrigger: a base image ONBUILD trigger, located at the FROM', (t) => {
  const at = { file: 'Dockerfile', start: { line: 3, column: 1 }, end: { line: 3, column: 10 } };
  const ins = parseTrigger('COPY --chown=1 . /app', at);
  t.is(ins.kind, 'COPY');
  t.deepEqual(ins.location, at);
  for (const bad of ['FROM x', 'ONBUILD RUN x', 'MAINTAINER m']) {
    const e = errorOf(t, () => parseTrigger(bad, at));
    t.is(e.code, 'DF_ONBUILD_FORBIDDEN');
    t.deepEqual(e.start, [3, 1]);
  }
  t.is(errorOf(t, () => parseTrigger('NOPE x', at)).code, 'DF_UNKNOWN_INSTRUCTION');
});

test('parseTrigger: heredoc bodies in the trigger text', (t) => {
  const at = { file: 'Dockerfile', start: { line: 7, column: 1 }, end: { line: 7, column: 5 } };
  const ins = parseTrigger('RUN <<EOF\necho hi\nEOF', at);
  t.is(ins.kind === 'RUN' && ins.heredocs[0]!.content, 'echo hi\n');
  t.is(errorOf(t, () => parseTrigger('RUN a\nRUN b', at)).code, 'DF_ONBUILD_INVALID');
  const e = errorOf(t, () => parseTrigger('RUN <<EOF\nnever ends', at));
  t.is(e.code, 'DF_HEREDOC_UNTERMINATED');
  t.deepEqual(e.start, [7, 1]);
});
