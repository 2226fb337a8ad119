// Content digests and the persistent stat cache: an unchanged context is never re-read.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { digestSourceList, openContext, type BuildContext } from '../../src/context/index.js';
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

test('the cache files are replaced atomically and damaged ones are ignored', (t) => {
  const { dir, state } = setup();
  const first = digestOf(openContext(dir, { stateDir: state, now: LATER }));
  const files = fs.readdirSync(state).sort();
  t.is(files.length, 2);
  t.regex(files[0]!, /^context-[0-9a-f]{32}\.sets$/);
  t.regex(files[1]!, /^context-[0-9a-f]{32}\.stat$/);
  const damaged: Array<[string, (text: string) => string]> = [
    ['truncated', (text) => text.slice(0, text.length - 10)],
    ['one changed digit', (text) => text.replace(/[0-9a-f](?=[0-9a-f]{63}")/, (c) => (c === '0' ? '1' : '0'))],
    ['not JSON under a valid sum', () => `${createHash('sha256').update('{').digest('hex')}\n{`],
  ];
  for (const [what, damage] of damaged) {
    for (const f of files) fs.writeFileSync(path.join(state, f), damage(fs.readFileSync(path.join(state, f), 'utf8')));
    const counter = countingFs();
    t.is(digestOf(openContext(dir, { stateDir: state, fs: counter, now: LATER })), first, what);
    t.true(counter.opened.length > 0, what);
    t.deepEqual(fs.readdirSync(state).sort(), files, what);
  }
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

/** The rows of a stat-cache table file ("<sum>\n[format, root, [key, ...row, key, ...row]]"), by key. */
function readTable(file: string, width: number): Map<string, unknown[]> {
  const text = fs.readFileSync(file, 'utf8');
  const flat = (JSON.parse(text.slice(65)) as [string, string, unknown[]])[2];
  const rows = new Map<string, unknown[]>();
  for (let i = 0; i < flat.length; i += width + 1) rows.set(flat[i] as string, flat.slice(i + 1, i + 1 + width));
  return rows;
}

function writeTable(file: string, rows: Map<string, unknown[]>): void {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8').slice(65)) as [string, string, unknown[]];
  doc[2] = [...rows].flatMap(([k, row]) => [k, ...row]);
  const body = JSON.stringify(doc);
  fs.writeFileSync(file, `${createHash('sha256').update(body).digest('hex')}\n${body}`);
}

test('cache entries unused for a month are dropped on the next save', (t) => {
  const { dir, state } = setup();
  digestOf(openContext(dir, { stateDir: state, now: LATER }));
  const file = path.join(state, fs.readdirSync(state).find((f) => f.endsWith('.stat'))!);
  const rows = readTable(file, 3);
  rows.set('ghost', ['1:2:3:4:5:33188', 'f'.repeat(64), 0]);
  writeTable(file, rows);
  t.true(readTable(file, 3).has('ghost'));
  fs.writeFileSync(path.join(dir, 'a.txt'), 'changed');
  digestOf(openContext(dir, { stateDir: state, now: LATER }));
  const after = readTable(file, 3);
  t.false(after.has('ghost'));
  t.true(after.has('a.txt'));
});

test('a cache of the previous format is replaced', (t) => {
  const { dir, state } = setup();
  digestOf(openContext(dir, { stateDir: state, now: LATER }));
  const files = fs.readdirSync(state).sort();
  const old = path.join(state, files[0]!.replace(/\.sets$/, '.json'));
  fs.writeFileSync(old, '{"format":"tsbuild-context-stat-cache/3","entries":{}}');
  fs.writeFileSync(path.join(dir, 'a.txt'), 'changed');
  digestOf(openContext(dir, { stateDir: state, now: LATER }));
  t.deepEqual(fs.readdirSync(state).sort(), files);
});

// Source sets: what a COPY's key hashes.

function setOf(dir: string, state: string, fs2 = countingFs(), sources = ['.']): string {
  const ctx = openContext(dir, { stateDir: state, fs: fs2, now: LATER });
  return ctx.sourceSet(ctx.match(sources).entries).digest;
}

test('an unchanged tree digest (a RUN bind mount) is remembered too: no file read, no per-file table', (t) => {
  const { dir, state } = setup();
  const first = digestOf(openContext(dir, { stateDir: state, now: LATER }));
  fs.rmSync(path.join(state, fs.readdirSync(state).find((f) => f.endsWith('.stat'))!));
  const counter = countingFs();
  t.is(digestOf(openContext(dir, { stateDir: state, fs: counter, now: LATER })), first);
  t.deepEqual(counter.opened, []);
  t.not(setOf(dir, state), first, 'a set and a tree digest of the same entries are told apart');
});

test('an unchanged context gives its set digest without reading a file or the per-file table', (t) => {
  const { dir, state } = setup();
  const counter = countingFs();
  const first = setOf(dir, state, counter);
  t.true(counter.opened.length > 0);
  const files = fs.readdirSync(state).sort();
  t.is(files.length, 2);
  t.regex(files[0]!, /^context-[0-9a-f]{32}\.sets$/);
  // The per-file table is not needed for an unchanged set: removing it changes nothing and reads nothing.
  fs.rmSync(path.join(state, files[1]!));
  counter.reset();
  t.is(setOf(dir, state, counter), first);
  t.deepEqual(counter.opened, []);
  t.deepEqual(fs.readdirSync(state), [files[0]], 'a hit writes nothing');
});

test('the set digest is the digest of its list, whether or not the set was remembered', (t) => {
  const { dir, state } = setup();
  const ctx = openContext(dir, { stateDir: state, now: LATER });
  const first = ctx.sourceSet(ctx.match(['.']).entries);
  const again = openContext(dir, { stateDir: state, now: LATER });
  const remembered = again.sourceSet(again.match(['.']).entries);
  t.is(remembered.digest, first.digest);
  t.deepEqual(remembered.entries(), first.entries());
  t.is(digestSourceList(remembered.entries()), remembered.digest);
  t.deepEqual(first.entries().map((e) => e.path), [...first.entries().map((e) => e.path)].sort());
});

const setChanges: Array<[string, (dir: string) => void]> = [
  ...changes,
  ['same size and mtime, new content', (d) => {
    const p = path.join(d, 'a.txt');
    const { atime, mtime } = fs.statSync(p);
    fs.writeFileSync(p, 'ALPHA');
    fs.utimesSync(p, atime, mtime);
  }],
];
for (const [what, change] of setChanges) {
  test(`the set digest changes with ${what}`, (t) => {
    const { dir, state } = setup();
    const before = setOf(dir, state);
    t.is(setOf(dir, state), before, 'remembered');
    change(dir);
    t.not(setOf(dir, state), before);
  });
}

test('a set with a file in the racy window is not remembered', (t) => {
  const { dir, state } = setup({ Dockerfile: 'FROM scratch', fresh: 'new' });
  const counter = countingFs();
  const digestAt = (now?: () => bigint): string => {
    const ctx = openContext(dir, { stateDir: state, fs: counter, ...(now ? { now } : {}) });
    return ctx.sourceSet(ctx.match(['fresh']).entries).digest;
  };
  const first = digestAt();
  counter.reset();
  t.is(digestAt(), first);
  t.deepEqual(counter.opened, [path.join(dir, 'fresh')], 'hashed again: neither the file nor the set was remembered');
  counter.reset();
  t.is(digestAt(LATER), first);
  t.is(counter.opened.length, 1);
  counter.reset();
  t.is(digestAt(LATER), first);
  t.deepEqual(counter.opened, [], 'once old enough, both are remembered');
});

test('a damaged sets file is ignored', (t) => {
  const { dir, state } = setup();
  const first = setOf(dir, state);
  const sets = path.join(state, fs.readdirSync(state).find((f) => f.endsWith('.sets'))!);
  fs.writeFileSync(sets, fs.readFileSync(sets, 'utf8').replace(/sha256:[0-9a-f]/, 'sha256:x'));
  t.is(setOf(dir, state), first);
});
