// bin/tsbuild.js runs the one-file bundle (dist/tsbuild.cjs, `npm run build`) through V8's code cache,
// and the modules in dist/src when the bundle is missing, disabled or older than the last tsc build.
// Both ways must behave the same; these tests hold them to it on help, usage errors, Dockerfile
// errors and a real build. (`npm test` runs `npm run build` first, so the bundle here is fresh.)
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bin, repoRoot, storeWithBase } from './helpers.js';

const dist = path.join(repoRoot, 'packages/builder/dist');

interface Ran {
  code: number | null;
  out: string;
  err: string;
  loader: string;
}

function run(args: string[], env: Record<string, string> = {}, cwd?: string, script = bin): Ran {
  const r = spawnSync(process.execPath, [script, ...args], {
    encoding: 'utf8',
    cwd,
    env: { ...process.env, TSBUILD_NO_BUNDLE: '', ...env, TSBUILD_DEBUG_LOADER: '1' },
  });
  const lines = r.stderr.split('\n');
  const loader = lines.find((l) => l.startsWith('tsbuild: loader: ')) ?? '';
  return { code: r.status, out: r.stdout, err: lines.filter((l) => !l.startsWith('tsbuild: loader: ')).join('\n'), loader };
}

test('the bundle is fresh after npm run build and is what the bin runs', (t) => {
  const stamp = JSON.parse(readFileSync(path.join(dist, 'tsbuild.cjs.stamp'), 'utf8')) as { id: string; sources: Array<[string, number]> };
  t.is(stamp.sources.length, 3);
  t.regex(stamp.id, /^[0-9a-f]{16}$/);
  const r = run(['--help']);
  t.is(r.code, 0);
  t.regex(r.loader, /^tsbuild: loader: bundle, code cache (absent|rejected|used)$/);
  t.regex(run(['--help'], { TSBUILD_NO_BUNDLE: '1' }).loader, /modules \(TSBUILD_NO_BUNDLE=1\)/);
});

test('bundle and modules agree on help, usage errors and Dockerfile errors', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsb-bundle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY --bogus a b\n');
  for (const args of [['--help'], ['build', '--help'], ['--no-such-flag', '.'], ['check', path.join(dir, 'Dockerfile')], ['parse', '--dump', path.join(dir, 'Dockerfile')]]) {
    const a = run(args);
    const b = run(args, { TSBUILD_NO_BUNDLE: '1' });
    t.regex(a.loader, /bundle/);
    t.regex(b.loader, /modules/);
    t.deepEqual({ code: a.code, out: a.out, err: a.err }, { code: b.code, out: b.out, err: b.err }, args.join(' '));
  }
  // The lazily initialised string-width still measures: help is laid out in columns.
  t.regex(run(['--help']).out, /--root\s{2,}store root/);
});

/** A copy of the bin beside a dist/ of its own (the bundle and a stamp we control; src/ linked). */
function copiedLayout(t: { teardown(fn: () => void): void }): { dir: string; script: string; writeStamp(sources: Array<[string, number]>, id?: string): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsb-bundle-copy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'bin'));
  mkdirSync(path.join(dir, 'dist'));
  copyFileSync(bin, path.join(dir, 'bin/tsbuild.js'));
  symlinkSync(path.join(dist, 'src'), path.join(dir, 'dist/src'));
  copyFileSync(path.join(dist, 'tsbuild.cjs'), path.join(dir, 'dist/tsbuild.cjs'));
  return {
    dir,
    script: path.join(dir, 'bin/tsbuild.js'),
    writeStamp: (sources, id = '0123456789abcdef') => writeFileSync(path.join(dir, 'dist/tsbuild.cjs.stamp'), JSON.stringify({ id, sources })),
  };
}

test('a bundle older than the last tsc build is not run', (t) => {
  // A stamp naming a tsc build that is not the current one.
  const c = copiedLayout(t);
  const info = path.join(repoRoot, 'packages/runner/dist/tsconfig.tsbuildinfo');
  const loader = (): string => run(['--help'], {}, undefined, c.script).loader;
  c.writeStamp([[info, statSync(info).mtimeMs]]);
  t.regex(loader(), /bundle/);
  c.writeStamp([[info, statSync(info).mtimeMs - 1000]]);
  t.regex(loader(), /modules \(no bundle, or older than the last tsc build\)/);
  rmSync(path.join(c.dir, 'dist/tsbuild.cjs.stamp'));
  t.regex(loader(), /modules/);
});

test('the code cache is named by the bundle id; a corrupt one is rejected by V8 and replaced', (t) => {
  const c = copiedLayout(t);
  const info = path.join(repoRoot, 'packages/runner/dist/tsconfig.tsbuildinfo');
  c.writeStamp([[info, statSync(info).mtimeMs]], 'aaaaaaaaaaaaaaaa');
  const cache = path.join(c.dir, 'dist/tsbuild.cjs.aaaaaaaaaaaaaaaa.cache');
  const loader = (): Ran => run(['--help'], {}, undefined, c.script);
  t.regex(loader().loader, /code cache absent/);
  t.true(existsSync(cache));
  t.regex(loader().loader, /code cache used/);
  writeFileSync(cache, Buffer.alloc(4096, 7));
  const r = loader();
  t.is(r.code, 0);
  t.regex(r.loader, /code cache rejected/);
  t.regex(loader().loader, /code cache used/);
  // Another bundle id (a rebuilt bundle, whatever its length) never reads that cache.
  c.writeStamp([[info, statSync(info).mtimeMs]], 'bbbbbbbbbbbbbbbb');
  t.regex(loader().loader, /code cache absent/);
});

test('a build through the bundle finds the native addon and the sandbox helper', (t) => {
  const root = storeWithBase();
  const ctx = mkdtempSync(path.join(tmpdir(), 'tsb-bundle-ctx-'));
  t.teardown(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(ctx, { recursive: true, force: true });
  });
  writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM localhost/busybox:latest\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\n');
  writeFileSync(path.join(ctx, 'a.txt'), 'hello\n');
  const r = run(['--root', root, 'build', '-q', '--network', 'none', '-t', 'bundled', ctx]);
  t.is(r.code, 0, r.err);
  t.regex(r.loader, /bundle/);
  t.regex(r.out, /^sha256:[0-9a-f]{64}\n$/);
  const again = run(['--root', root, 'build', '-q', '--network', 'none', '-t', 'bundled', ctx], { TSBUILD_NO_BUNDLE: '1' });
  t.is(again.out, r.out, 'the same image, cached, from the modules');
});
