// CTX-04: hostile context contents. Nothing blocks, nothing overflows, every failure is typed.
import test from 'ava';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { nodeFs, openContext } from '../../src/context/index.js';
import { codeOf, LATER, makeTree, mkfifo, removeTempDirs } from './helpers.js';

test.after.always(removeTempDirs);

test('FIFOs and sockets in a copied directory are skipped with a warning, never opened', async (t) => {
  const dir = makeTree({ Dockerfile: 'FROM scratch', d: { 'a.txt': 'a' } });
  mkfifo(path.join(dir, 'd/fifo'));
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(path.join(dir, 'd/sock'), resolve));
  try {
    const ctx = openContext(dir);
    const result = ctx.match(['d']);
    t.deepEqual(result.entries.map((e) => e.rel), ['', 'a.txt']);
    t.is(result.warnings.length, 2);
    t.regex(ctx.digest(result.entries), /^sha256:/);
    t.is(codeOf(() => ctx.match(['d/fifo'])), 'CONTEXT_SPECIAL_FILE');
    t.is(codeOf(() => ctx.match(['d/sock'])), 'CONTEXT_SPECIAL_FILE');
    t.is(codeOf(() => ctx.match(['d/f*'])), 'CONTEXT_SPECIAL_FILE');
  } finally {
    server.close();
  }
});

test('a file swapped for a FIFO after the walk is refused without blocking', (t) => {
  const dir = makeTree({ Dockerfile: 'FROM scratch', f: 'data' });
  const ctx = openContext(dir);
  const entries = ctx.match(['f']).entries;
  fs.rmSync(path.join(dir, 'f'));
  mkfifo(path.join(dir, 'f'));
  t.is(codeOf(() => ctx.digest(entries)), 'CONTEXT_FILE_CHANGED');
});

test('an unreadable directory is a clear error', (t) => {
  const dir = makeTree({ Dockerfile: 'FROM scratch', locked: { f: 'x' } });
  const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
  const ctx = openContext(dir, {
    fs: { ...nodeFs, lstatDir: (p) => { if (String(p).endsWith('locked')) throw denied; return nodeFs.lstatDir(p); } },
  });
  const err = t.throws(() => ctx.match(['.']));
  t.is((err as { code?: string }).code, 'CONTEXT_UNREADABLE');
  t.is((err as { details?: { path?: string } }).details?.path, 'locked');
  // Excluding it is the way out, and then it is never listed.
  fs.writeFileSync(path.join(dir, '.dockerignore'), 'locked');
  const ignoring = openContext(dir, {
    fs: { ...nodeFs, lstatDir: (p) => { if (String(p).endsWith('locked')) throw denied; return nodeFs.lstatDir(p); } },
  });
  t.notThrows(() => ignoring.match(['.']));
});

test('names with newlines and invalid UTF-8 are walked, read and digested deterministically', (t) => {
  const dir = makeTree({ Dockerfile: 'FROM scratch', 'new\nline': 'nl', d: {} });
  const raw = Buffer.concat([Buffer.from(path.join(dir, 'd')), Buffer.from('/bad-\xff\xfe-name', 'latin1')]);
  fs.writeFileSync(raw, 'invalid utf-8 name');
  const raw2 = Buffer.concat([Buffer.from(path.join(dir, 'd')), Buffer.from('/bad-\xff\xfd-name', 'latin1')]);
  fs.writeFileSync(raw2, 'another');
  const digest = (): string => {
    const ctx = openContext(dir, { now: LATER });
    return ctx.digest(ctx.match(['.']).entries);
  };
  const ctx = openContext(dir);
  const entries = ctx.match(['.']).entries;
  t.true(entries.some((e) => e.path === 'new\nline'));
  const bad = entries.filter((e) => e.pathBytes !== undefined);
  t.is(bad.length, 2);
  t.true(bad.every((e) => Buffer.isBuffer(e.host)));
  const first = digest();
  t.is(digest(), first);
  fs.writeFileSync(raw2, 'changed');
  t.not(digest(), first);
});

test('a deep tree does not overflow the stack', (t) => {
  const dir = makeTree({ Dockerfile: 'FROM scratch' });
  let p = dir;
  for (let i = 0; i < 1500; i++) p = path.join(p, 'd');
  fs.mkdirSync(p, { recursive: true });
  fs.writeFileSync(path.join(p, 'leaf'), 'leaf');
  const ctx = openContext(dir);
  const entries = ctx.match(['.']).entries;
  t.is(entries.length, 1 + 1 + 1500 + 1);
  t.regex(ctx.digest(entries), /^sha256:/);
});

test('a too-long path is a typed error', (t) => {
  const dir = makeTree({ Dockerfile: 'FROM scratch' });
  const ctx = openContext(dir, {
    fs: { ...nodeFs, lstatDir: (p) => { if (String(p).endsWith('/deep')) throw Object.assign(new Error('ENAMETOOLONG'), { code: 'ENAMETOOLONG' }); return nodeFs.lstatDir(p); } },
  });
  fs.mkdirSync(path.join(dir, 'deep'));
  t.is(codeOf(() => ctx.match(['.'])), 'CONTEXT_UNREADABLE');
});

test("an entry that cannot be lstat'ed is named in the error", (t) => {
  const dir = makeTree({ Dockerfile: 'FROM scratch', sub: { f: 'x' } });
  const failing = Object.assign(new Error('EIO: i/o error, lstat'), { code: 'EIO', entry: 'f' });
  const ctx = openContext(dir, {
    fs: { ...nodeFs, lstatDir: (p) => { if (String(p).endsWith('/sub')) throw failing; return nodeFs.lstatDir(p); } },
  });
  const err = t.throws(() => ctx.match(['.']));
  t.is((err as { code?: string }).code, 'CONTEXT_UNREADABLE');
  t.is((err as { details?: { path?: string } }).details?.path, 'sub/f');
});

test('a 1 TiB sparse file is refused at the size cap instead of hashed for minutes', (t) => {
  const dir = makeTree({ Dockerfile: 'FROM scratch' });
  try {
    fs.writeFileSync(path.join(dir, 'sparse'), '');
    fs.truncateSync(path.join(dir, 'sparse'), 1024 ** 4);
  } catch {
    t.pass('this file system cannot hold a 1 TiB sparse file');
    return;
  }
  const ctx = openContext(dir);
  const started = Date.now();
  const entries = ctx.match(['.']).entries;
  t.true(entries.some((e) => e.path === 'sparse' && e.size === 1024 ** 4));
  t.is(codeOf(() => ctx.digest(entries)), 'CONTEXT_FILE_TOO_LARGE');
  t.true(Date.now() - started < 5000);
});

test('the context digest is deterministic across runs (CTX-04)', (t) => {
  const dir = makeTree({ Dockerfile: 'FROM scratch', z: 'z', a: { b: 'b', c: { link: '../z' } }, 'Ä': 'umlaut', 'é': 'e', '😀': 'emoji' });
  const digests = new Set([0, 1, 2].map(() => {
    const ctx = openContext(dir);
    return ctx.digest(ctx.match(['.']).entries);
  }));
  t.is(digests.size, 1);
});
