// Opening a context: the directory, the Dockerfile (default names, -f, size cap, never blocking).
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { openContext } from '../../src/context/index.js';
import { codeOf, makeTree, mkfifo, removeTempDirs } from './helpers.js';

test.after.always(removeTempDirs);

test('reads Dockerfile from the context by default', (t) => {
  const dir = makeTree({ Dockerfile: 'FROM scratch\n' });
  const ctx = openContext(dir);
  t.is(ctx.dockerfile.text, 'FROM scratch\n');
  t.is(ctx.dockerfile.path, path.join(dir, 'Dockerfile'));
  t.is(ctx.dir, dir);
});

test('falls back to a lowercase dockerfile like the docker CLI', (t) => {
  const dir = makeTree({ dockerfile: 'FROM lower\n' });
  t.is(openContext(dir).dockerfile.text, 'FROM lower\n');
});

test('-f is relative to the working directory', (t) => {
  const dir = makeTree({ build: { 'x.Dockerfile': 'FROM x\n' } });
  t.is(openContext('.', { cwd: dir, dockerfile: 'build/x.Dockerfile' }).dockerfile.text, 'FROM x\n');
});

test('text given by the caller (-f -) is used as is', (t) => {
  const dir = makeTree({});
  t.is(openContext(dir, { dockerfileText: 'FROM stdin\n' }).dockerfile.text, 'FROM stdin\n');
});

test('errors: missing context, missing Dockerfile, too large, a directory, a FIFO', (t) => {
  const dir = makeTree({ big: 'x'.repeat(2000), adir: {} });
  t.is(codeOf(() => openContext(path.join(dir, 'nope'))), 'CONTEXT_NOT_DIRECTORY');
  t.is(codeOf(() => openContext(path.join(dir, 'big'))), 'CONTEXT_NOT_DIRECTORY');
  t.is(codeOf(() => openContext(dir)), 'DOCKERFILE_UNREADABLE');
  t.is(codeOf(() => openContext(dir, { dockerfile: path.join(dir, 'big'), maxDockerfileBytes: 1000 })), 'DOCKERFILE_TOO_LARGE');
  t.is(codeOf(() => openContext(dir, { dockerfile: path.join(dir, 'adir') })), 'DOCKERFILE_UNREADABLE');
  mkfifo(path.join(dir, 'fifo'));
  t.is(codeOf(() => openContext(dir, { dockerfile: path.join(dir, 'fifo') })), 'DOCKERFILE_UNREADABLE');
});

test('errors are usage errors (exit 2)', (t) => {
  const dir = makeTree({});
  const err = t.throws(() => openContext(dir));
  t.is((err as { exitCode?: number }).exitCode, 2);
  t.true(fs.existsSync(dir));
});
