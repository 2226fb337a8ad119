// ~/.docker/config.json and credential helpers: login/logout write what docker writes (0600, atomic,
// unknown fields kept), helpers are asked with the registry on stdin, and a configured helper that is
// missing is a hard error (CVE-2021-41092 class), never a silent fallback.
import test from 'ava';
import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { login, logout, pull } from '../../src/registry/index.js';
import { lookupCredentials } from '../../src/registry/docker-config.js';
import { seeded } from './helpers/setup.js';
import { tempDir } from './helpers/store.js';

const HELPER = `#!/bin/sh
input=$(cat)
echo "$1 $input" >> "$(dirname "$0")/helper.log"
case "$1" in
  get)
    if [ "$input" = "$(cat "$(dirname "$0")/known-host")" ]; then
      printf '{"ServerURL":"%s","Username":"alice","Secret":"hunter2-secret"}' "$input"
    else
      echo "credentials not found in native keychain"; exit 1
    fi ;;
  store) echo "$input" > "$(dirname "$0")/stored.json" ;;
  erase) : ;;
esac
`;

/** Installs docker-credential-tsbtest in a fresh folder at the front of PATH (this file's process only; tests using it are serial). */
async function installHelper(t: Parameters<typeof tempDir>[0], knownHost: string): Promise<string> {
  const bin = join(await tempDir(t), 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'docker-credential-tsbtest'), HELPER);
  await chmod(join(bin, 'docker-credential-tsbtest'), 0o755);
  await writeFile(join(bin, 'known-host'), knownHost);
  process.env.PATH = `${bin}:${process.env.PATH ?? ''}`;
  return bin;
}

test('login writes a 0600 config.json atomically with a base64 auth, keeping other fields; logout removes it', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { 'other.io': { auth: 'eDp5' } }, psFormat: 'table' }));
  await login('registry.example:5000', 'alice', 'hunter2-secret', { dockerConfigDir: dir, verify: false });
  const file = join(dir, 'config.json');
  t.is((await stat(file)).mode & 0o777, 0o600);
  const saved = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, { auth: string }>; psFormat: string };
  t.is(saved.psFormat, 'table');
  t.is(saved.auths['other.io']!.auth, 'eDp5');
  t.is(Buffer.from(saved.auths['registry.example:5000']!.auth, 'base64').toString(), 'alice:hunter2-secret');
  t.deepEqual((await readdir(dir)).sort(), ['config.json'], 'no temp file left');
  t.deepEqual(await lookupCredentials('registry.example:5000', dir), { username: 'alice', password: 'hunter2-secret' });
  t.true(await logout('https://registry.example:5000/', { dockerConfigDir: dir }));
  t.is(await lookupCredentials('registry.example:5000', dir), undefined);
  t.false(await logout('registry.example:5000', { dockerConfigDir: dir }));
});

test('docker.io credentials live under docker\'s historical index URL key', async (t) => {
  const dir = await tempDir(t);
  await login('index.docker.io', 'alice', 'pw-123456', { dockerConfigDir: dir, verify: false });
  const saved = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { auths: Record<string, unknown> };
  t.deepEqual(Object.keys(saved.auths), ['https://index.docker.io/v1/']);
  t.deepEqual(await lookupCredentials('docker.io', dir), { username: 'alice', password: 'pw-123456' });
});

test('identity tokens and malformed entries', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { 'a.io': { identitytoken: 'refresh-xyz' }, 'b.io': { auth: Buffer.from('nocolon').toString('base64') } } }));
  t.deepEqual(await lookupCredentials('a.io', dir), { identityToken: 'refresh-xyz' });
  const e = await t.throwsAsync(lookupCredentials('b.io', dir)) as Error & { code?: string };
  t.is(e.code, 'ECONFIG');
});

test.serial('credsStore: the helper is asked with the registry host on stdin, and its credentials are used', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'basic', user: 'alice', password: 'hunter2-secret' };
  const bin = await installHelper(t, w.a.host);
  await writeFile(join(w.configDir, 'config.json'), JSON.stringify({ credsStore: 'tsbtest', auths: { [w.a.host]: { auth: Buffer.from('alice:stale').toString('base64') } } }));
  await pull(w.store, w.ref, w.opts);
  t.true((await readFile(join(bin, 'helper.log'), 'utf8')).includes(`get ${w.a.host}`));
  t.true(w.recorder.authorizationsAt(w.a.host).includes(`Basic ${Buffer.from('alice:hunter2-secret').toString('base64')}`));
});

test.serial('a helper that has no credentials means anonymous: a basic-auth registry then gives EAUTH no-credentials', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'basic', user: 'alice', password: 'hunter2-secret' };
  await installHelper(t, 'some-other-host');
  await writeFile(join(w.configDir, 'config.json'), JSON.stringify({ credHelpers: { [w.a.host]: 'tsbtest' } }));
  const e = await t.throwsAsync(pull(w.store, w.ref, w.opts)) as Error & { code?: string; details?: Record<string, unknown> };
  t.is(e.code, 'EAUTH');
  t.is(e.details?.reason, 'no-credentials');
});

test('a configured helper that is not installed is ECREDHELPER, and nothing is sent anywhere with credentials', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'bearer', realm: `${w.a.url}/token`, token: 'tok-secret-0123456789' };
  await writeFile(join(w.configDir, 'config.json'), JSON.stringify({ credsStore: 'tsbuild-no-such-helper' }));
  const e = await t.throwsAsync(pull(w.store, w.ref, w.opts)) as Error & { code?: string; details?: Record<string, unknown> };
  t.is(e.code, 'ECREDHELPER');
  t.is(e.details?.missing, true);
  t.deepEqual(w.recorder.authorizationsAt(w.a.host), []);
  t.is(w.recorder.to(w.b.host).length, 0);
});

test.serial('login verifies against the registry (bearer), then stores through the configured helper', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'bearer', realm: `${w.a.url}/token`, user: 'alice', password: 'hunter2-secret', token: 'tok-secret-0123456789' };
  const bin = await installHelper(t, w.a.host);
  await writeFile(join(w.configDir, 'config.json'), JSON.stringify({ credHelpers: { [w.a.host]: 'tsbtest' } }));
  const bad = await t.throwsAsync(login(w.a.host, 'alice', 'wrong', w.opts)) as Error & { code?: string };
  t.is(bad.code, 'EAUTH');
  await login(w.a.host, 'alice', 'hunter2-secret', w.opts);
  t.deepEqual(JSON.parse(await readFile(join(bin, 'stored.json'), 'utf8')), { ServerURL: w.a.host, Username: 'alice', Secret: 'hunter2-secret' });
  const saved = JSON.parse(await readFile(join(w.configDir, 'config.json'), 'utf8')) as { auths: Record<string, object> };
  t.deepEqual(saved.auths[w.a.host], {}, 'no secret in the file when a helper keeps it');
  t.true(await logout(w.a.host, { dockerConfigDir: w.configDir }));
  t.true((await readFile(join(bin, 'helper.log'), 'utf8')).includes(`erase ${w.a.host}`));
});
