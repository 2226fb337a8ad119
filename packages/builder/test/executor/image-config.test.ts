import test from 'ava';
import { dispatchMeta } from '../../src/executor/dispatch-meta.js';
import { getEnv, resolveWorkdir, scratchConfig, setEnv } from '../../src/executor/image-config.js';
import { runArgv } from '../../src/executor/run-argv.js';
import type { StageState } from '../../src/executor/state.js';
import type { Heredoc } from '../../src/dockerfile/types.js';
import type { MetaInstruction } from '../../src/executor/dispatch-meta.js';

const loc = { file: 'Dockerfile', start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };

function stateOf(): StageState {
  return {
    index: 0,
    config: scratchConfig({ os: 'linux', architecture: 'amd64' }),
    layers: [],
    key: 'k',
    args: new Map(),
    cmdSet: false,
    created: '2024-01-01T00:00:00Z',
    sizeBytes: 0,
  };
}

function ins(kind: string, fields: Record<string, unknown>): MetaInstruction {
  return { kind, keyword: kind, location: loc, original: kind, rawFlags: [], ...fields } as unknown as MetaInstruction;
}

const opts = { buildArgs: {}, metaArgs: {} };

test('scratch has the default PATH, like BuildKit', (t) => {
  t.deepEqual(scratchConfig({ os: 'linux', architecture: 'amd64' }).config.Env, [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  ]);
});

test('ENV replaces a variable where it stands', (t) => {
  const cc = { Env: ['A=1', 'B=2'] };
  setEnv(cc, 'A', '3');
  setEnv(cc, 'C', '4');
  t.deepEqual(cc.Env, ['A=3', 'B=2', 'C=4']);
  t.is(getEnv(cc.Env, 'B'), '2');
  t.is(getEnv(cc.Env, 'Z'), undefined);
});

test('WORKDIR joins relative paths to the current one', (t) => {
  t.is(resolveWorkdir(undefined, 'a'), '/a');
  t.is(resolveWorkdir('/a', 'b/../c'), '/a/c');
  t.is(resolveWorkdir('/a', '/x/'), '/x');
});

test('ENTRYPOINT drops an inherited CMD but keeps one set earlier in the stage', (t) => {
  const s = stateOf();
  s.config.config.Cmd = ['sh'];
  dispatchMeta(s, ins('ENTRYPOINT', { command: { form: 'exec', args: ['/bin/echo', 'x'] } }), opts);
  t.is(s.config.config.Cmd as unknown, null);
  const s2 = stateOf();
  dispatchMeta(s2, ins('CMD', { command: { form: 'exec', args: ['a'] } }), opts);
  dispatchMeta(s2, ins('ENTRYPOINT', { command: { form: 'shell', text: 'run $X' } }), opts);
  t.deepEqual(s2.config.config.Cmd, ['a']);
  t.deepEqual(s2.config.config.Entrypoint, ['/bin/sh', '-c', 'run $X']);
});

test('SHELL applies to shell-form CMD', (t) => {
  const s = stateOf();
  dispatchMeta(s, ins('SHELL', { shell: ['/bin/bash', '-ec'] }), opts);
  dispatchMeta(s, ins('CMD', { command: { form: 'shell', text: 'echo hi' } }), opts);
  t.deepEqual(s.config.config.Cmd, ['/bin/bash', '-ec', 'echo hi']);
  t.deepEqual(s.config.config.Shell, ['/bin/bash', '-ec']);
});

test('metadata instructions add empty_layer history with BuildKit-like created_by', (t) => {
  const s = stateOf();
  dispatchMeta(s, ins('ENV', { env: [{ key: 'A', value: 'b c' }] }), opts);
  dispatchMeta(s, ins('EXPOSE', { ports: ['80'], portSpecs: [{ port: 80, endPort: 80, protocol: 'tcp' }, { port: 53, endPort: 53, protocol: 'udp' }] }), opts);
  dispatchMeta(s, ins('CMD', { command: { form: 'exec', args: ['cat', '/hi'] } }), opts);
  dispatchMeta(s, ins('LABEL', { labels: [{ key: 'k', value: 'v w' }] }), opts);
  dispatchMeta(s, ins('STOPSIGNAL', { signal: 'SIGKILL' }), opts);
  dispatchMeta(s, ins('HEALTHCHECK', { test: ['CMD-SHELL', 'true'], intervalNs: 5e9, retries: 2 }), opts);
  dispatchMeta(s, ins('ONBUILD', { expression: 'RUN echo hi' }), opts);
  dispatchMeta(s, ins('VOLUME', { volumes: ['/data'] }), opts);
  const h = s.config.history ?? [];
  t.deepEqual(
    h.map((e) => e.created_by),
    ['ENV A=b c', 'EXPOSE map[53/udp:{} 80/tcp:{}]', 'CMD ["cat" "/hi"]', 'LABEL k=v w', 'STOPSIGNAL SIGKILL', 'HEALTHCHECK ["CMD-SHELL" "true"]', 'ONBUILD RUN echo hi', 'VOLUME [/data]'],
  );
  t.true(h.every((e) => e.empty_layer === true && e.created === '2024-01-01T00:00:00Z'));
  const cc = s.config.config;
  t.deepEqual(cc.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  t.deepEqual(cc.Labels, { k: 'v w' });
  t.deepEqual(cc.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 2 });
  t.deepEqual(cc.OnBuild, ['RUN echo hi']);
  t.deepEqual(cc.Volumes, { '/data': {} });
  t.is(cc.StopSignal, 'SIGKILL');
});

test('ARG: --build-arg wins, then the default, then the global value', (t) => {
  const s = stateOf();
  dispatchMeta(s, ins('ARG', { args: [{ name: 'A', default: 'd' }, { name: 'B', default: 'd' }, { name: 'G' }, { name: 'U' }] }), {
    buildArgs: { B: 'given' },
    metaArgs: { G: 'global' },
  });
  t.deepEqual([...s.args], [['A', 'd'], ['B', 'given'], ['G', 'global'], ['U', undefined]]);
  t.is(getEnv(s.config.config.Env, 'A'), undefined, 'ARGs are not persisted in the config');
});

const heredoc = (name: string, content: string): Heredoc => ({ name, content, expand: true, chomp: false, location: loc });

test('RUN argv: shell form through SHELL, exec form as is, heredocs like BuildKit', (t) => {
  const sh = ['/bin/sh', '-c'];
  t.deepEqual(runArgv({ form: 'shell', text: 'echo hi' }, [], sh).argv, ['/bin/sh', '-c', 'echo hi']);
  t.deepEqual(runArgv({ form: 'exec', args: ['a', 'b c'] }, [], sh).argv, ['a', 'b c']);
  t.deepEqual(runArgv({ form: 'shell', text: '<<EOF' }, [heredoc('EOF', 'echo 1\necho 2\n')], sh).argv, ['/bin/sh', '-c', 'echo 1\necho 2\n']);
  const script = runArgv({ form: 'shell', text: '<<EOF' }, [heredoc('EOF', '#!/usr/bin/env python3\nprint(1)\n')], sh);
  t.deepEqual(script.argv, ['/.tsbuild-heredoc/EOF']);
  t.is(script.files[0]?.content, '#!/usr/bin/env python3\nprint(1)\n');
  t.deepEqual(runArgv({ form: 'shell', text: 'cat <<A > /f' }, [heredoc('A', 'x\n')], sh).argv, ['/bin/sh', '-c', 'cat <<A > /f\nx\nA']);
});
