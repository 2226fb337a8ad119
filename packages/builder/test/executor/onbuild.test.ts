// ONBUILD: a base image's triggers run at the FROM that uses it, before the stage's own steps, and
// the new image does not keep them.
import test from 'ava';
import { harness } from './helpers.js';

test('the triggers of a base image run first, in order, and are not inherited', async (t) => {
  const h = await harness();
  await h.write({ 'x.txt': 'x' });
  await h.store.addImage('base', { config: { OnBuild: ['RUN first-trigger', 'COPY x.txt /x', 'ENV FROM_TRIGGER=1'] } });
  const { result, progress } = await h.build('FROM base\nRUN own-step\n');
  t.deepEqual(h.runner.runs.map((r) => r.argv.at(-1)), ['first-trigger', 'own-step']);
  t.true(h.runner.runs[1]?.env.includes('FROM_TRIGGER=1'));
  t.is(result.image.config.config.OnBuild ?? null, null);
  t.deepEqual(progress.outcomes(), ['RAN RUN first-trigger', 'RAN COPY x.txt /x', 'RAN RUN own-step']);
  const labels = progress.events.flatMap((e) => (e.type === 'step-start' ? [e.step.label] : []));
  t.true(labels.includes('onbuild'));
});

test('an invalid trigger fails at the FROM line', async (t) => {
  const h = await harness();
  await h.store.addImage('bad', { config: { OnBuild: ['FROM other'] } });
  const e = (await t.throwsAsync(h.build('# base with a bad trigger\nFROM bad\n'))) as Error & { code: string; exitCode: number; location: { start: { line: number } } };
  t.is(e.exitCode, 2);
  t.is(e.location.start.line, 2);
});
