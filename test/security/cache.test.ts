// DF-05 (SECURITY.md §4), cache-key completeness through real builds: change one input of a
// Dockerfile and rebuild; the steps before it are CACHED, it and every later step miss, and the
// image differs. A hit never comes from another base (CVE-2024-24557).
import test from 'ava';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BASE, buildText, canMakeBase, cli, isRoot, plainSteps, sandbox, writeTree, type Sandbox } from './helpers.js';

const serial = canMakeBase && isRoot ? test.serial : test.skip;

/**
 * The Dockerfile around the line under test: one RUN before it, a RUN and a COPY after it. `salt`
 * keeps the variants' records apart (equal inputs may rightly hit records of another variant).
 */
function dockerfile(line: string, from = BASE, salt = ''): string {
  return `FROM ${from}\nRUN echo one ${salt} > /tmp/one\n${line}\nRUN echo two > /tmp/two\nCOPY after.txt /tmp/after.txt\n`;
}

interface Outcome {
  steps: { title: string; cached: boolean }[];
  imageId: string;
}

async function buildOnce(sb: Sandbox, text: string, args: string[] = []): Promise<Outcome> {
  const iid = path.join(sb.dir, 'iid');
  const r = await buildText(sb, text, ['--iidfile', iid, ...args]);
  if (r.code !== 0) throw new Error(`build failed (exit ${r.code}):\n${r.stderr}`);
  return { steps: plainSteps(r.stderr), imageId: (await readFile(iid, 'utf8')).trim() };
}

interface Variant {
  what: string;
  before: string;
  after: string;
  /** Changes to the context between the builds (for file inputs). */
  touch?: (sb: Sandbox) => Promise<void>;
  args?: [string[], string[]];
}

const variants: Variant[] = [
  { what: 'HEALTHCHECK', before: 'HEALTHCHECK CMD true', after: 'HEALTHCHECK CMD false' },
  { what: 'HEALTHCHECK options', before: 'HEALTHCHECK --interval=5s CMD true', after: 'HEALTHCHECK --interval=6s CMD true' },
  { what: 'ONBUILD', before: 'ONBUILD RUN echo a', after: 'ONBUILD RUN echo b' },
  { what: 'SHELL', before: 'SHELL ["/bin/sh", "-c"]', after: 'SHELL ["/bin/sh", "-ec"]' },
  { what: 'USER', before: 'USER root', after: 'USER 0:0' },
  { what: 'WORKDIR', before: 'WORKDIR /tmp/a', after: 'WORKDIR /tmp/b' },
  { what: 'ENV', before: 'ENV A=1', after: 'ENV A=2' },
  { what: 'ARG default', before: 'ARG A=1', after: 'ARG A=2' },
  { what: 'ARG value from --build-arg', before: 'ARG A', after: 'ARG A', args: [['--build-arg', 'A=1'], ['--build-arg', 'A=2']] },
  { what: 'LABEL', before: 'LABEL a=1', after: 'LABEL a=2' },
  { what: 'EXPOSE', before: 'EXPOSE 80', after: 'EXPOSE 81' },
  { what: 'STOPSIGNAL', before: 'STOPSIGNAL SIGTERM', after: 'STOPSIGNAL SIGKILL' },
  { what: 'VOLUME', before: 'VOLUME /v1', after: 'VOLUME /v2' },
  { what: 'CMD', before: 'CMD ["a"]', after: 'CMD ["b"]' },
  { what: 'ENTRYPOINT', before: 'ENTRYPOINT ["a"]', after: 'ENTRYPOINT ["b"]' },
  { what: 'COPY --chmod', before: 'COPY --chmod=0644 in.txt /tmp/in', after: 'COPY --chmod=0755 in.txt /tmp/in' },
  { what: 'COPY --chown', before: 'COPY --chown=0:0 in.txt /tmp/in', after: 'COPY --chown=1000:1000 in.txt /tmp/in' },
  { what: 'COPY destination', before: 'COPY in.txt /tmp/in', after: 'COPY in.txt /tmp/in2' },
  {
    what: 'file content',
    before: 'COPY in.txt /tmp/in',
    after: 'COPY in.txt /tmp/in',
    touch: async (sb) => writeFile(path.join(sb.ctx, 'in.txt'), 'changed\n'),
  },
  {
    what: 'file mode',
    before: 'COPY in.txt /tmp/in',
    after: 'COPY in.txt /tmp/in',
    touch: async (sb) => chmod(path.join(sb.ctx, 'in.txt'), 0o755),
  },
  { what: 'RUN --network', before: 'RUN --network=none true', after: 'RUN --network=host true' },
  { what: 'RUN --mount', before: 'RUN --mount=type=tmpfs,target=/m1 true', after: 'RUN --mount=type=tmpfs,target=/m2 true' },
];

serial('DF-05: changing any one input misses that step and every later one, and only those', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  for (const v of variants) {
    await writeTree(sb.ctx, { 'in.txt': `in ${v.what}\n`, 'after.txt': 'after\n' });
    await chmod(path.join(sb.ctx, 'in.txt'), 0o644);
    const [argsA, argsB] = v.args ?? [[], []];
    const first = await buildOnce(sb, dockerfile(v.before, BASE, v.what), argsA);
    const again = await buildOnce(sb, dockerfile(v.before, BASE, v.what), argsA);
    t.true(again.steps.every((s) => s.cached), `${v.what}: an unchanged rebuild hits every step`);
    t.is(again.imageId, first.imageId, `${v.what}: an unchanged rebuild gives the same image`);
    await v.touch?.(sb);
    const changed = await buildOnce(sb, dockerfile(v.after, BASE, v.what), argsB);
    const [one, ...rest] = changed.steps;
    t.true(one?.cached, `${v.what}: the RUN before the change is CACHED\n${JSON.stringify(changed.steps)}`);
    t.true(rest.length >= 2, `${v.what}: ${JSON.stringify(changed.steps)}`);
    t.true(
      rest.every((s) => !s.cached),
      `${v.what}: the changed step and every later step miss\n${JSON.stringify(changed.steps)}`,
    );
    t.not(changed.imageId, first.imageId, `${v.what}: the image differs`);
  }
});

serial('DF-05: a new image under the same base name misses every step', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  await writeTree(sb.ctx, { 'after.txt': 'after\n', 'in.txt': 'in\n' });
  const v1 = await buildText(sb, `FROM ${BASE}\nRUN echo 1 > /v\n`, ['-t', 'localhost/df05base:x']);
  t.is(v1.code, 0, v1.stderr);
  const first = await buildOnce(sb, dockerfile('LABEL a=1', 'localhost/df05base:x'));
  const v2 = await buildText(sb, `FROM ${BASE}\nRUN echo 2 > /v\n`, ['-t', 'localhost/df05base:x']);
  t.is(v2.code, 0, v2.stderr);
  const second = await buildOnce(sb, dockerfile('LABEL a=1', 'localhost/df05base:x'));
  t.true(second.steps.length >= 3);
  t.true(second.steps.every((s) => !s.cached), JSON.stringify(second.steps));
  t.not(second.imageId, first.imageId);
});

serial('DF-05 / CVE-2024-24557: FROM scratch never hits records made over an image, nor the reverse', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  await writeTree(sb.ctx, { 'f.txt': 'f\n' });
  const overImage = await buildOnce(sb, `FROM ${BASE}\nCOPY f.txt /f\nCOPY f.txt /g\n`);
  t.true(overImage.steps.every((s) => !s.cached));
  const scratch = await buildOnce(sb, 'FROM scratch\nCOPY f.txt /f\nCOPY f.txt /g\n');
  t.true(scratch.steps.every((s) => !s.cached), JSON.stringify(scratch.steps));
  const rootfs = await cli(sb.root, ['inspect', scratch.imageId]);
  t.is(rootfs.code, 0, rootfs.stderr);
  // A scratch image with two layers only: nothing of busybox came in through the cache.
  const info = JSON.parse(rootfs.stdout) as Array<{ RootFS?: { Layers?: string[] } }>;
  t.is(info[0]?.RootFS?.Layers?.length, 2);
  // A stage named like the base (FROM busybox AS x, then FROM x) is still the same base: it hits.
  const viaStage = await buildOnce(sb, `FROM ${BASE} AS x\nFROM x\nCOPY f.txt /f\nCOPY f.txt /g\n`);
  t.true(viaStage.steps.every((s) => s.cached), JSON.stringify(viaStage.steps));
  t.is(viaStage.imageId, overImage.imageId);
});
