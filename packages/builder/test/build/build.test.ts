// build() end to end with the real store and runner: outputs, id files, progress modes, errors and
// their codes, cancellation, the stat cache.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { build } from '../../src/build.js';
import { env, haveBusybox, sink } from './helpers.js';

const serial = haveBusybox ? test.serial : test.skip;

const DOCKERFILE = `FROM localhost/busybox:latest
COPY a.txt /a.txt
RUN echo built > /built.txt
CMD ["cat", "/a.txt"]
`;

serial('outputs: oci and docker archives, local dir, rootfs tar, tar to stdout; iidfile; metadata file', async (t) => {
  const e = await env();
  t.teardown(e.cleanup);
  await e.write({ Dockerfile: DOCKERFILE, 'a.txt': 'hello\n' });
  const out = (n: string) => path.join(e.tmp, n);
  const stdout = sink();
  const r = await build(
    {
      contextDir: e.ctx,
      root: e.root,
      tags: ['localhost/test/app:1', 'localhost/test/app:latest'],
      progress: 'quiet',
      outputs: [
        { type: 'oci', dest: out('app.oci.tar') },
        { type: 'docker', dest: out('app.docker.tar') },
        { type: 'local', dest: out('rootfs') },
        { type: 'tar', dest: out('rootfs.tar') },
        { type: 'tar', dest: '-' },
      ],
      iidfile: out('iid'),
      metadataFile: out('meta.json'),
    },
    { stdout, stderr: sink(), env: {} },
  );
  t.regex(r.imageId, /^sha256:[0-9a-f]{64}$/);
  t.is(await readFile(out('iid'), 'utf8'), r.imageId);
  const meta = JSON.parse(await readFile(out('meta.json'), 'utf8')) as Record<string, unknown>;
  t.is(meta['containerimage.digest'], r.manifestDigest);
  t.is(meta['containerimage.config.digest'], r.configDigest);
  t.is(meta['image.name'], 'localhost/test/app:1,localhost/test/app:latest');
  const ociList = execFileSync('tar', ['-tf', out('app.oci.tar')]).toString();
  t.regex(ociList, /oci-layout/);
  t.regex(ociList, /index\.json/);
  t.regex(execFileSync('tar', ['-tf', out('app.docker.tar')]).toString(), /manifest\.json/);
  t.is(await readFile(path.join(out('rootfs'), 'a.txt'), 'utf8'), 'hello\n');
  t.is(await readFile(path.join(out('rootfs'), 'built.txt'), 'utf8'), 'built\n');
  t.true(existsSync(path.join(out('rootfs'), 'bin/busybox')));
  const list = execFileSync('tar', ['-tf', out('rootfs.tar')]).toString().split('\n');
  t.true(list.includes('./built.txt'));
  t.true(stdout.bytes().length > 1_000_000, 'the rootfs tar went to stdout');
  t.deepEqual((await readdir(e.tmp)).filter((n) => n.includes('.tmp')), [], 'no temp files left beside outputs');
});

serial('a failing RUN: BuildError RUN_FAILED, exit code 1, its lines, its exit status and the tail of its output', async (t) => {
  const e = await env();
  t.teardown(e.cleanup);
  await e.write({ Dockerfile: 'FROM localhost/busybox:latest\nRUN echo before\nRUN echo out1 && echo err1 >&2 && \\\n  exit 7\n' });
  const err = sink();
  const x = (await t.throwsAsync(build({ contextDir: e.ctx, root: e.root, progress: 'plain' }, { stdout: sink(), stderr: err, env: {} }))) as Error & {
    code: string;
    exitCode: number;
    location: { start: { line: number }; end: { line: number } };
    details: { exitCode: number; logTail: string[]; excerpt: string; logFile: string };
  };
  t.is(x.code, 'RUN_FAILED');
  t.is(x.exitCode, 1);
  t.is(x.details.exitCode, 7);
  t.is(x.location.start.line, 3);
  t.is(x.location.end.line, 4);
  t.regex(x.message, /did not complete successfully: exit code: 7/);
  t.deepEqual(x.details.logTail, ['out1', 'err1']);
  t.regex(x.details.excerpt, / 3 \| >>> RUN echo out1/);
  t.is(await readFile(x.details.logFile, 'utf8'), 'out1\nerr1\n', 'the whole log is kept in the store');
  t.regex(err.text(), /#3 \d+\.\d{3} err1\n/);
  t.regex(err.text(), /#3 ERROR: process .* exit code: 7/);
});

serial('a RUN killed by a signal reports the signal', async (t) => {
  const e = await env();
  t.teardown(e.cleanup);
  await e.write({ Dockerfile: 'FROM localhost/busybox:latest\nRUN kill -9 $$\n' });
  const x = (await t.throwsAsync(build({ contextDir: e.ctx, root: e.root, progress: 'quiet' }, { stdout: sink(), stderr: sink(), env: {} }))) as Error & { code: string };
  t.is(x.code, 'RUN_FAILED');
  t.regex(x.message, /SIGKILL|exit code: 137/);
});

serial('`|| true` succeeds; a usage error in the Dockerfile is exit code 2', async (t) => {
  const e = await env();
  t.teardown(e.cleanup);
  await e.write({ Dockerfile: 'FROM localhost/busybox:latest\nRUN false || true\n' });
  await t.notThrowsAsync(build({ contextDir: e.ctx, root: e.root, progress: 'quiet' }, { stdout: sink(), stderr: sink(), env: {} }));
  await e.write({ Dockerfile: 'FROM localhost/busybox:latest\nRUNN x\n' });
  const x = (await t.throwsAsync(build({ contextDir: e.ctx, root: e.root, progress: 'quiet' }, { stdout: sink(), stderr: sink(), env: {} }))) as Error & { exitCode: number };
  t.is(x.exitCode, 2);
});

serial('cancelling stops a running step quickly, cleans up, and rejects with BUILD_CANCELLED', async (t) => {
  const e = await env();
  t.teardown(e.cleanup);
  await e.write({ Dockerfile: 'FROM localhost/busybox:latest\nRUN echo started && sleep 987653\n' });
  const ac = new AbortController();
  const err = sink();
  const p = build({ contextDir: e.ctx, root: e.root, progress: 'plain', signal: ac.signal }, { stdout: sink(), stderr: err, env: {} });
  while (!err.text().includes('started')) await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  ac.abort();
  const x = (await t.throwsAsync(p)) as Error & { code: string };
  t.is(x.code, 'BUILD_CANCELLED');
  t.true(Date.now() - t0 < 10_000);
  t.false(execFileSync('ps', ['-eo', 'args']).toString().includes('sleep 987653'), 'no step process is left');
  const tmp = path.join(e.root, 'tmp');
  const left = existsSync(tmp) ? (await readdir(tmp, { recursive: true })).filter((n) => n.includes('work-')) : [];
  t.deepEqual(left, [], 'work areas removed');
});

serial('a no-op rebuild reuses every step and reads no context file; json progress is one event a line', async (t) => {
  const e = await env();
  t.teardown(e.cleanup);
  await e.write({ Dockerfile: DOCKERFILE, 'a.txt': 'hello\n' });
  // Let the files age past the stat cache's racy window, as a real edit-build loop would.
  await new Promise((r) => setTimeout(r, 2100));
  const first = await build({ contextDir: e.ctx, root: e.root, progress: 'quiet' }, { stdout: sink(), stderr: sink(), env: {} });
  t.is(first.contextFilesRead, 1);
  const snapshots = (await readdir(path.join(e.root, 'snapshots'))).length;
  const err = sink();
  const again = await build({ contextDir: e.ctx, root: e.root, progress: 'json' }, { stdout: sink(), stderr: err, env: {} });
  t.is(again.imageId, first.imageId);
  t.is(again.contextFilesRead, 0);
  t.is(again.cachedSteps, again.totalSteps);
  t.is((await readdir(path.join(e.root, 'snapshots'))).length, snapshots, 'no layer work');
  const events = err.text().trim().split('\n').map((l) => JSON.parse(l) as { type: string });
  t.deepEqual([...new Set(events.map((x) => x.type))].sort(), ['build-done', 'build-start', 'step-cached', 'step-done', 'step-start']);
  const touched = path.join(e.ctx, 'a.txt');
  const st = await stat(touched);
  t.true(st.isFile());
});

serial('--label and --network none; labels land in the config', async (t) => {
  const e = await env();
  t.teardown(e.cleanup);
  await e.write({ Dockerfile: 'FROM localhost/busybox:latest\nRUN cat /proc/net/dev | tail -n +3 | wc -l > /ifaces\n' });
  const r = await build(
    { contextDir: e.ctx, root: e.root, progress: 'quiet', network: 'none', labels: { 'org.example.k': 'v' }, outputs: [{ type: 'local', dest: path.join(e.tmp, 'fs') }] },
    { stdout: sink(), stderr: sink(), env: {} },
  );
  t.is(r.image.config.config.Labels?.['org.example.k'], 'v');
  t.is((await readFile(path.join(e.tmp, 'fs/ifaces'), 'utf8')).trim(), '1');
});

serial('plain progress explains a miss and marks hits CACHED; logs are kept per step in the store', async (t) => {
  const e = await env();
  t.teardown(e.cleanup);
  await e.write({ Dockerfile: 'FROM localhost/busybox:latest\nCOPY a.txt /a.txt\nRUN cat /a.txt\n', 'a.txt': 'one\n' });
  await build({ contextDir: e.ctx, root: e.root, progress: 'quiet' }, { stdout: sink(), stderr: sink(), env: {} });
  await e.write({ 'a.txt': 'two\n' });
  const err = sink();
  await build({ contextDir: e.ctx, root: e.root, progress: 'plain' }, { stdout: sink(), stderr: err, env: {} });
  const text = err.text();
  t.regex(text, /#2 \[2\/3\] COPY a\.txt \/a\.txt \(.*Dockerfile:2\)\n#2 cache miss: file a\.txt changed\n/);
  t.regex(text, /#3 \d+\.\d{3} two\n/);
  t.regex(text, /Built in \d+\.\ds: 0\/2 steps cached, image [0-9a-f]{12}/);
  const logs = await readdir(path.join(e.root, 'state', 'logs'));
  t.is(logs.filter((f) => f.endsWith('.log')).length, 2, 'one full log per RUN that ran');
});
