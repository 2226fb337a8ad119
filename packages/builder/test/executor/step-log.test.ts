// StepLog (RES-04): progress gets every byte, the store's log file at most LOG_FILE_CAP plus one notice.
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LOG_FILE_CAP, StepLog } from '../../src/executor/step-log.js';
import type { ProgressEvent } from '../../src/progress/index.js';

const step = { id: 2, label: '2/2', text: 'RUN yes', file: 'Dockerfile', line: 2 };

test('a flood is clipped in the file with one notice, and reaches progress whole', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tsbuild-steplog-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let streamed = 0;
  const progress = { emit: (e: ProgressEvent) => void (e.type === 'step-log' && (streamed += e.data.length)), close: async () => undefined };
  const log = new StepLog(path.join(dir, 'x.log'), progress, step);
  const chunk = Buffer.alloc(64 * 1024, 'y');
  const total = LOG_FILE_CAP + 40 * chunk.length;
  for (let sent = 0; sent < total; sent += chunk.length) {
    await new Promise<void>((r) => log.stdout.write(chunk, () => r()));
  }
  await log.close();
  t.is(streamed, total);
  const text = await readFile(path.join(dir, 'x.log'), 'utf8');
  t.true(text.startsWith('y'.repeat(1000)));
  t.is(text.match(/log file clipped/g)?.length, 1);
  t.true(text.length < LOG_FILE_CAP + 200, `${text.length} bytes`);
  t.true(text.indexOf('clipped') >= LOG_FILE_CAP, 'the notice comes after the kept bytes');
});

test('output under the cap is kept whole, without a notice', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tsbuild-steplog-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const log = new StepLog(path.join(dir, 'x.log'), { emit: () => undefined, close: async () => undefined }, step);
  await new Promise<void>((r) => log.stdout.write('one\ntwo\n', () => r()));
  await new Promise<void>((r) => log.stderr.write('three\n', () => r()));
  await log.close();
  t.is(await readFile(path.join(dir, 'x.log'), 'utf8'), 'one\ntwo\nthree\n');
  t.deepEqual(log.tail(), ['one', 'two', 'three']);
});
