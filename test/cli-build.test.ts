// The build command as people and CI use it (CLN-03): exit codes 0 / 1 / 2 / 130, `-q` prints only
// the image id, `-t` + `tsbuild run` of the demo fixture, SIGINT during a RUN cleans up.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FIXTURES, REPO, haveBusybox, storeWithBusybox, tempDir } from './helpers.js';

const CLI = path.join(REPO, 'packages/builder/bin/tsbuild.js');
const run = haveBusybox && process.getuid?.() === 0 ? test.serial : test.skip;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(root: string, args: string[]): ChildProcess & { done: Promise<Result> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, TSBUILD_ROOT: root, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Result>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return Object.assign(child, { done });
}

async function ctxWith(dir: string, dockerfile: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

let root = '';
let cleanup = async (): Promise<void> => undefined;
test.before(async () => {
  if (!haveBusybox) return;
  ({ dir: root, cleanup } = await tempDir('tsbuild-cli-'));
  await storeWithBusybox(path.join(root, 'store'));
});
test.after.always(() => cleanup());

run('tsbuild -q -t demo fixtures/demo prints only the image id; tsbuild run demo runs its CMD', async (t) => {
  const b = await start(path.join(root, 'store'), ['-q', '-t', 'demo', path.join(FIXTURES, 'demo')]).done;
  t.is(b.code, 0, b.stderr);
  t.regex(b.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const r = await start(path.join(root, 'store'), ['run', 'demo']).done;
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'hello from tsbuild\n');
});

run('exit codes: 1 for a failing RUN (with its code and line), 2 for a Dockerfile error, 0 for `|| true`', async (t) => {
  const fails = await ctxWith(path.join(root, 'fails'), 'FROM localhost/busybox:latest\nRUN exit 3\n');
  const r1 = await start(path.join(root, 'store'), ['build', '--progress', 'plain', fails]).done;
  t.is(r1.code, 1);
  t.regex(r1.stderr, /exit code: 3/);
  t.regex(r1.stderr, /Dockerfile:2/);
  const bad = await ctxWith(path.join(root, 'bad'), 'FROM localhost/busybox:latest\nFOOBAR x\n');
  const r2 = await start(path.join(root, 'store'), ['build', bad]).done;
  t.is(r2.code, 2);
  t.regex(r2.stderr, /FOOBAR/);
  const ok = await ctxWith(path.join(root, 'ok'), 'FROM localhost/busybox:latest\nRUN false || true\n');
  t.is((await start(path.join(root, 'store'), ['build', '-q', ok]).done).code, 0);
  const nobase = await ctxWith(path.join(root, 'nobase'), 'FROM localhost/nothing-here:1\n');
  const r4 = await start(path.join(root, 'store'), ['build', nobase]).done;
  t.is(r4.code, 1);
  t.regex(r4.stderr, /tsbuild load/);
});

run('SIGINT during a RUN: exit 130, the step process is gone', async (t) => {
  const slow = await ctxWith(path.join(root, 'slow'), 'FROM localhost/busybox:latest\nRUN echo started && sleep 876541\n');
  const child = start(path.join(root, 'store'), ['build', '--progress', 'plain', slow]);
  let seen = '';
  child.stderr?.on('data', (d: Buffer) => (seen += d.toString()));
  const t0 = Date.now();
  while (!seen.includes('started') && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGINT');
  const r = await child.done;
  t.is(r.code, 130);
  const { execFileSync } = await import('node:child_process');
  t.false(execFileSync('ps', ['-eo', 'args']).toString().includes('sleep 876541'));
});
