// bin/tsbuild, the command npm links: a sh launcher that finds bin/tsbuild.js through symlinks and
// hands NODE_EXTRA_CA_CERTS on as TSBUILD_NODE_EXTRA_CA_CERTS (Node would parse it at every start).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './helpers.js';

const launcher = path.join(repoRoot, 'packages/builder/bin/tsbuild');

function exec(file: string, env: Record<string, string | undefined> = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(file, ['--help'], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('the launcher runs the CLI, directly and through a chain of symlinks (npm bin links)', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsb-launcher-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  symlinkSync(path.relative(dir, launcher), path.join(dir, 'link1'));
  symlinkSync('link1', path.join(dir, 'tsbuild'));
  for (const file of [launcher, path.join(dir, 'tsbuild')]) {
    const r = exec(file);
    t.is(r.code, 0, r.err);
    t.regex(r.out, /A daemonless Dockerfile image builder/);
  }
});

test('NODE_EXTRA_CA_CERTS does not reach Node: no start-up parse (a missing file would warn)', (t) => {
  const missing = path.join(tmpdir(), `no-such-ca-${process.pid}.pem`);
  // Node itself warns about an unreadable NODE_EXTRA_CA_CERTS at start-up: the control.
  const direct = spawnSync(process.execPath, [path.join(repoRoot, 'packages/builder/bin/tsbuild.js'), '--help'], {
    encoding: 'utf8',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: missing },
  });
  t.regex(direct.stderr, /extra certs/i);
  const r = exec(launcher, { NODE_EXTRA_CA_CERTS: missing });
  t.is(r.code, 0);
  t.notRegex(r.err, /extra certs/i);
});
