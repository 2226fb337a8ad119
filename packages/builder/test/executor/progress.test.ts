import test from 'ava';
import { Writable } from 'node:stream';
import { createProgress } from '../../src/progress/index.js';
import { formatErrorReport, renderExcerpt } from '../../src/progress/error-report.js';
import { formatDuration, formatSize } from '../../src/progress/format.js';

function capture(): Writable & { text: () => string } {
  let buf = '';
  const w = new Writable({
    write(chunk: Buffer, _e, cb) {
      buf += chunk.toString();
      cb();
    },
  }) as Writable & { text: () => string };
  w.text = () => buf;
  return w;
}

const step = { id: 3, label: 'builder 2/4', text: 'RUN make', file: 'Dockerfile', line: 7 };

test('plain: numbered steps with their line, every log line with its time, CACHED, DONE with size', (t) => {
  const err = capture();
  const p = createProgress('plain', { err, out: capture() });
  p.emit({ type: 'step-start', time: 1000, step });
  p.emit({ type: 'step-log', time: 1250, step, stream: 'stdout', data: 'one\ntw' });
  p.emit({ type: 'step-log', time: 1500, step, stream: 'stdout', data: 'o\n' });
  p.emit({ type: 'step-done', time: 2000, step, durationMs: 1000, sizeBytes: 1234 });
  p.emit({ type: 'step-cached', time: 2000, step: { ...step, id: 4, text: 'COPY a /b' } });
  t.is(
    err.text(),
    '#3 [builder 2/4] RUN make (Dockerfile:7)\n#3 0.250 one\n#3 0.500 two\n#3 DONE 1.0s (layer 1.23kB)\n\n' +
      '#4 [builder 2/4] COPY a /b (Dockerfile:7)\n#4 CACHED\n\n',
  );
});

test('plain: a long log is never clipped', (t) => {
  const err = capture();
  const p = createProgress('plain', { err, out: capture() });
  p.emit({ type: 'step-start', time: 0, step });
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`);
  p.emit({ type: 'step-log', time: 0, step, stream: 'stderr', data: `${lines.join('\n')}\n` });
  t.is(err.text().split('\n').filter((l) => l.startsWith('#3 0.000 line ')).length, 5000);
});

test('json: one parseable event per line', (t) => {
  const err = capture();
  const p = createProgress('json', { err, out: capture() });
  p.emit({ type: 'step-start', time: 1, step });
  p.emit({ type: 'step-cached', time: 2, step });
  const events = err.text().trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  t.deepEqual(events.map((e) => e.type), ['step-start', 'step-cached']);
});

test('quiet prints nothing (the CLI prints the image id) and auto is plain off a terminal', (t) => {
  const err = capture();
  const out = capture();
  const q = createProgress('quiet', { err, out });
  q.emit({ type: 'step-start', time: 1, step });
  q.emit({ type: 'build-done', time: 2, durationMs: 1, cachedSteps: 0, totalSteps: 1, imageId: 'sha256:ab', sizeBytes: 1, tags: [] });
  t.is(err.text() + out.text(), '');
  const a = createProgress('auto', { err, out });
  a.emit({ type: 'step-cached', time: 1, step });
  t.regex(err.text(), /^#3 \[builder 2\/4\] RUN make/);
});

test('tty: finished steps scroll away, the summary stays', async (t) => {
  const err = Object.assign(capture(), { isTTY: true, columns: 80 });
  const p = createProgress('tty', { err, out: capture(), env: {} });
  p.emit({ type: 'step-start', time: Date.now(), step });
  p.emit({ type: 'step-log', time: Date.now(), step, stream: 'stdout', data: 'compiling\n' });
  p.emit({ type: 'step-done', time: Date.now(), step, durationMs: 1500 });
  p.emit({ type: 'build-done', time: Date.now(), durationMs: 2000, cachedSteps: 1, totalSteps: 3, imageId: 'sha256:0123456789abcdef', sizeBytes: 2e6, tags: ['demo'] });
  await p.close();
  t.regex(err.text(), / => \[builder 2\/4\] RUN make \(Dockerfile:7\) {2}1\.5s/);
  t.regex(err.text(), /Built in 2\.0s: 1\/3 steps cached, image 0123456789ab \(2\.00MB\), tagged demo/);
});

test('error report: excerpt with a marker, the cause, the last output lines', (t) => {
  const text = 'FROM busybox\nRUN echo before\nRUN exit 3\nRUN echo never\n';
  const loc = { file: 'Dockerfile', start: { line: 3, column: 1 }, end: { line: 3, column: 10 } };
  const excerpt = renderExcerpt(text, loc);
  t.is(excerpt, 'Dockerfile:3\n--------------------\n 1 |     FROM busybox\n 2 |     RUN echo before\n 3 | >>> RUN exit 3\n 4 |     RUN echo never\n 5 |     \n--------------------');
  const report = formatErrorReport({ message: 'exit code: 3', code: 'RUN_FAILED', details: { excerpt, logTail: ['out1'], step: '[2/3] RUN exit 3' } });
  t.regex(report, / > \[2\/3\] RUN exit 3:\nout1\n------/);
  t.regex(report, /ERROR: exit code: 3 \[RUN_FAILED\]/);
});

test('sizes and durations read like docker', (t) => {
  t.is(formatSize(999), '999B');
  t.is(formatSize(1234), '1.23kB');
  t.is(formatSize(45_600_000), '45.6MB');
  t.is(formatDuration(300), '0.3s');
  t.is(formatDuration(123_400), '2m3.4s');
});

test('an unknown mode is a usage error, never an undefined renderer', (t) => {
  t.throws(() => createProgress(['plain', 'json'] as unknown as 'plain', { err: capture(), out: capture() }), { code: 'USAGE_PROGRESS' });
});
