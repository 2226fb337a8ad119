import test from 'ava';
import { errorOf } from '../dockerfile/helpers.js';
import { instructionsOf, lastOf } from './helpers.js';

test('FROM: image, lower-cased stage name, raw platform', (t) => {
  const f = lastOf('FROM', 'FROM --platform=$BUILDPLATFORM golang:1.22 As Build');
  t.like(f, { image: 'golang:1.22', stageName: 'build', platform: '$BUILDPLATFORM', keyword: 'FROM' });
});

test('RUN: shell and exec forms, mounts, network, security', (t) => {
  t.deepEqual(lastOf('RUN', 'RUN echo "$HOME"').command, { form: 'shell', text: 'echo "$HOME"' });
  t.deepEqual(lastOf('RUN', 'RUN ["a", "b c"]').command, { form: 'exec', args: ['a', 'b c'] });
  const r = lastOf('RUN', 'RUN --mount=type=secret,id=tok,env=TOKEN --mount=type=ssh --network=host --security=insecure make');
  t.deepEqual(r.mounts.map((m) => m.type), ['secret', 'ssh']);
  t.is(r.network, 'host');
  t.is(r.security, 'insecure');
  t.deepEqual(r.mounts[0]!.options, { type: 'secret', id: 'tok', env: 'TOKEN' });
});

test('RUN --mount: aliases, bare booleans, from', (t) => {
  const r = lastOf('RUN', 'RUN --mount=type=bind,from=Builder,src=/out,dst=/in,rw true');
  t.like(r.mounts[0]!, { type: 'bind', from: 'builder', options: { type: 'bind', from: 'Builder', source: '/out', target: '/in', readwrite: 'true' } });
});

test('RUN --mount: a CSV-quoted value with a comma', (t) => {
  // The flag's own quotes are removed first (as BuildKit does), so CSV quotes need outer quotes.
  const r = lastOf('RUN', `RUN --mount='type=cache,"target=/a,b"' true`);
  t.is(r.mounts[0]!.options['target'], '/a,b');
});

test('COPY: sources, dest, flags as written', (t) => {
  const c = lastOf('COPY', 'COPY --from=0 --chown=$U:g --chmod=u+x --link --parents --exclude=*.md --exclude=x a b /dst/');
  t.like(c, { from: '0', chown: '$U:g', chmod: 'u+x', link: true, parents: true, dest: '/dst/', json: false });
  t.deepEqual(c.sources, ['a', 'b']);
  t.deepEqual(c.excludes, ['*.md', 'x']);
});

test('COPY: JSON form allows spaces', (t) => {
  const c = lastOf('COPY', 'COPY ["a b", "/c d/"]');
  t.deepEqual([c.sources, c.dest, c.json], [['a b'], '/c d/', true]);
});

test('COPY: heredoc sources become sourceContents', (t) => {
  const c = lastOf('COPY', 'COPY <<one.txt <<"two.txt" plain /d/', 'hello $X', 'one.txt', 'raw $X', 'two.txt');
  t.deepEqual(c.sources, ['plain']);
  t.deepEqual(c.sourceContents, [
    { path: 'one.txt', data: 'hello $X\n', expand: true },
    { path: 'two.txt', data: 'raw $X\n', expand: false },
  ]);
});

test('ADD: checksum, keep-git-dir, unpack', (t) => {
  const a = lastOf('ADD', `ADD --checksum=sha256:${'a'.repeat(64)} --keep-git-dir --unpack=false https://x/y.tgz /y`);
  t.like(a, { checksum: `sha256:${'a'.repeat(64)}`, keepGitDir: true, unpack: false });
  t.is(lastOf('ADD', 'ADD a b').unpack, undefined);
});

test('ENV/LABEL/ARG: pairs stay raw, legacy flagged', (t) => {
  t.deepEqual(lastOf('ENV', 'ENV A="x y" B=$A').env, [{ key: 'A', value: '"x y"' }, { key: 'B', value: '$A' }]);
  t.true(lastOf('ENV', 'ENV A x y').legacyFormat);
  t.deepEqual(lastOf('LABEL', 'LABEL "a b"=c').labels, [{ key: '"a b"', value: 'c' }]);
  t.deepEqual(lastOf('ARG', 'ARG A B=1 C=').args, [{ name: 'A' }, { name: 'B', default: '1' }, { name: 'C', default: '' }]);
});

test('HEALTHCHECK: durations in ns, retries, test forms', (t) => {
  const h = lastOf('HEALTHCHECK', 'HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=0 --retries=2 CMD curl -f x');
  t.like(h, { intervalNs: 90e9, timeoutNs: 500e6, startPeriodNs: 0, retries: 2 });
  t.deepEqual(h.test, ['CMD-SHELL', 'curl -f x']);
  t.deepEqual(lastOf('HEALTHCHECK', 'HEALTHCHECK cmd ["a", "b"]').test, ['CMD', 'a', 'b']);
  t.deepEqual(lastOf('HEALTHCHECK', 'HEALTHCHECK none').test, ['NONE']);
});

test('ONBUILD: expression and parsed trigger', (t) => {
  const o = lastOf('ONBUILD', 'ONBUILD   COPY --chown=1 . /app');
  t.is(o.expression, 'COPY --chown=1 . /app');
  t.is(o.trigger.kind, 'COPY');
});

test('ONBUILD with a heredoc: the expression carries the body', (t) => {
  const o = lastOf('ONBUILD', 'ONBUILD RUN <<EOF', 'echo child', 'EOF');
  t.is(o.expression, 'RUN <<EOF\necho child\nEOF');
  t.is(o.trigger.kind === 'RUN' && o.trigger.heredocs.length, 1);
});

test('every keyword has an instruction kind', (t) => {
  const kinds = instructionsOf('FROM a', 'RUN x', 'CMD x', 'LABEL a=b', 'MAINTAINER m', 'EXPOSE 1', 'ENV a=b', 'ADD a b',
    'COPY a b', 'ENTRYPOINT x', 'VOLUME /v', 'USER u', 'WORKDIR /w', 'ARG a', 'ONBUILD RUN x', 'STOPSIGNAL 9',
    'HEALTHCHECK NONE', 'SHELL ["sh"]').map((i) => i.kind);
  t.deepEqual(kinds, ['FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME',
    'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);
});

test('original keeps the joined text for history', (t) => {
  t.is(lastOf('RUN', 'RUN a \\', '  && b').original, 'RUN a   && b');
});

const rejects = test.macro({
  exec(t, line: string, code: string, column?: number) {
    const e = errorOf(t, () => instructionsOf(line));
    t.is(e.code, code);
    t.is(e.start[0], line.startsWith('FROM') ? 1 : 2);
    if (column !== undefined) t.is(e.start[1], column);
  },
  title: (_t, line: string, code: string, _column?: number) => `${code}: ${line}`,
});

test(rejects, 'COPY --form=x a b', 'DF_UNKNOWN_FLAG', 6);
test(rejects, 'ADD --from=x a b', 'DF_UNKNOWN_FLAG', 5);
test(rejects, 'ENV --x=1 A=b', 'DF_UNKNOWN_FLAG', 5);
test(rejects, 'RUN --mount=type=cache true', 'DF_INVALID_MOUNT');
test(rejects, 'RUN --mount=type=tmpfs,target=/t,size=lots true', 'DF_INVALID_MOUNT');
test(rejects, 'RUN --mount=type=bind,target=/t,mode=0755 true', 'DF_INVALID_MOUNT');
test(rejects, 'RUN --mount=type=secret,from=x,id=a true', 'DF_INVALID_MOUNT');
test(rejects, 'RUN --mount=type=cache,target=/t,uid=abc true', 'DF_INVALID_MOUNT');
test(rejects, 'RUN --mount=type=cache,target=/t,ro=maybe true', 'DF_INVALID_MOUNT');
test(rejects, 'RUN --mount=type=cache,target true', 'DF_INVALID_MOUNT');
test(rejects, 'RUN --mount=type=cache,target=/a\\"b true', 'DF_INVALID_MOUNT');
test(rejects, 'RUN --security=root true', 'DF_FLAG_VALUE');
test(rejects, 'COPY --chmod=u+q a b', 'DF_INVALID_CHMOD');
test(rejects, 'COPY --chmod=17777 a b', 'DF_INVALID_CHMOD');
test(rejects, 'COPY --chown= a b', 'DF_FLAG_VALUE');
test(rejects, 'COPY --from= a b', 'DF_FLAG_VALUE');
test(rejects, 'ADD --checksum=md5:abc a b', 'DF_FLAG_VALUE');
test(rejects, 'HEALTHCHECK --retries=-1 CMD x', 'DF_FLAG_VALUE');
test(rejects, 'HEALTHCHECK --timeout=5 CMD x', 'DF_INVALID_DURATION');
test(rejects, 'HEALTHCHECK NONE x', 'DF_INVALID_HEALTHCHECK');
test(rejects, 'HEALTHCHECK CMD', 'DF_INVALID_HEALTHCHECK');
test(rejects, 'ONBUILD MAINTAINER me', 'DF_ONBUILD_FORBIDDEN');
test(rejects, 'ONBUILD', 'DF_MISSING_ARGUMENT');
test(rejects, 'ONBUILD FOO x', 'DF_UNKNOWN_INSTRUCTION');
test(rejects, 'SHELL []', 'DF_MISSING_ARGUMENT');
test(rejects, 'ARG =x', 'DF_EMPTY_NAME');
test(rejects, 'LABEL', 'DF_MISSING_ARGUMENT');
test(rejects, 'ENV A', 'DF_MISSING_ARGUMENT');
test(rejects, 'EXPOSE 80/xtp', 'DF_INVALID_PORT');
test(rejects, 'EXPOSE 90-80', 'DF_INVALID_PORT');
test(rejects, 'STOPSIGNAL 65', 'DF_INVALID_SIGNAL');
test(rejects, 'VOLUME [""]', 'DF_MISSING_ARGUMENT');
test(rejects, 'FROM a b c d', 'DF_TOO_MANY_ARGUMENTS');
test(rejects, 'FROM a AS b_c!', 'DF_INVALID_STAGE_NAME');
