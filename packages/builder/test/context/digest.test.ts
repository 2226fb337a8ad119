// Content digests and the persistent stat cache: an unchanged context is never re-read.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { openContext, type BuildContext } from '../../src/context/index.js';
import { countingFs, LATER, makeTree, removeTempDirs, tempDir, type Spec } from './helpers.js';

test.after.always(removeTempDirs);

const TREE: Spec = {
  Dockerfile: 'FROM scratch',
  '.dockerignore': 'ignored',
  'a.txt': 'alpha', 'b.txt': 'beta', ignored: 'not part of the context',
  src: { 'main.ts': 'main', deep: { 'x.bin': 'x'.repeat(3 * 1024 * 1024 + 17) } },
  link: { link: 'a.txt' },
};

function setup(spec: Spec = TREE): { dir: string; state: string } {
  return { dir: makeTree(spec), state: tempDir('tsbuild-state-') };
}

function digestOf(ctx: BuildContext, sources = ['.']): string {
  return ctx.digest(ctx.match(sources).entries);
}

test('the second digest of an unchanged tree reads no file', (t) => {
  const { dir, state } = setup();
  const counter = countingFs();
  const first = digestOf(openContext(dir, { stateDir: state, fs: counter, now: LATER }));
  t.is(counter.opened.length, 6); // Dockerfile, .dockerignore, a.txt, b.txt, main.ts, x.bin
  counter.reset();
  const second = digestOf(openContext(dir, { stateDir: state, fs: counter, now: LATER }));
  t.is(counter.opened.length, 0);
  t.is(second, first);
  t.regex(first, /^sha256:[0-9a-f]{64}$/);
});

test('changing one file re-reads only that file, and changes the digest', (t) => {
  const { dir, state } = setup();
  const counter = countingFs();
  const first = digestOf(openContext(dir, { stateDir: state, fs: counter, now: LATER }));
  fs.writeFileSync(path.join(dir, 'src/main.ts'), 'main, edited');
  counter.reset();
  const second = digestOf(openContext(dir, { stateDir: state, fs: counter, now: LATER }));
  t.deepEqual(counter.opened, [path.join(dir, 'src/main.ts')]);
  t.not(second, first);
});

test('an mtime-only change re-hashes the file but keeps the digest', (t) => {
  const { dir, state } = setup();
  const counter = countingFs();
  const first = digestOf(openContext(dir, { stateDir: state, fs: counter, now: LATER }));
  fs.utimesSync(path.join(dir, 'b.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1));
  counter.reset();
  const second = digestOf(openContext(dir, { stateDir: state, fs: counter, now: LATER }));
  t.deepEqual(counter.opened, [path.join(dir, 'b.txt')]);
  t.is(second, first);
  counter.reset();
  digestOf(openContext(dir, { stateDir: state, fs: counter, now: LATER }));
  t.is(counter.opened.length, 0);
});

test('files changed within the racy window are hashed again next time', (t) => {
  const { dir, state } = setup({ Dockerfile: 'FROM scratch', fresh: 'new' });
  const counter = countingFs();
  digestOf(openContext(dir, { stateDir: state, fs: counter }));
  counter.reset();
  digestOf(openContext(dir, { stateDir: state, fs: counter }));
  t.deepEqual(counter.opened.sort(), [path.join(dir, 'Dockerfile'), path.join(dir, 'fresh')]);
});

test('ignored files are not read and do not change the digest (CTX-05)', (t) => {
  const { dir, state } = setup();
  const counter = countingFs();
  const first = digestOf(openContext(dir, { stateDir: state, fs: counter, now: LATER }));
  t.false(counter.opened.includes(path.join(dir, 'ignored')));
  fs.writeFileSync(path.join(dir, 'ignored'), 'changed secret');
  t.is(digestOf(openContext(dir, { stateDir: state, now: LATER })), first);
});

const changes: Array<[string, (dir: string) => void]> = [
  ['content', (d) => fs.writeFileSync(path.join(d, 'a.txt'), 'ALPHA')],
  ['mode', (d) => fs.chmodSync(path.join(d, 'a.txt'), 0o755)],
  ['a new file', (d) => fs.writeFileSync(path.join(d, 'src/new.ts'), '')],
  ['a removed file', (d) => fs.rmSync(path.join(d, 'b.txt'))],
  ['a rename', (d) => fs.renameSync(path.join(d, 'b.txt'), path.join(d, 'c.txt'))],
  ['a symlink target', (d) => { fs.rmSync(path.join(d, 'link')); fs.symlinkSync('b.txt', path.join(d, 'link')); }],
  ['an empty directory', (d) => fs.mkdirSync(path.join(d, 'empty'))],
  ['a big file', (d) => fs.appendFileSync(path.join(d, 'src/deep/x.bin'), 'y')],
];
for (const [what, change] of changes) {
  test(`the digest changes with ${what}`, (t) => {
    const { dir, state } = setup();
    const before = digestOf(openContext(dir, { stateDir: state, now: LATER }));
    change(dir);
    t.not(digestOf(openContext(dir, { stateDir: state, now: LATER })), before);
  });
}

test('the digest ignores mtimes, ownership and where the context lives', (t) => {
  const one = setup();
  const two = setup();
  fs.utimesSync(path.join(two.dir, 'a.txt'), new Date(1999, 1, 1), new Date(1999, 1, 1));
  if (process.getuid?.() === 0) fs.lchownSync(path.join(two.dir, 'a.txt'), 1234, 5678);
  t.is(digestOf(openContext(two.dir, { stateDir: two.state })), digestOf(openContext(one.dir, { stateDir: one.state })));
});

test('the digest depends on which source an entry came from', (t) => {
  const { dir } = setup({ Dockerfile: 'FROM scratch', d1: { f: 'A' }, d2: { f: 'B' } });
  const ctx = openContext(dir);
  t.not(digestOf(ctx, ['d1', 'd2']), digestOf(ctx, ['d2', 'd1']));
});

test('entryDigests gives content digests and modes per entry', (t) => {
  const { dir } = setup();
  const ctx = openContext(dir);
  const digests = ctx.entryDigests(ctx.match(['a.txt', 'link']).entries);
  t.deepEqual(digests.map((d) => d.path), ['a.txt', 'a.txt']);
  t.is(digests[0]?.digest, 'sha256:8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8');
  t.is(digests[0]?.mode, 0o644 & ~process.umask());
});

test('digestPath digests what COPY <path> brings', (t) => {
  const { dir } = setup();
  const ctx = openContext(dir);
  t.is(ctx.digestPath('src'), digestOf(ctx, ['src']));
  t.not(ctx.digestPath('src'), ctx.digestPath('.'));
});

test('the cache file is replaced atomically and a damaged one is ignored', (t) => {
  const { dir, state } = setup();
  const first = digestOf(openContext(dir, { stateDir: state, now: LATER }));
  const files = fs.readdirSync(state);
  t.is(files.length, 1);
  t.regex(files[0]!, /^context-[0-9a-f]{32}\.json$/);
  fs.writeFileSync(path.join(state, files[0]!), '{"format": "tsbuild-context-stat-cache/3", "entr');
  const counter = countingFs();
  t.is(digestOf(openContext(dir, { stateDir: state, fs: counter, now: LATER })), first);
  t.true(counter.opened.length > 0);
  t.deepEqual(fs.readdirSync(state), files);
});

test('a file that changes size while being hashed is an error, not a wrong digest', (t) => {
  const { dir } = setup();
  const ctx = openContext(dir, { fs: { ...countingFs(), fstat: (fd) => { const s = fs.fstatSync(fd, { bigint: true }); s.size += 1n; return s; } } });
  const err = t.throws(() => digestOf(ctx, ['a.txt']));
  t.is((err as { code?: string }).code, 'CONTEXT_FILE_CHANGED');
});

test('files over the size cap are refused', (t) => {
  const { dir } = setup();
  const ctx = openContext(dir, { maxFileBytes: 1024 });
  const err = t.throws(() => digestOf(ctx, ['src']));
  t.is((err as { code?: string }).code, 'CONTEXT_FILE_TOO_LARGE');
});

test('cache entries unused for a month are dropped on the next save', (t) => {
  const { dir, state } = setup();
  digestOf(openContext(dir, { stateDir: state, now: LATER }));
  const file = path.join(state, fs.readdirSync(state)[0]!);
  const body = JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: Record<string, unknown[]> };
  body.entries['ghost'] = ['1:2:3:4:5:33188', 'f'.repeat(64), 0];
  fs.writeFileSync(file, JSON.stringify(body));
  fs.writeFileSync(path.join(dir, 'a.txt'), 'changed');
  digestOf(openContext(dir, { stateDir: state, now: LATER }));
  const after = JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: Record<string, unknown[]> };
  t.false('ghost' in after.entries);
  t.true('a.txt' in after.entries);
});
