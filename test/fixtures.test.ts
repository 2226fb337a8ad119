// Builds every project fixture (fixtures/<name>/ with an expect.json) for real: real store, real
// runner, busybox base. Checks the flattened rootfs, the config, and for error fixtures the code,
// exit code, Dockerfile lines and message.
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { FIXTURES, filesBelow, haveBusybox, loadBuild, sink, storeWithBusybox, tempDir, type BuildOptions } from './helpers.js';

interface FileExpect {
  /** f file, d dir, l symlink, p FIFO, c character device */
  type?: 'f' | 'd' | 'l' | 'p' | 'c';
  mode?: string;
  uid?: number;
  gid?: number;
  content?: string;
}

interface Expect {
  description: string;
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  target?: string;
  secrets?: { id: string; env?: string; src?: string }[];
  env?: Record<string, string>;
  files?: Record<string, string | null | FileExpect>;
  config?: Record<string, unknown>;
  author?: string;
  notInImage?: string[];
  error?: { code?: string; startLine?: number; endLine?: number; exitCode?: number; message?: string; hint?: string; logTail?: string[] };
}

const fixtures = existsSync(FIXTURES)
  ? readdirSync(FIXTURES).filter((n) => existsSync(path.join(FIXTURES, n, 'expect.json'))).sort()
  : [];

const build = await loadBuild();
let root = '';
let cleanup = async (): Promise<void> => undefined;
test.before(async () => {
  if (!haveBusybox) return;
  ({ dir: root, cleanup } = await tempDir('tsbuild-fixtures-'));
  await storeWithBusybox(root);
});
test.after.always(() => cleanup());

for (const name of fixtures) {
  const expect = JSON.parse(readFileSync(path.join(FIXTURES, name, 'expect.json'), 'utf8')) as Expect;
  const run = haveBusybox ? test.serial : test.skip;
  run(`${name}: ${expect.description}`, async (t) => {
    const out = await tempDir('tsbuild-fixture-out-');
    t.teardown(out.cleanup);
    const ctx = path.join(FIXTURES, name);
    const log = sink();
    const options: BuildOptions = {
      contextDir: ctx,
      ...(expect.dockerfile ? { dockerfile: path.join(ctx, expect.dockerfile) } : {}),
      tags: [`localhost/fixtures/${name}:latest`],
      buildArgs: expect.buildArgs ?? {},
      ...(expect.target ? { target: expect.target } : {}),
      secrets: expect.secrets ?? [],
      outputs: [{ type: 'local', dest: path.join(out.dir, 'rootfs') }],
      progress: 'plain',
      root,
    };
    const io = { stdout: sink(), stderr: log, env: { ...process.env, ...(expect.env ?? {}) } };
    if (expect.error) {
      const e = await t.throwsAsync(build(options, io));
      const err = e as Error & { code?: string; exitCode?: number; hint?: string; location?: { start: { line: number }; end: { line: number } }; details?: Record<string, unknown> };
      if (expect.error.code) t.is(err.code, expect.error.code);
      if (expect.error.exitCode !== undefined) t.is(err.exitCode, expect.error.exitCode);
      if (expect.error.startLine !== undefined) t.is(err.location?.start.line, expect.error.startLine);
      if (expect.error.endLine !== undefined) t.is(err.location?.end.line, expect.error.endLine);
      if (expect.error.message) t.true(err.message.includes(expect.error.message), err.message);
      if (expect.error.hint) t.true((err.hint ?? '').includes(expect.error.hint), err.hint);
      if (expect.error.logTail) t.deepEqual((err.details?.logTail as string[]).slice(-expect.error.logTail.length), expect.error.logTail);
      return;
    }
    let result;
    try {
      result = await build(options, io);
    } catch (e) {
      t.log(log.text());
      throw e;
    }
    const rootfs = path.join(out.dir, 'rootfs');
    for (const [p, want] of Object.entries(expect.files ?? {})) {
      const host = path.join(rootfs, p);
      const st = await lstat(host).catch(() => undefined);
      if (want === null) {
        t.is(st, undefined, `${p} must not exist`);
        continue;
      }
      if (!st) {
        t.fail(`${p} is missing`);
        continue;
      }
      const w: FileExpect = typeof want === 'string' ? { type: 'f', content: want } : want;
      const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFIFO() ? 'p' : st.isCharacterDevice() ? 'c' : st.isFile() ? 'f' : '?';
      if (w.type) t.is(type, w.type, `${p} type`);
      if (w.mode) t.is((st.mode & 0o7777).toString(8).padStart(4, '0'), w.mode, `${p} mode`);
      if (w.uid !== undefined) t.is(st.uid, w.uid, `${p} uid`);
      if (w.gid !== undefined) t.is(st.gid, w.gid, `${p} gid`);
      // a FIFO is never read: opening one with no writer would block
      if (w.content !== undefined && type === 'f') t.is(await readFile(host, 'utf8'), w.content, `${p} content`);
      else if (w.content !== undefined) t.fail(`${p} is not a file`);
    }
    const cc = result.image.config.config as Record<string, unknown>;
    for (const [k, v] of Object.entries(expect.config ?? {})) t.deepEqual(cc[k] ?? null, v, `config ${k}`);
    if (expect.author) t.is(result.image.config.author, expect.author);
    for (const secret of expect.notInImage ?? []) {
      t.false(JSON.stringify(result.image.config).includes(secret), 'secret in the config or history');
      for (const f of await filesBelow(rootfs)) {
        t.false((await readFile(path.join(rootfs, f))).includes(secret), `secret in ${f}`);
      }
      t.false(log.text().includes(secret), 'secret in the build output');
    }
  });
}
