import test from 'ava';
import { planBuild } from '../../src/frontend.js';
import { errorOf } from '../dockerfile/helpers.js';

function rules(text: string, buildArgs: Record<string, string> = {}): string[] {
  return planBuild(text, { file: 'Dockerfile', buildArgs }).warnings.map((w) => `${w.rule}@${w.location.start.line}`);
}

const warns = test.macro({
  exec(t, lines: string[], want: string[]) {
    t.deepEqual(rules(lines.join('\n') + '\n'), want);
  },
  title: (p) => p ?? '',
});

test('JSONArgsRecommended for shell-form CMD/ENTRYPOINT', warns, ['FROM a', 'CMD x', 'ENTRYPOINT ["y"]'], ['JSONArgsRecommended@2']);
test('JSONArgsRecommended not after SHELL', warns, ['FROM a', 'SHELL ["bash", "-c"]', 'CMD x'], []);
test('StageNameCasing', warns, ['FROM a AS Build'], ['StageNameCasing@1']);
test('FromAsCasing', warns, ['FROM a as b'], ['FromAsCasing@1']);
test('MaintainerDeprecated', warns, ['FROM a', 'MAINTAINER me'], ['MaintainerDeprecated@2']);
test('ConsistentInstructionCasing: minority and mixed case', warns, ['FROM a', 'RUN x', 'run y', 'Copy a b'], ['ConsistentInstructionCasing@3', 'ConsistentInstructionCasing@4']);
test('ReservedStageName', warns, ['FROM a AS scratch'], ['ReservedStageName@1']);
test('MultipleInstructionsDisallowed', warns, ['FROM a', 'CMD ["a"]', 'HEALTHCHECK NONE', 'CMD ["b"]', 'FROM b', 'CMD ["c"]'], ['MultipleInstructionsDisallowed@2']);
test('WorkdirRelativePath only before an absolute WORKDIR', warns, ['FROM a', 'WORKDIR rel', 'WORKDIR /abs', 'WORKDIR rel2'], ['WorkdirRelativePath@2']);
test('WORKDIR and SHELL carry over to a stage built FROM a stage', warns,
  ['FROM a AS base', 'WORKDIR /app', 'SHELL ["bash", "-c"]', 'FROM base', 'WORKDIR rel', 'CMD x', 'FROM a', 'WORKDIR rel'], ['WorkdirRelativePath@8']);
test('SecretsUsedInArgOrEnv', warns, ['FROM a', 'ARG GITHUB_TOKEN', 'ENV DB_PASSWORD=x PUBLIC_KEY=y KEYBOARD=z'], ['SecretsUsedInArgOrEnv@2', 'SecretsUsedInArgOrEnv@3']);
test('LegacyKeyValueFormat', warns, ['FROM a', 'ENV A b', 'LABEL k v'], ['LegacyKeyValueFormat@2', 'LegacyKeyValueFormat@3']);
test('UndefinedArgInFrom', warns, ['ARG TAG=1', 'FROM a:$TAG', 'FROM b:$VERSION'], ['UndefinedArgInFrom@3']);
test('platform ARGs are declared in FROM', warns, ['FROM --platform=$BUILDPLATFORM a AS b'], []);
test('InvalidDefaultArgInFrom', warns, ['ARG TAG', 'FROM busybox:${TAG}'], ['InvalidDefaultArgInFrom@2']);
test('RedundantTargetPlatform', warns, ['FROM --platform=$TARGETPLATFORM a'], ['RedundantTargetPlatform@1']);
test('FromPlatformFlagConstDisallowed', warns, ['FROM --platform=linux/arm64 a', 'FROM --platform=linux/arm64 b AS build-arm64'], ['FromPlatformFlagConstDisallowed@1']);
test('ExposeProtoCasing and ExposeInvalidFormat', warns, ['FROM a', 'EXPOSE 80/TCP 127.0.0.1:80:80'], ['ExposeProtoCasing@2', 'ExposeInvalidFormat@2']);
test('NoEmptyContinuation', warns, ['FROM a', 'RUN a \\', '', ' b'], ['NoEmptyContinuation@2']);
test('check=skip removes rules', warns, ['# check=skip=JSONArgsRecommended,MaintainerDeprecated', 'FROM a', 'CMD x', 'MAINTAINER m'], []);
test('check=skip=all', warns, ['# check=skip=all', 'FROM a AS B', 'CMD x'], []);

test('check=error=true fails the plan at the first finding', (t) => {
  const e = errorOf(t, () => planBuild('# check=error=true\nFROM a\nCMD x\n', { file: 'Dockerfile', buildArgs: {} }));
  t.is(e.code, 'DF_CHECK_FAILED');
  t.deepEqual(e.start, [3, 1]);
});

test('BUILDKIT_DOCKERFILE_CHECK build arg replaces the directive', (t) => {
  t.deepEqual(rules('FROM a\nCMD x\n', { BUILDKIT_DOCKERFILE_CHECK: 'skip=JSONArgsRecommended' }), []);
});
