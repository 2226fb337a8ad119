// COPY source matching: plain paths, directories, globs, symlinks (CTX-01), traversal (CTX-02),
// .dockerignore (CTX-05) and the reasons a source is missing.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { openContext, type MatchOptions } from '../../src/context/index.js';
import { codeOf, countingFs, makeSandbox, makeTree, removeTempDirs } from './helpers.js';

test.after.always(removeTempDirs);

const TREE = {
  Dockerfile: 'FROM scratch',
  '.dockerignore': '# secrets\n.env\nlogs\n*.tmp\n!keep.tmp\nbuild/**/*.o',
  'a.txt': 'a', 'b.txt': 'b', 'c.md': 'c', '.env': 'SECRET=1', 'x.tmp': 'tmp', 'keep.tmp': 'keep',
  'star*name': 'literal star',
  src: { 'main.ts': 'main', 'util.ts': 'util', lib: { 'deep.ts': 'deep' }, 'link-to-a': { link: '../a.txt' } },
  logs: { 'out.log': 'log' },
  build: { 'x.o': 'obj', sub: { 'y.o': 'obj', 'y.c': 'c' } },
  'link-dir': { link: 'src' },
  'link-abs': { link: '/src/main.ts' },
};

const matches = test.macro({
  exec(t, sources: string[], expected: string[], opts?: MatchOptions) {
    const dir = makeTree(TREE);
    const result = openContext(dir).match(sources, opts);
    t.deepEqual(result.entries.map((e) => `${e.source}:${e.rel || '.'}=${e.path || '.'}${e.type === 'symlink' ? `->${e.linkTarget}` : ''}`), expected);
  },
  title: (given, sources: string[], _expected: string[], opts?: MatchOptions) =>
    `${given ?? 'match'} ${JSON.stringify(sources)}${opts === undefined ? '' : ` ${JSON.stringify(opts)}`}`,
});

test(matches, ['a.txt'], ['0:a.txt=a.txt']);
test(matches, ['/a.txt', './b.txt'], ['0:a.txt=a.txt', '1:b.txt=b.txt']);
test(matches, ['../../a.txt'], ['0:a.txt=a.txt']);
test(matches, ['src/../a.txt'], ['0:a.txt=a.txt']);
test(matches, ['src'], ['0:.=src', '0:lib=src/lib', '0:lib/deep.ts=src/lib/deep.ts', '0:link-to-a=src/link-to-a->../a.txt', '0:main.ts=src/main.ts', '0:util.ts=src/util.ts']);
test(matches, ['src/'], ['0:.=src', '0:lib=src/lib', '0:lib/deep.ts=src/lib/deep.ts', '0:link-to-a=src/link-to-a->../a.txt', '0:main.ts=src/main.ts', '0:util.ts=src/util.ts']);
test(matches, ['*.txt'], ['0:a.txt=a.txt', '0:b.txt=b.txt']);
test(matches, ['?.md', '[ab].txt'], ['0:c.md=c.md', '1:a.txt=a.txt', '1:b.txt=b.txt']);
test(matches, ['src/*.ts'], ['0:main.ts=src/main.ts', '0:util.ts=src/util.ts']);
test(matches, ['*/*.ts'], ['0:main.ts=src/main.ts', '0:util.ts=src/util.ts']);
test(matches, ['s*'], [
  '0:.=src', '0:lib=src/lib', '0:lib/deep.ts=src/lib/deep.ts', '0:link-to-a=src/link-to-a->../a.txt', '0:main.ts=src/main.ts', '0:util.ts=src/util.ts',
  '0:star*name=star*name',
]);
test(matches, ['star[*]name'], ['0:star*name=star*name']);
test(matches, ['*.tmp'], ['0:keep.tmp=keep.tmp']);
test(matches, ['build'], ['0:.=build', '0:sub=build/sub', '0:sub/y.c=build/sub/y.c']);
test(matches, ['*.nothing'], []);
test('a wildcard below a file matches nothing', matches, ['a.txt/*'], []);
test(matches, ['[z-'], []);
test('symlink source followed in-root', matches, ['link-dir/main.ts', 'src/link-to-a', 'link-abs'], ['0:main.ts=src/main.ts', '1:link-to-a=a.txt', '2:link-abs=src/main.ts']);
test('symlink dir source brings the target contents', matches, ['link-dir/lib'], ['0:.=src/lib', '0:deep.ts=src/lib/deep.ts']);
test('symlink source kept when not following', matches, ['src/link-to-a'], ['0:link-to-a=src/link-to-a->../a.txt'], { followSymlinks: false });
test('--exclude', matches, ['src'], ['0:.=src', '0:link-to-a=src/link-to-a->../a.txt', '0:main.ts=src/main.ts'], { excludes: ['lib', 'util.*'] });
test('--exclude applies to a file source by name', matches, ['*.txt'], ['0:a.txt=a.txt'], { excludes: ['b.txt'] });
test('--exclude with an exception', matches, ['src/lib', 'src'], ['0:.=src/lib', '1:.=src', '1:main.ts=src/main.ts'],
  { excludes: ['*', '!main.ts'] });

test('the whole context leaves out what .dockerignore excludes', (t) => {
  const dir = makeTree(TREE);
  const paths = openContext(dir).match(['.']).entries.map((e) => e.path);
  for (const gone of ['.env', 'logs', 'logs/out.log', 'x.tmp', 'build/x.o', 'build/sub/y.o']) t.false(paths.includes(gone), gone);
  for (const kept of ['', 'a.txt', 'keep.tmp', 'build/sub/y.c', 'Dockerfile', '.dockerignore', 'link-dir']) t.true(paths.includes(kept), kept);
});

const fails = test.macro({
  exec(t, source: string, code: string, line?: number) {
    const { ctx } = makeSandbox(TREE);
    const err = t.throws(() => openContext(ctx).match([source]));
    t.is((err as { code?: string }).code, code);
    if (line !== undefined) t.is((err as { details?: { line?: number } }).details?.line, line);
  },
  title: (given, source: string, code: string, _line?: number) => `${given ?? 'missing'} ${JSON.stringify(source)} → ${code}`,
});

test(fails, 'nope.txt', 'COPY_SOURCE_NOT_FOUND');
test(fails, 'star\\*name', 'COPY_SOURCE_NOT_FOUND');
test(fails, 'src/nope', 'COPY_SOURCE_NOT_FOUND');
test(fails, 'a.txt/x', 'COPY_SOURCE_NOT_FOUND');
test(fails, '.env', 'COPY_EXCLUDED', 2);
test(fails, 'logs/out.log', 'COPY_EXCLUDED', 3);
test(fails, 'x.tmp', 'COPY_EXCLUDED', 4);
test(fails, 'build/sub/y.o', 'COPY_EXCLUDED', 6);
// BuildKit joins every source onto "/": `..` is clamped, and what is missing then is "not found".
test('clamped at the root, then missing', fails, '../marker', 'COPY_SOURCE_NOT_FOUND');
test('a missing directory before a wildcard', fails, 'nodir/*.txt', 'COPY_SOURCE_NOT_FOUND');
test('an excluded directory before a wildcard', fails, 'logs/*.log', 'COPY_EXCLUDED', 3);
test(fails, '/../../marker', 'COPY_SOURCE_NOT_FOUND');
test('a missing directory before a wildcard, clamped', fails, '../nodir/*.txt', 'COPY_SOURCE_NOT_FOUND');

test('a clamped source that is missing says it was clamped', (t) => {
  const { ctx } = makeSandbox(TREE);
  const err = t.throws(() => openContext(ctx).match(['../marker'])) as { code?: string; details?: { clamped?: boolean; path?: string } };
  t.is(err.code, 'COPY_SOURCE_NOT_FOUND');
  t.true(err.details?.clamped);
  t.is(err.details?.path, 'marker');
});

test('a symlink to an excluded file is excluded', (t) => {
  const dir = makeTree({ ...TREE, 'env-link': { link: '.env' } });
  const err = t.throws(() => openContext(dir).match(['env-link']));
  t.is((err as { code?: string }).code, 'COPY_EXCLUDED');
});

test('CTX-01: symlinks out of the context never leak the bytes of a host file', (t) => {
  const { sandbox, ctx, marker } = makeSandbox({ Dockerfile: 'FROM scratch' });
  fs.symlinkSync(path.join(sandbox, 'marker'), path.join(ctx, 'link'));
  fs.symlinkSync('../../', path.join(ctx, 'dir'));
  fs.symlinkSync('/', path.join(ctx, 'abs'));
  fs.symlinkSync('b', path.join(ctx, 'a'));
  fs.symlinkSync('a', path.join(ctx, 'b'));
  const counter = countingFs();
  const context = openContext(ctx, { fs: counter });
  t.is(codeOf(() => context.match(['link'])), 'COPY_OUTSIDE_CONTEXT');
  t.is(codeOf(() => context.match([`abs${sandbox}/marker`])), 'COPY_OUTSIDE_CONTEXT');
  t.is(codeOf(() => context.match(['dir/marker'])), 'COPY_OUTSIDE_CONTEXT');
  const started = Date.now();
  t.is(codeOf(() => context.match(['a'])), 'CONTEXT_SYMLINK_LOOP');
  t.true(Date.now() - started < 1000);
  // `dir` and `abs` resolve to the context root itself: copying them copies the context, never the host.
  const entries = context.match(['dir', 'abs', '.'], { followSymlinks: true }).entries;
  t.true(entries.every((e) => !e.path.startsWith('..') && String(e.host).startsWith(ctx)));
  const all = context.match(['.']);
  t.deepEqual(all.entries.filter((e) => e.type === 'symlink').map((e) => e.path).sort(), ['a', 'abs', 'b', 'dir', 'link']);
  const digests = context.entryDigests(all.entries);
  const text = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x));
  t.false(text(digests).includes(marker));
  t.false(text(all).includes(marker));
  t.true(counter.opened.length > 0);
  t.true(counter.opened.every((p) => p.startsWith(`${ctx}/`)), 'only context files are ever opened');
});

test('CTX-02: traversal is clamped to the context root', (t) => {
  const { ctx } = makeSandbox({ Dockerfile: 'FROM scratch', x: 'inside', sub: {} });
  const result = openContext(ctx).match(['../x', 'sub/../../../x', '/x']);
  t.deepEqual(result.entries.map((e) => e.path), ['x', 'x', 'x']);
  t.is(result.warnings.length, 2);
});

test('matched names keep the name written in the source, not the symlink target', (t) => {
  const dir = makeTree({ Dockerfile: 'FROM scratch', real: 'r', alias: { link: 'real' } });
  const [m] = openContext(dir).match(['alias']).sources;
  t.is(m?.name, 'alias');
  t.is(m?.matchedPath, 'alias');
  t.is(m?.path, 'real');
  t.is(m?.type, 'file');
});

test('an excluded directory exists only as the parent of what a ! line re-includes', (t) => {
  const dir = makeTree({ Dockerfile: 'FROM scratch', '.dockerignore': 'dir\nempty\n!dir/keep\n!empty/none', dir: { keep: 'k', drop: 'd' }, empty: { x: 'x' } });
  const ctx = openContext(dir);
  t.deepEqual(ctx.match(['dir']).entries.map((e) => e.rel), ['', 'keep']);
  t.deepEqual(ctx.match(['dir/keep']).entries.map((e) => e.path), ['dir/keep']);
  t.is(codeOf(() => ctx.match(['dir/drop'])), 'COPY_EXCLUDED');
  t.is(codeOf(() => ctx.match(['empty'])), 'COPY_EXCLUDED');
  t.is(codeOf(() => ctx.match(['empty/*'])), 'COPY_EXCLUDED');
  t.deepEqual(ctx.match(['.']).entries.map((e) => e.path).filter((p) => p.startsWith('dir') || p.startsWith('empty')), ['dir', 'dir/keep']);
});
