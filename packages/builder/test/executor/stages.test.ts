// Stage scheduling: independent stages run at the same time (bounded), a stage waits for what it
// needs, the first failure cancels the others, and --target prunes.
import test from 'ava';
import { harness } from './helpers.js';

const PARALLEL = `FROM scratch AS a
RUN slow-a
FROM scratch AS b
RUN slow-b
FROM scratch
COPY --from=a / /a/
COPY --from=b / /b/
RUN fast-final
`;

test('independent stages run in parallel, up to the bound', async (t) => {
  const h = await harness();
  h.runner.delayMs = 200;
  await h.build(PARALLEL);
  t.is(h.runner.maxConcurrent, 2);
  t.is(h.runner.runs.at(-1)?.argv.at(-1), 'fast-final', 'the final stage runs after both');
});

test('maxParallelStages 1 builds one stage at a time', async (t) => {
  const h = await harness();
  h.runner.delayMs = 50;
  await h.build(PARALLEL, { maxParallelStages: 1 });
  t.is(h.runner.maxConcurrent, 1);
});

test('the first failing stage cancels the others and its error is the one reported', async (t) => {
  const h = await harness();
  h.runner.delayMs = 5000;
  const df = 'FROM scratch AS a\nRUN fast exit 3\nFROM scratch AS b\nRUN slow-b\nFROM scratch\nCOPY --from=a / /a/\nCOPY --from=b / /b/\n';
  const t0 = Date.now();
  const e = (await t.throwsAsync(h.build(df))) as Error & { code: string; location?: { start: { line: number } } };
  t.is(e.code, 'RUN_FAILED');
  t.is(e.location?.start.line, 2);
  t.true(Date.now() - t0 < 3000, 'the slow stage was cancelled, not awaited');
});

test('--target builds only the stages it needs', async (t) => {
  const h = await harness();
  const df = 'FROM scratch AS base\nRUN fast-base\nFROM base AS broken\nRUN fast exit 1\nFROM base AS wanted\nRUN fast-wanted\n';
  const { result } = await h.build(df, { target: 'wanted' });
  t.deepEqual(h.runner.runs.map((r) => r.argv.at(-1)), ['fast-base', 'fast-wanted']);
  t.is(result.totalSteps, 2);
});

// BuildKit refuses a malformed base name before asking any store or registry ("invalid reference
// format"): a Dockerfile error at the FROM line, exit 2, not an image that was not found.
for (const [what, df, line] of [
  ['an empty tag from an unset ARG', 'ARG V\nFROM localhost/busybox:${V}\nRUN true\n', 2],
  ['capitals', 'FROM scratch AS a\nFROM Busybox\n', 2],
] as const) {
  test(`a malformed base image name is DF_INVALID_REFERENCE at its FROM line: ${what}`, async (t) => {
    const h = await harness();
    const e = (await t.throwsAsync(h.build(df))) as Error & { code: string; location: { start: { line: number } }; exitCode: number };
    t.is(e.code, 'DF_INVALID_REFERENCE');
    t.is(e.location.start.line, line);
    t.is(e.exitCode, 2);
    t.regex(e.message, /invalid reference format/);
  });
}
