// The CLI as a user meets it: real processes, exit codes and error locations.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/tsbuild.js');

function tsbuild(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, env: { ...process.env, TSBUILD_ROOT: mkdtempSync(path.join(tmpdir(), 'tsb-cli-root-')) } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function contextWith(dockerfile: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsb-cli-'));
  writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

test('--help exits 0 and documents the exit codes', (t) => {
  const r = tsbuild(['--help']);
  t.is(r.code, 0);
  t.regex(r.out, /Exit codes:/);
  t.regex(r.out, /130/);
});

test('an unknown flag is a usage error (exit 2)', (t) => {
  const r = tsbuild(['build', '--no-such-flag', '.']);
  t.is(r.code, 2);
  t.regex(r.err, /\[USAGE\]/);
});

test('an unknown command word is a usage error (exit 2)', (t) => {
  const r = tsbuild(['frobnicate', 'x', 'y']);
  t.is(r.code, 2);
});

test('check: a valid Dockerfile exits 0 and reports warnings with their lines', (t) => {
  const dir = contextWith('FROM busybox as Build\nMAINTAINER me\nCMD echo hi\n');
  const r = tsbuild(['check', dir]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /Dockerfile:2:1: MaintainerDeprecated/);
  t.regex(r.out, /Dockerfile:3:1: JSONArgsRecommended/);
  t.regex(r.out, /FromAsCasing/);
});

test('check: an unknown instruction exits 2 with code, file:line and the marked line', (t) => {
  const dir = contextWith('FROM busybox\nRUN true\nCOPPY a b\n');
  const r = tsbuild(['check', dir]);
  t.is(r.code, 2);
  t.regex(r.err, /Dockerfile:3:1: .*\[DF_UNKNOWN_INSTRUCTION\]/);
  t.regex(r.err, />>> 3 \| COPPY a b/);
  t.regex(r.err, /COPY/);
});

test('check: error=true in a check directive turns warnings into exit 2', (t) => {
  const dir = contextWith('# check=error=true\nFROM busybox\nCMD echo hi\n');
  const r = tsbuild(['check', dir]);
  t.is(r.code, 2);
  t.regex(r.err, /\[DF_CHECK_FAILED\]/);
});

test('check -f - reads the Dockerfile from stdin', (t) => {
  const r = tsbuild(['check', '-f', '-', '.'], 'FROM scratch\n');
  t.is(r.code, 0, r.err);
});

test('parse --dump prints the AST as JSON', (t) => {
  const dir = contextWith('FROM busybox\nRUN echo \\\n  hi\n');
  const r = tsbuild(['parse', path.join(dir, 'Dockerfile')]);
  t.is(r.code, 0, r.err);
  t.notThrows(() => JSON.parse(r.out));
  t.regex(r.out, /echo/);
});

test('run of an image that is not in the store exits 2 with IMAGE_NOT_FOUND', (t) => {
  const r = tsbuild(['run', 'no/such:image', 'true']);
  t.is(r.code, 2);
  t.regex(r.err, /\[IMAGE_NOT_FOUND\]/);
});

test('a repeatable flag does not swallow the CONTEXT that follows it', (t) => {
  const dir = contextWith('FROM scratch\nFOO\n');
  const r = tsbuild(['build', '-t', 'a', '-t', 'b', '--build-arg', 'X=1', '-o', 'type=oci,dest=/dev/null', dir]);
  t.is(r.code, 2);
  t.regex(r.err, /Dockerfile:2:1: .*\[DF_UNKNOWN_INSTRUCTION\]/);
});
