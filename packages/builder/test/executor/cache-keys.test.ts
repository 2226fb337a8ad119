// SECURITY DF-05: cache-key completeness. Change one input, rebuild: that step and every later one
// miss, the earlier ones hit.
import test from 'ava';
import path from 'node:path';
import { harness } from './helpers.js';

const BASE = {
  healthcheck: 'HEALTHCHECK CMD true',
  onbuild: 'ONBUILD RUN echo child',
  shell: 'SHELL ["/bin/sh", "-c"]',
  user: 'USER 0',
  workdir: 'WORKDIR /w',
  env: 'ENV E=1',
  label: 'LABEL l=1',
  expose: 'EXPOSE 80',
  stopsignal: 'STOPSIGNAL SIGTERM',
  copyflags: 'COPY --chmod=0644 f.txt /f.txt',
};

function dockerfile(v: typeof BASE): string {
  return [
    'FROM scratch',
    'COPY a.txt /a.txt',
    'ARG V=1',
    v.healthcheck,
    v.onbuild,
    v.shell,
    v.user,
    v.env,
    v.label,
    v.expose,
    v.stopsignal,
    v.workdir,
    v.copyflags,
    'RUN use $V',
    '',
  ].join('\n');
}

const changes: [string, Partial<typeof BASE>][] = [
  ['HEALTHCHECK', { healthcheck: 'HEALTHCHECK CMD false' }],
  ['ONBUILD', { onbuild: 'ONBUILD RUN echo other' }],
  ['SHELL', { shell: 'SHELL ["/bin/sh", "-ec"]' }],
  ['USER', { user: 'USER 1' }],
  ['ENV', { env: 'ENV E=2' }],
  ['LABEL', { label: 'LABEL l=2' }],
  ['EXPOSE', { expose: 'EXPOSE 81' }],
  ['STOPSIGNAL', { stopsignal: 'STOPSIGNAL SIGKILL' }],
  ['COPY --chmod', { copyflags: 'COPY --chmod=0600 f.txt /f.txt' }],
  ['COPY --chown', { copyflags: 'COPY --chmod=0644 --chown=1:1 f.txt /f.txt' }],
];

for (const [what, change] of changes) {
  test(`changing ${what} rebuilds the next file steps and keeps the earlier ones`, async (t) => {
    const h = await harness();
    await h.write({ 'a.txt': 'a', 'f.txt': 'f' });
    const first = await h.build(dockerfile(BASE));
    t.deepEqual(first.progress.outcomes().filter((o) => o.startsWith('CACHED')), []);
    const again = await h.build(dockerfile(BASE));
    t.true(again.progress.outcomes().every((o) => o.startsWith('CACHED')), 'an unchanged rebuild is all cached');
    const changed = await h.build(dockerfile({ ...BASE, ...change }));
    t.deepEqual(changed.progress.outcomes(), [
      'CACHED COPY a.txt /a.txt',
      change.copyflags ? 'CACHED WORKDIR /w' : 'RAN WORKDIR /w',
      `RAN ${change.copyflags ?? BASE.copyflags}`,
      'RAN RUN use $V',
    ]);
  });
}

test('WORKDIR change rebuilds from WORKDIR on', async (t) => {
  const h = await harness();
  await h.write({ 'a.txt': 'a', 'f.txt': 'f' });
  await h.build(dockerfile(BASE));
  const changed = await h.build(dockerfile({ ...BASE, workdir: 'WORKDIR /x' }));
  t.deepEqual(changed.progress.outcomes(), ['CACHED COPY a.txt /a.txt', 'RAN WORKDIR /x', `RAN ${BASE.copyflags}`, 'RAN RUN use $V']);
});

test('a file content or mode change rebuilds that COPY and after, and the miss names the file', async (t) => {
  const h = await harness();
  await h.write({ 'a.txt': 'a', 'f.txt': 'f' });
  await h.build(dockerfile(BASE));
  await h.write({ 'f.txt': 'changed' });
  const content = await h.build(dockerfile(BASE));
  t.deepEqual(content.progress.outcomes(), ['CACHED COPY a.txt /a.txt', 'CACHED WORKDIR /w', `RAN ${BASE.copyflags}`, 'RAN RUN use $V']);
  t.deepEqual(content.progress.notes(), ['cache miss: file f.txt changed']);
  await h.write({ 'a.txt': { data: 'a', mode: 0o755 } });
  const mode = await h.build(dockerfile(BASE));
  t.is(mode.progress.outcomes()[0], 'RAN COPY a.txt /a.txt');
  t.deepEqual(mode.progress.notes()[0], 'cache miss: file a.txt changed');
});

test('a file replaced by a symlink to its own content, same permission bits, misses and is named', async (t) => {
  // The content digest of a symlink is that of its target text, and a symlink's bits are 0777: a 0777
  // file holding "t" and the link l -> t differ only in type, which the key must see.
  const { rm, symlink, lstat } = await import('node:fs/promises');
  const h = await harness();
  await h.write({ 't': 'target', 'l': { data: 't', mode: 0o777 } });
  const df = 'FROM scratch\nCOPY . /d/\n';
  await h.build(df);
  await rm(path.join(h.ctx, 'l'));
  await symlink('t', path.join(h.ctx, 'l'));
  t.true((await lstat(path.join(h.ctx, 'l'))).isSymbolicLink());
  const again = await h.build(df);
  t.deepEqual(again.progress.outcomes(), ['RAN COPY . /d/']);
  t.deepEqual(again.progress.notes(), ['cache miss: file l changed']);
});

test('an ARG value used by RUN is part of its key; the miss says so', async (t) => {
  const h = await harness();
  await h.write({ 'a.txt': 'a', 'f.txt': 'f' });
  await h.build(dockerfile(BASE));
  const changed = await h.build(dockerfile(BASE), { buildArgs: { V: '2' } });
  t.deepEqual(changed.progress.outcomes(), ['CACHED COPY a.txt /a.txt', 'CACHED WORKDIR /w', `CACHED ${BASE.copyflags}`, 'RAN RUN use $V']);
  t.deepEqual(changed.progress.notes(), ['cache miss: arg V changed']);
  const env = h.runner.runs.at(-1)?.env ?? [];
  t.true(env.includes('V=2'));
});

test('the platform is part of every key', async (t) => {
  const h = await harness();
  await h.write({ 'a.txt': 'a', 'f.txt': 'f' });
  await h.build(dockerfile(BASE));
  const other = await h.build(dockerfile(BASE), { platform: { os: 'linux', architecture: 'arm64' } });
  t.true(other.progress.outcomes().every((o) => o.startsWith('RAN')));
});

test('a new base image digest under the same name rebuilds everything', async (t) => {
  const h = await harness();
  await h.write({ 'a.txt': 'a' });
  const df = 'FROM base\nCOPY a.txt /a.txt\nRUN x\n';
  await h.store.addImage('base', {}, { 'etc/v': '1' });
  await h.build(df);
  t.true((await h.build(df)).progress.outcomes().every((o) => o.startsWith('CACHED')));
  await h.store.addImage('base', {}, { 'etc/v': '2' });
  t.deepEqual((await h.build(df)).progress.outcomes(), ['RAN COPY a.txt /a.txt', 'RAN RUN x']);
});

test('FROM scratch never hits records made over an image (CVE-2024-24557)', async (t) => {
  const h = await harness();
  await h.write({ 'a.txt': 'a' });
  await h.store.addImage('base', {}, {});
  await h.build('FROM base\nCOPY a.txt /a.txt\n');
  const scratch = await h.build('FROM scratch\nCOPY a.txt /a.txt\n');
  t.deepEqual(scratch.progress.outcomes(), ['RAN COPY a.txt /a.txt']);
});

test('lookup continues after a miss: a later step with the same parent and inputs hits', async (t) => {
  const h = await harness();
  await h.write({ 'a.txt': 'a', 'b.txt': 'b' });
  const df = (x: string) => `FROM scratch\nRUN ${x}\nCOPY a.txt /a\nCOPY b.txt /b\n`;
  await h.build(df('one'));
  await h.build(df('two'));
  const back = await h.build(df('one'));
  t.deepEqual(back.progress.outcomes(), ['CACHED RUN one', 'CACHED COPY a.txt /a', 'CACHED COPY b.txt /b']);
});

test('a no-op rebuild does no layer work and reads no context file', async (t) => {
  const h = await harness();
  await h.write({ 'a.txt': 'a', 'dir/x': 'x', 'dir/y': 'y' });
  const df = 'FROM scratch\nCOPY a.txt /a\nCOPY dir /dir\nRUN build\n';
  const first = await h.build(df);
  const commits = h.store.commits;
  const runs = h.runner.runs.length;
  const again = await h.build(df);
  t.is(h.store.commits, commits);
  t.is(h.runner.runs.length, runs);
  t.is(again.result.cachedSteps, 3);
  t.is(again.result.totalSteps, 3);
  t.is(again.result.imageId, first.result.imageId, 'a fully cached rebuild gives the same image');
  t.is(first.result.contextFilesRead, 3);
  t.is(again.result.contextFilesRead, 0, 'the stat cache answered for every context file');
});

test('--no-cache runs everything again', async (t) => {
  const h = await harness();
  await h.write({ 'a.txt': 'a' });
  const df = 'FROM scratch\nCOPY a.txt /a\nRUN build\n';
  await h.build(df);
  const again = await h.build(df, { noCache: true });
  t.deepEqual(again.progress.outcomes(), ['RAN COPY a.txt /a', 'RAN RUN build']);
});
