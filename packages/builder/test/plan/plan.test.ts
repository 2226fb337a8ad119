import test from 'ava';
import { planBuild, resolveArgValue, type PlanOptions } from '../../src/frontend.js';
import type { BuildPlan } from '../../src/plan/types.js';
import { df, errorOf } from '../dockerfile/helpers.js';

const plan = (text: string, opts: Partial<PlanOptions> = {}): BuildPlan =>
  planBuild(text, { file: 'Dockerfile', buildArgs: {}, ...opts });

const MULTI = df(
  'ARG BASE=alpine',
  'FROM $BASE AS base',
  'FROM busybox AS tools',
  'FROM base AS build',
  'RUN --mount=type=bind,from=tools,target=/t make',
  'FROM scratch AS unused',
  'FROM base AS final',
  'COPY --from=build /out /out',
  'COPY --from=0 /etc/x /x',
  'COPY --from=nginx:latest /etc/nginx /nginx',
);

test('stages: bases resolved (earlier stage, image, scratch), deps, build order', (t) => {
  const p = plan(MULTI);
  t.is(p.stageCount, 5);
  t.deepEqual(p.stageNames, ['base', 'tools', 'build', 'unused', 'final']);
  t.is(p.target, 4);
  t.deepEqual(p.stages.map((s) => s.index), [0, 1, 2, 4]);
  const [base, tools, build, final] = p.stages;
  t.deepEqual(base!.base, { kind: 'image', ref: 'alpine' });
  t.deepEqual(tools!.base, { kind: 'image', ref: 'busybox' });
  t.deepEqual(build!.base, { kind: 'stage', index: 0 });
  t.deepEqual(build!.dependsOn, [0, 1]);
  t.deepEqual(final!.dependsOn, [0, 2]);
  t.deepEqual(final!.imageRefs, ['nginx:latest']);
  t.is(final!.instructions.length, 3);
});

test('--target prunes stages it does not need, case-insensitively', (t) => {
  const p = plan(MULTI, { target: 'BUILD' });
  t.deepEqual(p.stages.map((s) => s.index), [0, 1, 2]);
  t.is(p.target, 2);
});

test('unknown --target lists the stage names', (t) => {
  const e = errorOf(t, () => plan(MULTI, { target: 'nope' }));
  t.is(e.code, 'DF_UNKNOWN_TARGET');
  t.deepEqual(e.error.details['stages'], ['base', 'tools', 'build', 'unused', 'final']);
});

test('FROM naming a later stage means an image; the stage itself is not a base', (t) => {
  const p = plan(df('FROM later AS first', 'FROM alpine AS later'));
  t.deepEqual(p.stages.map((s) => s.base), [{ kind: 'image', ref: 'alpine' }]);
  const all = plan(df('FROM later AS first', 'FROM alpine AS later'), { target: 'first' });
  t.deepEqual(all.stages[0]!.base, { kind: 'image', ref: 'later' });
  t.deepEqual(plan(df('FROM x AS x')).stages[0]!.base, { kind: 'image', ref: 'x' });
});


const planFails = test.macro({
  exec(t, text: string, code: string, line: number, opts: Partial<PlanOptions> = {}) {
    const e = errorOf(t, () => plan(text, opts));
    t.is(e.code, code);
    t.is(e.start[0], line);
  },
  title: (p) => p ?? '',
});

test('empty file', planFails, '', 'DF_EMPTY', 1);
test('comment-only file', planFails, df('# a', '# b'), 'DF_EMPTY', 1);
test('ARG-only file', planFails, df('# c', 'ARG A', 'ARG B=1'), 'DF_NO_FROM', 3);
test('no FROM at all (conformance 92)', planFails, df('# no FROM at all', 'RUN echo hi', 'CMD ["sh"]'), 'DF_NO_FROM', 2);
test('instruction before the first FROM', planFails, df('ENV A=1', 'FROM a'), 'DF_INSTRUCTION_BEFORE_FROM', 1);
test('CR-only line endings (moby#49858)', planFails, 'ARG VERSION=15-3.5\rFROM postgis/postgis:$VERSION', 'DF_NO_FROM', 1);
test('duplicate stage name', planFails, df('FROM a AS x', 'FROM b AS X'), 'DF_DUPLICATE_STAGE_NAME', 2);
test('COPY --from=self is a cycle', planFails, df('FROM a AS x', 'COPY --from=x /a /b'), 'DF_STAGE_CYCLE', 2);
test('two-stage cycle', planFails, df('FROM a AS x', 'COPY --from=y a b', 'FROM b AS y', 'RUN --mount=from=x,target=/m true'), 'DF_STAGE_CYCLE', 4);
test('--from=99', planFails, df('FROM a', 'COPY --from=99 a b'), 'DF_INVALID_STAGE_INDEX', 2);
test('--from=-1', planFails, df('FROM a', 'COPY --from=-1 a b'), 'DF_INVALID_STAGE_INDEX', 2);
test('FROM expanding to nothing', planFails, df('ARG X', 'FROM $X'), 'DF_INVALID_BASE', 2);
test('FROM ${0:+0} (makisu#266) expands to nothing', planFails, 'FROM ${0:+0}\n', 'DF_INVALID_BASE', 1);
test('bad platform', planFails, df('FROM --platform=linux a'), 'DF_INVALID_PLATFORM', 1);
test('COPY --from a later stage', planFails, df('FROM a AS one', 'COPY --from=two /x /x', 'FROM b AS two'), 'DF_STAGE_FORWARD_REFERENCE', 2);
test('RUN --mount from= a later stage by index', planFails, df('FROM a', 'RUN --mount=from=1,target=/m true', 'FROM b'), 'DF_STAGE_FORWARD_REFERENCE', 2);
test('COPY --from with a variable (BuildKit refuses it)', planFails, df('ARG SRC=build', 'FROM a AS build', 'FROM b', 'COPY --from=$SRC /x /y'), 'DF_FROM_VARIABLE', 4);

test('global ARGs: build args override, defaults chain, FROM uses them', (t) => {
  const p = plan(df('ARG REG=docker.io', 'ARG IMG=$REG/lib/alpine', 'ARG TAG=1', 'FROM ${IMG}:${TAG}'), { buildArgs: { TAG: '3.19' } });
  t.deepEqual(p.stages[0]!.base, { kind: 'image', ref: 'docker.io/lib/alpine:3.19' });
  t.deepEqual(p.globalArgs.map((g) => [g.name, g.value]), [['REG', 'docker.io'], ['IMG', 'docker.io/lib/alpine'], ['TAG', '3.19']]);
  t.is(p.metaArgs['TAG'], '3.19');
});

test('platform ARGs are predefined in the global scope', (t) => {
  const p = plan(df('FROM --platform=$BUILDPLATFORM img-$TARGETARCH$TARGETVARIANT AS b'), {
    platform: { os: 'linux', architecture: 'arm', variant: 'v7' },
    buildPlatform: { os: 'linux', architecture: 'amd64' },
  });
  t.deepEqual(p.stages[0]!.base, { kind: 'image', ref: 'img-armv7' });
  t.deepEqual(p.stages[0]!.platform, { os: 'linux', architecture: 'amd64' });
  t.like(p.metaArgs, { TARGETPLATFORM: 'linux/arm/v7', TARGETOS: 'linux', BUILDPLATFORM: 'linux/amd64', BUILDVARIANT: '' });
});

test('default platform is linux/amd64', (t) => {
  const p = plan('FROM a\n');
  t.deepEqual(p.targetPlatform, { os: 'linux', architecture: 'amd64' });
  t.deepEqual(p.buildPlatform, p.targetPlatform);
});

test('unused build args are reported; proxies, platform and BUILDKIT_ args are not', (t) => {
  const p = plan(df('ARG G', 'FROM a', 'ARG S', 'FROM b AS other', 'ARG PRUNED'), {
    buildArgs: { G: '1', S: '2', NOPE: '3', HTTP_PROXY: 'http://p', TARGETOS: 'x', BUILDKIT_INLINE_CACHE: '1', PRUNED: '4' },
    target: 'other',
  });
  t.deepEqual(p.unusedBuildArgs, ['NOPE', 'S']);
  t.deepEqual(p.proxyEnv, { HTTP_PROXY: 'http://p' });
});

test('resolveArgValue: build arg, then expanded default, then the global value', (t) => {
  const meta = { G: 'global' };
  t.is(resolveArgValue('G', undefined, {}, meta), 'global');
  t.is(resolveArgValue('G', 'dflt', {}, meta), 'dflt');
  t.is(resolveArgValue('G', 'dflt', { G: 'cli' }, meta), 'cli');
  t.is(resolveArgValue('X', undefined, {}, meta), undefined);
});

test('a long chain of stages does not overflow the stack', (t) => {
  const n = 20_000;
  const lines = ['FROM scratch AS s0'];
  for (let i = 1; i < n; i++) lines.push(`FROM s${i - 1} AS s${i}`);
  const p = plan(df(...lines));
  t.is(p.stages.length, n);
  t.is(p.stages[0]!.index, 0);
});

test('ONBUILD triggers are no dependency of their own stage', (t) => {
  const p = plan(df('FROM a AS x', 'FROM b', 'ONBUILD COPY --from=x /a /b'));
  t.deepEqual(p.stages.map((s) => s.index), [1]);
});

test('ONBUILD triggers of a base stage are dependencies of the child', (t) => {
  const p = plan(df('FROM a AS x', 'FROM b AS parent', 'ONBUILD COPY --from=x /a /b', 'FROM parent'));
  t.deepEqual(p.stages.map((s) => s.index), [0, 1, 2]);
  t.deepEqual(p.stages[2]!.dependsOn, [0, 1]);
  t.is(p.stages[2]!.dependencies[1]!.location.start.line, 4);
});
