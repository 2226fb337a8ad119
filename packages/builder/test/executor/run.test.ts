// RUN dispatch: what the runner is asked (argv, env with ARGs, user, cwd, network, mounts), how
// failures read, and what never reaches the cache key or history (secret values).
import test from 'ava';
import { harness } from './helpers.js';

test('the runner gets the shell-form argv, image ENV plus ARGs, USER, WORKDIR and the network', async (t) => {
  const h = await harness();
  await h.build('FROM scratch\nENV A=1\nARG B=2\nARG UNSET\nUSER 1000:1000\nWORKDIR /w\nRUN go\nRUN --network=none quiet\n', { network: 'host' });
  const [go, quiet] = h.runner.runs;
  t.deepEqual(go?.argv, ['/bin/sh', '-c', 'go']);
  t.deepEqual(go?.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1', 'B=2']);
  t.is(go?.user, '1000:1000');
  t.is(go?.cwd, '/w');
  t.is(go?.network, 'host');
  t.is(go?.hostname, 'tsbuild');
  t.is(quiet?.network, 'none');
});

test('--network none for the build applies to steps that do not choose', async (t) => {
  const h = await harness();
  await h.build('FROM scratch\nRUN a\nRUN --network=host b\n', { network: 'none' });
  t.deepEqual(h.runner.runs.map((r) => r.network), ['none', 'host']);
});

test('history: RUN shows the build args it saw, like BuildKit; ARG values are not in the config', async (t) => {
  const h = await harness();
  const { result } = await h.build('FROM scratch\nARG V=1\nRUN make\n', { buildArgs: { V: '9' } });
  const h2 = result.image.config.history ?? [];
  t.deepEqual(h2.map((x) => x.created_by), ['ARG V=1', 'RUN |1 V=9 /bin/sh -c make # buildkit']);
  t.false((result.image.config.config.Env ?? []).some((e) => e.startsWith('V=')));
});

const failures: [string, string, RegExp][] = [
  ['exit status', 'RUN exit 3', /did not complete successfully: exit code: 3$/],
  ['OOM', 'RUN oom', /ran out of memory and was killed \(OOM\)/],
  ['signal', 'RUN killme', /killed by signal SIGKILL \(exit code: 137\)/],
];
for (const [what, line, re] of failures) {
  test(`a failing RUN (${what}) is RUN_FAILED at its line`, async (t) => {
    const h = await harness();
    const e = (await t.throwsAsync(h.build(`FROM scratch\n${line}\n`))) as Error & { code: string; location: { start: { line: number } }; exitCode: number };
    t.is(e.code, 'RUN_FAILED');
    t.is(e.location.start.line, 2);
    t.is(e.exitCode, 1);
    t.regex(e.message, re);
  });
}

test('RUN --security=insecure is refused', async (t) => {
  const h = await harness();
  const e = (await t.throwsAsync(h.build('FROM scratch\nRUN --security=insecure x\n'))) as Error & { code: string };
  t.is(e.code, 'RUN_INSECURE_DENIED');
});

test('a required secret that was not given fails the step; secret values never reach the key', async (t) => {
  const h = await harness();
  const missing = (await t.throwsAsync(h.build('FROM scratch\nRUN --mount=type=secret,id=tok,required=true x\n'))) as Error & { code: string };
  t.is(missing.code, 'RUN_SECRET_MISSING');
  const df = 'FROM scratch\nRUN --mount=type=secret,id=tok,env=TOK use-secret\n';
  await h.build(df, { secrets: [{ id: 'tok', env: 'MY_TOKEN' }], env: { MY_TOKEN: 'first-value' } });
  t.true(h.runner.runs.at(-1)?.env.includes('TOK=first-value'));
  const again = await h.build(df, { secrets: [{ id: 'tok', env: 'MY_TOKEN' }], env: { MY_TOKEN: 'other-value' } });
  t.deepEqual(again.progress.outcomes(), ['CACHED RUN --mount=type=secret,id=tok,env=TOK use-secret']);
  for (const rec of h.store.records.values()) t.false(JSON.stringify(rec).includes('first-value'));
});

test('cache mounts are store state dirs, created with the asked owner and mode, bound read-write', async (t) => {
  const h = await harness();
  await h.build('FROM scratch\nRUN --mount=type=cache,target=/var/cache/x,uid=7,gid=8,mode=0700 fill\n');
  const m = h.runner.runs[0]?.mounts?.[0];
  t.is(m?.type, 'bind');
  t.is(m?.target, '/var/cache/x');
  t.false(m?.type === 'bind' && m.readonly === true);
  const { stat } = await import('node:fs/promises');
  const st = await stat(m?.type === 'bind' ? m.source : '');
  t.is(st.uid, 7);
  t.is(st.gid, 8);
  t.is(st.mode & 0o777, 0o700);
  t.true((m?.type === 'bind' ? m.source : '').startsWith(h.store.root));
});

test('an image without PATH still runs steps with the default PATH (not written to its config)', async (t) => {
  const h = await harness();
  await h.store.addImage('nopath', { config: { Env: ['A=1'] } });
  const { result } = await h.build('FROM nopath\nRUN x\n');
  t.deepEqual(h.runner.runs[0]?.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1']);
  t.deepEqual(result.image.config.config.Env, ['A=1']);
});

test('UndefinedVar is a warning at dispatch; skipped by # check=skip; fatal with # check=error=true', async (t) => {
  const h = await harness();
  await h.write({ 'a.txt': 'a' });
  const warned = await h.build('FROM scratch\nCOPY a.txt /$NOPE\n');
  const warnings = warned.progress.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
  t.deepEqual(warnings, ["UndefinedVar: Usage of undefined variable '$NOPE'"]);
  const skipped = await h.build('# check=skip=UndefinedVar\nFROM scratch\nCOPY a.txt /$NOPE\n');
  t.false(skipped.progress.events.some((e) => e.type === 'warning'));
  const e = (await t.throwsAsync(h.build('# check=error=true\nFROM scratch\nCOPY a.txt /$NOPE\n'))) as Error & { code: string; exitCode: number; location: { start: { line: number } } };
  t.is(e.code, 'DF_CHECK_FAILED');
  t.is(e.exitCode, 2);
  t.is(e.location.start.line, 3);
});
