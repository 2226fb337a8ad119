import test from 'ava';
import { applyChmod, expandInstruction, expandInstructionWithInfo, parseChmod } from '../../src/frontend.js';
import type { ExpandedInstruction, Instruction } from '../../src/instructions/types.js';
import { errorOf } from '../dockerfile/helpers.js';
import { lastOf } from './helpers.js';

const ENV: Record<string, string> = { A: 'a', SP: 'x y', U: '1000', M: '0640', P: '8080', T: '/cache', ID: 'c1', EMPTY: '' };
const lookup = (n: string): string | undefined => ENV[n];
const expand = (ins: Instruction): ExpandedInstruction => expandInstruction(ins, lookup, { escape: '\\' });

test('ENV and LABEL: keys and values expanded against the state before the instruction', (t) => {
  const e = expand(lastOf('ENV', 'ENV K_$A="v $A" B=${A}2 C=\'$A\' D=$UNSET'));
  t.deepEqual(e.kind === 'ENV' && e.env, [{ key: 'K_a', value: 'v a' }, { key: 'B', value: 'a2' }, { key: 'C', value: '$A' }, { key: 'D', value: '' }]);
  const l = expand(lastOf('LABEL', 'LABEL "x"="$SP"'));
  t.deepEqual(l.kind === 'LABEL' && l.labels, [{ key: 'x', value: 'x y' }]);
});

test('COPY: sources, dest, chown, chmod, excludes expanded and parsed', (t) => {
  const e = expand(lastOf('COPY', 'COPY --chown=$U:$U --chmod=$M --exclude=*.$A $A.txt /d/$A/'));
  if (e.kind !== 'COPY') return t.fail();
  t.deepEqual(e.sources, ['a.txt']);
  t.is(e.dest, '/d/a/');
  t.deepEqual(e.chown, { user: '1000', group: '1000' });
  t.deepEqual(e.chmod, { kind: 'octal', mode: 0o640 });
  t.deepEqual(e.excludes, ['*.a']);
});

test('RUN: mount values expanded and defaults filled; command untouched', (t) => {
  const e = expand(lastOf('RUN', 'RUN --mount=type=cache,target=$T,id=$ID --mount=type=secret,id=tok --mount=type=ssh --mount=type=bind,target=/b echo $A'));
  if (e.kind !== 'RUN') return t.fail();
  t.deepEqual(e.command, { form: 'shell', text: 'echo $A' });
  t.deepEqual(e.resolvedMounts, [
    { type: 'cache', readOnly: false, target: '/cache', id: 'c1', sharing: 'shared', mode: 0o755, uid: 0, gid: 0 },
    { type: 'secret', readOnly: true, id: 'tok', target: '/run/secrets/tok', required: false, mode: 0o400, uid: 0, gid: 0 },
    { type: 'ssh', readOnly: true, id: 'default', target: '/run/buildkit/ssh_agent.0', required: false, mode: 0o400, uid: 0, gid: 0 },
    { type: 'bind', readOnly: true, target: '/b' },
  ]);
});

test('RUN: a mount option that expands to something invalid fails at dispatch', (t) => {
  const ins = lastOf('RUN', 'RUN --mount=type=cache,target=/c,uid=$A true');
  t.is(errorOf(t, () => expand(ins)).code, 'DF_INVALID_MOUNT');
});

test('EXPOSE: expanded words split, parsed into port specs', (t) => {
  const e = expand(lastOf('EXPOSE', 'EXPOSE $P 53/UDP 9000-9001/tcp'));
  t.deepEqual(e.kind === 'EXPOSE' && e.portSpecs, [
    { port: 8080, endPort: 8080, protocol: 'tcp' },
    { port: 53, endPort: 53, protocol: 'udp' },
    { port: 9000, endPort: 9001, protocol: 'tcp' },
  ]);
});

test('USER, WORKDIR, VOLUME, STOPSIGNAL, ARG defaults', (t) => {
  t.like(expand(lastOf('USER', 'USER $U:$U')), { user: '1000:1000' });
  t.like(expand(lastOf('WORKDIR', 'WORKDIR /w/$A')), { path: '/w/a' });
  t.like(expand(lastOf('VOLUME', 'VOLUME /v/$A')), { volumes: ['/v/a'] });
  t.like(expand(lastOf('STOPSIGNAL', 'STOPSIGNAL SIG${A:+TERM}')), { signal: 'SIGTERM' });
  t.like(expand(lastOf('ARG', 'ARG X=$A-1')), { args: [{ name: 'X', default: 'a-1' }] });
});

test('ARG: names never expanded; a default replaced by a build arg is not expanded', (t) => {
  t.like(expand(lastOf('ARG', 'ARG $A=1')), { args: [{ name: '$A', default: '1' }] });
  const ins = lastOf('ARG', 'ARG X=${NOPE:?required} Y=${A}');
  t.is(errorOf(t, () => expand(ins)).code, 'EXPAND_REQUIRED');
  const e = expandInstruction(ins, lookup, { buildArgs: { X: 'given' } });
  t.like(e, { args: [{ name: 'X', default: '${NOPE:?required}' }, { name: 'Y', default: 'a' }] });
});

test('COPY heredoc bodies: expanded with quotes kept unless the delimiter was quoted', (t) => {
  const e = expand(lastOf('COPY', 'COPY <<one <<"two" /d/', 'say "$A" \'$SP\' \\$A', 'one', 'raw $A', 'two'));
  if (e.kind !== 'COPY') return t.fail();
  t.deepEqual(e.sourceContents.map((c) => c.data), ['say "a" \'x y\' $A\n', 'raw $A\n']);
});

test('CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD stay as written', (t) => {
  for (const line of ['CMD echo $A', 'ENTRYPOINT ["$A"]', 'SHELL ["$A"]', 'HEALTHCHECK CMD $A', 'ONBUILD RUN $A']) {
    const ins = lastOf(line.split(' ')[0] as 'CMD', line);
    t.deepEqual(expand(ins), ins);
  }
});

test('dispatch-time errors carry the instruction location', (t) => {
  const e = errorOf(t, () => expand(lastOf('WORKDIR', 'WORKDIR ${NOPE:?must be set}')));
  t.is(e.code, 'EXPAND_REQUIRED');
  t.deepEqual(e.start, [2, 1]);
  t.is(errorOf(t, () => expand(lastOf('COPY', 'COPY a $EMPTY'))).code, 'DF_MISSING_ARGUMENT');
  t.is(errorOf(t, () => expand(lastOf('STOPSIGNAL', 'STOPSIGNAL $A'))).code, 'DF_INVALID_SIGNAL');
  t.is(errorOf(t, () => expand(lastOf('COPY', 'COPY --chmod=$A x y'))).code, 'DF_INVALID_CHMOD');
  t.is(errorOf(t, () => expand(lastOf('EXPOSE', 'EXPOSE $A'))).code, 'DF_INVALID_PORT');
});

test('UndefinedVar: unset names that are not declared', (t) => {
  const info = expandInstructionWithInfo(lastOf('ENV', 'ENV X=$NOPE Y=$DECLARED Z=$A'), lookup, { isDeclared: (n) => n === 'DECLARED' });
  t.deepEqual(info.used, ['NOPE', 'DECLARED', 'A']);
  t.deepEqual(info.unset, ['NOPE', 'DECLARED']);
  t.deepEqual(info.warnings.map((w) => w.rule + ':' + w.message), ["UndefinedVar:Usage of undefined variable '$NOPE'"]);
});

const chmod = test.macro({
  exec(t, spec: string, from: number, isDir: boolean, want: number) {
    const s = parseChmod(spec);
    if (s === undefined) return t.fail(`${spec} did not parse`);
    t.is(applyChmod(s, from, isDir).toString(8), want.toString(8));
  },
  title: (_p, spec: string, from: number, isDir: boolean) => `chmod ${spec} on ${from.toString(8)}${isDir ? ' dir' : ''}`,
});

test(chmod, '755', 0o600, false, 0o755);
test(chmod, '4755', 0o600, false, 0o4755);
test(chmod, 'u+x', 0o644, false, 0o744);
test(chmod, 'a+X', 0o644, false, 0o644);
test(chmod, 'a+X', 0o644, true, 0o755);
test(chmod, 'a+X', 0o744, false, 0o755);
test(chmod, 'go-rwx', 0o777, false, 0o700);
test(chmod, 'u=rw,g=r,o=', 0o777, false, 0o640);
test(chmod, '+x', 0o600, false, 0o711);
test(chmod, 'u+s,o+t', 0o755, true, 0o5755);

test('invalid chmod values', (t) => {
  for (const v of ['', '8', '0o755', 'u+q', 'z=r', '77777', 'u+x,']) t.is(parseChmod(v), undefined, v);
});
