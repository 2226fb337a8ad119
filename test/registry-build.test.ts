// The registry as a build uses it, end to end with real processes (issue 6): a real docker-registry on
// 127.0.0.1, the tsbuild CLI as a child process, one store root per "machine". FROM pulls a missing base
// on demand, --pull re-resolves a moved tag, --push / -o type=registry publish what skopeo and a fresh
// `tsbuild pull` see under the digest the build reported, a missing or corrupt base fails at its FROM
// line and leaves nothing unverified behind, and the TLS + htpasswd registry works after `tsbuild login`.
import test, { type ExecutionContext } from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BUSYBOX, FIXTURES, haveBusybox, tempDir } from './helpers.js';
import {
  makeCerts, needRegistryTools, registryDataDir, skopeoInspect, startRegistry, tsbuild, type CliResult, type RegistryProcess,
} from './helpers-registry.js';

const serial = haveBusybox && process.getuid?.() === 0 ? test.serial : test.skip;
const USER = { user: 'tsbuild', password: 'registry-build-secret-7f3a' };
const DIGEST = /sha256:[0-9a-f]{64}/;

interface World {
  dir: string;
  reg: RegistryProcess;
  /** Environment of every CLI call: an empty docker config, never the machine's ~/.docker. */
  env: Record<string, string>;
  /** A fresh store root under the test's temp dir. */
  root: (name: string) => string;
  /** A build context holding only this Dockerfile. */
  context: (name: string, dockerfile: string) => Promise<string>;
}

async function world(t: ExecutionContext, opts: Parameters<typeof startRegistry>[2] = {}): Promise<World> {
  const { dir, cleanup } = await tempDir('tsbuild-regbuild-');
  t.teardown(cleanup);
  const reg = await startRegistry(t, dir, opts);
  await mkdir(path.join(dir, 'docker'));
  return {
    dir,
    reg,
    env: { DOCKER_CONFIG: path.join(dir, 'docker') },
    root: (name) => path.join(dir, 'roots', name),
    context: async (name, dockerfile) => {
      const ctx = path.join(dir, 'contexts', name);
      await mkdir(ctx, { recursive: true });
      await writeFile(path.join(ctx, 'Dockerfile'), dockerfile);
      return ctx;
    },
  };
}

function ok(t: ExecutionContext, r: CliResult, what: string): void {
  t.is(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
}

/** The digest on the one line of `tsbuild push` / `tsbuild pull` output. */
function printedDigest(t: ExecutionContext, r: CliResult): string {
  const m = DIGEST.exec(r.stdout);
  t.truthy(m, `no digest in ${r.stdout}`);
  return m?.[0] ?? '';
}

/** Loads the conformance busybox into `root` and pushes it to the registry as `dest`; returns the pushed digest. */
async function pushBase(t: ExecutionContext, w: World, root: string, dest: string, extra: string[] = []): Promise<string> {
  ok(t, await tsbuild(root, ['load', '-i', BUSYBOX, 'localhost/busybox:latest'], { env: w.env }), 'load');
  const pushed = await tsbuild(root, ['push', ...extra, 'localhost/busybox:latest', dest], { env: w.env });
  ok(t, pushed, 'push');
  return printedDigest(t, pushed);
}

interface ImageRow {
  names: string[];
  manifestDigest: string;
}

async function images(t: ExecutionContext, w: World, root: string): Promise<ImageRow[]> {
  const r = await tsbuild(root, ['images', '--json'], { env: w.env });
  ok(t, r, 'images');
  return JSON.parse(r.stdout) as ImageRow[];
}

async function manifestDigestOf(t: ExecutionContext, w: World, root: string, name: string): Promise<string | undefined> {
  return (await images(t, w, root)).find((i) => i.names.includes(name))?.manifestDigest;
}

async function layerCount(t: ExecutionContext, w: World, root: string, name: string): Promise<number> {
  const r = await tsbuild(root, ['inspect', name], { env: w.env });
  ok(t, r, 'inspect');
  return (JSON.parse(r.stdout) as { RootFS: { Layers: string[] } }[])[0]!.RootFS.Layers.length;
}

async function verifyClean(t: ExecutionContext, w: World, root: string): Promise<void> {
  const r = await tsbuild(root, ['verify'], { env: w.env });
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, / 0 problem\(s\)/);
}

/** Files left in the store's temp folder (a half-written blob would show up here). */
async function leftovers(root: string): Promise<string[]> {
  return existsSync(path.join(root, 'tmp')) ? readdir(path.join(root, 'tmp')) : [];
}

serial('FROM an image of the registry pulls it on demand into a fresh store', async (t) => {
  if (!(await needRegistryTools(t))) return;
  const w = await world(t);
  const base = `${w.reg.host}/base/busybox:1`;
  const pushed = await pushBase(t, w, w.root('a'), base);

  const b = w.root('b');
  const ctx = await w.context('from-registry', `FROM ${base}\nRUN echo hi > /x\n`);
  const built = await tsbuild(b, ['build', '--progress', 'plain', '-t', 'app:1', ctx], { env: w.env });
  ok(t, built, 'build');
  // The FROM step shows the pull: bytes when it ends, then the digest the tag resolved to.
  t.regex(built.stderr, /^#1 pulling [\d.]+[kM]?B done$/m);
  t.true(built.stderr.includes(`#1 resolved ${base}@${pushed}`), built.stderr);

  t.is(await manifestDigestOf(t, w, b, base), pushed, 'the base in the store is the one pushed');
  const listed = await tsbuild(b, ['images'], { env: w.env });
  t.regex(listed.stdout, new RegExp(`^${w.reg.host}/base/busybox\\s+1\\s`, 'm'));
  const x = await tsbuild(b, ['run', 'app:1', 'cat', '/x'], { env: w.env });
  ok(t, x, 'run');
  t.is(x.stdout, 'hi\n');
  await verifyClean(t, w, b);
});

serial('--pull re-resolves a tag that moved; without it the stored base is kept', async (t) => {
  if (!(await needRegistryTools(t))) return;
  const w = await world(t);
  const base = `${w.reg.host}/base/busybox:1`;
  const a = w.root('a');
  const first = await pushBase(t, w, a, base);

  const b = w.root('b');
  const ctx = await w.context('app', `FROM ${base}\nRUN echo hi > /x\n`);
  ok(t, await tsbuild(b, ['build', '-q', '-t', 'app:1', ctx], { env: w.env }), 'first build');
  t.is(await manifestDigestOf(t, w, b, base), first);
  t.is(await layerCount(t, w, b, 'app:1'), 2);

  // Another machine moves the tag to a changed image (one more layer).
  const changed = await w.context('changed', 'FROM localhost/busybox:latest\nRUN echo v2 > /v\n');
  ok(t, await tsbuild(a, ['build', '-q', '-t', 'localhost/busybox:v2', changed], { env: w.env }), 'changed build');
  const moved = await tsbuild(a, ['push', 'localhost/busybox:v2', base], { env: w.env });
  ok(t, moved, 'push of the changed image');
  const second = printedDigest(t, moved);
  t.not(second, first);

  ok(t, await tsbuild(b, ['build', '-q', '-t', 'app:1', ctx], { env: w.env }), 'build without --pull');
  t.is(await manifestDigestOf(t, w, b, base), first, 'without --pull the stored base is used');
  t.is(await layerCount(t, w, b, 'app:1'), 2);

  ok(t, await tsbuild(b, ['build', '-q', '--pull', '-t', 'app:1', ctx], { env: w.env }), 'build with --pull');
  t.is(await manifestDigestOf(t, w, b, base), second, '--pull fetched the moved tag');
  t.is(await layerCount(t, w, b, 'app:1'), 3);
  const v = await tsbuild(b, ['run', 'app:1', 'cat', '/v', '/x'], { env: w.env });
  t.is(v.stdout, 'v2\nhi\n');

  // Re-resolving a tag that did not move contacts the registry but changes nothing.
  ok(t, await tsbuild(b, ['build', '-q', '--pull', '-t', 'app:1', ctx], { env: w.env }), 'second build with --pull');
  t.is(await manifestDigestOf(t, w, b, base), second);
  await verifyClean(t, w, b);
});

serial('build --push and -o type=registry publish the image under the digest the build reports', async (t) => {
  if (!(await needRegistryTools(t))) return;
  const w = await world(t);
  const a = w.root('a');
  ok(t, await tsbuild(a, ['load', '-i', BUSYBOX, 'localhost/busybox:latest'], { env: w.env }), 'load');
  const demo = path.join(FIXTURES, 'demo');
  const name = `${w.reg.host}/app/demo:1`;
  const meta = path.join(w.dir, 'meta.json');

  const latest = `${w.reg.host}/app/demo:latest`;
  const built = await tsbuild(a, ['build', '--progress', 'plain', '--push', '-t', name, '-t', latest, '--metadata-file', meta, demo], { env: w.env });
  ok(t, built, 'build --push');
  const metadata = JSON.parse(await readFile(meta, 'utf8')) as Record<string, unknown>;
  const reported = metadata['containerimage.digest'] as string;
  t.regex(reported, DIGEST);
  // The progress says where the image went, by digest (what people copy into a deployment).
  t.true(built.stderr.includes(`${name}@${reported}`), built.stderr);
  t.is((await skopeoInspect(name)).Digest, reported, 'skopeo sees the digest the build reported');
  t.is((await skopeoInspect(latest)).Digest, reported, 'every -t name is pushed');
  t.is(metadata['tsbuild.store.digest'], await manifestDigestOf(t, w, a, name), 'the store digest is kept too');

  const other = `${w.reg.host}/app/demo:2`;
  ok(t, await tsbuild(a, ['build', '-q', '-o', `type=registry,name=${other}`, demo], { env: w.env }), '-o type=registry');
  t.is((await skopeoInspect(other)).Digest, reported, 'the same image pushes to the same digest');
  const third = `${w.reg.host}/app/demo:3`;
  ok(t, await tsbuild(a, ['build', '-q', '-o', `type=image,name=${third},push=true`, demo], { env: w.env }), '-o type=image,push=true');
  t.is((await skopeoInspect(third)).Digest, reported);

  const c = w.root('c');
  const pulled = await tsbuild(c, ['pull', name], { env: w.env });
  ok(t, pulled, 'pull into a fresh store');
  t.is(printedDigest(t, pulled), reported);
  const hello = await tsbuild(c, ['run', name], { env: w.env });
  ok(t, hello, 'run of the pulled image');
  t.is(hello.stdout.trim(), 'hello from tsbuild');
  await verifyClean(t, w, c);
});

for (const pull of [false, true]) {
  serial(`a base the registry does not have fails at its FROM line${pull ? ' (--pull)' : ''}`, async (t) => {
    if (!(await needRegistryTools(t))) return;
    const w = await world(t);
    const b = w.root('b');
    const ctx = await w.context('missing', `# the base was never pushed\nFROM ${w.reg.host}/nope:1\nRUN echo hi > /x\n`);
    const r = await tsbuild(b, ['build', '--progress', 'plain', ...(pull ? ['--pull'] : []), '-t', 'app:1', ctx], { env: w.env });
    t.is(r.code, 1, r.stderr);
    t.regex(r.stderr, /\[FROM_IMAGE_NOT_FOUND\]/);
    t.true(r.stderr.includes(`${path.join(ctx, 'Dockerfile')}:2:1`), r.stderr);
    t.regex(r.stderr, /^ >>> 2 \| FROM /m);
    t.deepEqual(await images(t, w, b), []);
    await verifyClean(t, w, b);
  });
}

serial('a corrupt layer in the registry fails the pull at FROM and leaves nothing unverified in the store', async (t) => {
  if (!(await needRegistryTools(t))) return;
  const w = await world(t);
  const base = `${w.reg.host}/base/busybox:1`;
  const a = w.root('a');
  const first = await pushBase(t, w, a, base);
  const before = ((await skopeoInspect(base)) as unknown as { Layers: string[] }).Layers;
  const b = w.root('b');
  const ctx = await w.context('app', `FROM ${base}\nRUN echo hi > /x\n`);
  ok(t, await tsbuild(b, ['build', '-q', '-t', 'app:1', ctx], { env: w.env }), 'build before the corruption');

  // The tag moves to an image with one more layer, and that layer rots on the registry's disk:
  // same size, other bytes, so only the digest check can tell.
  const changed = await w.context('changed', 'FROM localhost/busybox:latest\nRUN echo v2 > /v\n');
  ok(t, await tsbuild(a, ['build', '-q', '-t', 'localhost/busybox:v2', changed], { env: w.env }), 'changed build');
  ok(t, await tsbuild(a, ['push', 'localhost/busybox:v2', base], { env: w.env }), 'push of the changed image');
  const layer = ((await skopeoInspect(base)) as unknown as { Layers: string[] }).Layers.find((l) => !before.includes(l));
  if (layer === undefined) return t.fail('the changed image has no new layer');
  const blob = path.join(registryDataDir(w.dir, w.reg.port), 'docker/registry/v2/blobs/sha256', layer.slice(7, 9), layer.slice(7), 'data');
  const size = (await stat(blob)).size;
  const fh = await open(blob, 'r+');
  try {
    await fh.write(Buffer.alloc(Math.min(16, size), 0x5a), 0, Math.min(16, size), Math.floor(size / 2));
  } finally {
    await fh.close();
  }
  const inStore = (root: string): boolean => existsSync(path.join(root, 'blobs/sha256', layer.slice(7)));

  // --pull with the base in the store: the pull fails, the stored base stays as it was.
  const repull = await tsbuild(b, ['build', '--progress', 'plain', '--pull', '-t', 'app:1', ctx], { env: w.env });
  t.is(repull.code, 1, repull.stderr);
  t.regex(repull.stderr, /\[FROM_PULL_FAILED\]/);
  t.true(repull.stderr.includes(`${path.join(ctx, 'Dockerfile')}:1:1`), repull.stderr);
  t.is(await manifestDigestOf(t, w, b, base), first);
  t.false(inStore(b), 'the corrupt layer is not in the store');
  t.deepEqual(await leftovers(b), []);
  await verifyClean(t, w, b);

  // A fresh store: FROM cannot get the base at all.
  const c = w.root('c');
  const fresh = await tsbuild(c, ['build', '--progress', 'plain', '-t', 'app:1', ctx], { env: w.env });
  t.is(fresh.code, 1, fresh.stderr);
  t.regex(fresh.stderr, /\[FROM_IMAGE_NOT_FOUND\]/);
  t.true(fresh.stderr.includes(`${path.join(ctx, 'Dockerfile')}:1:1`), fresh.stderr);
  t.regex(fresh.stderr, new RegExp(layer.slice(7, 19)), 'the error names the bad layer');
  const direct = await tsbuild(c, ['pull', base], { env: w.env });
  t.is(direct.code, 1, direct.stderr);
  t.regex(direct.stderr, /\[E[A-Z_]+\]/);
  t.false(inStore(c), 'the corrupt layer is not in the store');
  t.deepEqual(await images(t, w, c), [], 'no image names the half-pulled base');
  t.deepEqual(await leftovers(c), []);
  await verifyClean(t, w, c);
});

serial('TLS + htpasswd: tsbuild login writes DOCKER_CONFIG, then push, FROM and --push work', async (t) => {
  if (!(await needRegistryTools(t))) return;
  const { dir: certDir, cleanup } = await tempDir('tsbuild-regbuild-certs-');
  t.teardown(cleanup);
  const certs = await makeCerts(certDir);
  const w = await world(t, { tls: { certPath: certs.serverCertPath, keyPath: certs.serverKeyPath, ca: certs.caCert }, htpasswd: USER });
  // docker's layout for the CLI commands' --cert-dir; the build trusts the CA through SSL_CERT_FILE.
  const certsD = path.join(w.dir, 'certs.d');
  await mkdir(path.join(certsD, w.reg.host), { recursive: true });
  await writeFile(path.join(certsD, w.reg.host, 'ca.crt'), certs.caCert);
  const env = { ...w.env, SSL_CERT_FILE: certs.caCertPath };
  const outputs: CliResult[] = [];
  const cli = async (root: string, args: string[], stdin?: string): Promise<CliResult> => {
    const r = await tsbuild(root, args, { env, ...(stdin === undefined ? {} : { stdin }) });
    outputs.push(r);
    return r;
  };
  const a = w.root('a');
  const base = `${w.reg.host}/base/busybox:1`;
  ok(t, await cli(a, ['load', '-i', BUSYBOX, 'localhost/busybox:latest']), 'load');

  const anonymous = await cli(a, ['push', '--cert-dir', certsD, 'localhost/busybox:latest', base]);
  t.is(anonymous.code, 1, anonymous.stderr);
  t.regex(anonymous.stderr, /\[EAUTH\]/);

  const wrong = await cli(a, ['login', '--cert-dir', certsD, '-u', USER.user, '--password-stdin', w.reg.host], 'not-the-password\n');
  t.is(wrong.code, 1, wrong.stderr);
  const login = await cli(a, ['login', '--cert-dir', certsD, '-u', USER.user, '--password-stdin', w.reg.host], `${USER.password}\n`);
  ok(t, login, 'login');
  t.regex(login.stdout, /Login Succeeded/);
  const configFile = path.join(w.dir, 'docker', 'config.json');
  t.is((await stat(configFile)).mode & 0o777, 0o600);
  const saved = JSON.parse(await readFile(configFile, 'utf8')) as { auths: Record<string, { auth: string }> };
  t.is(Buffer.from(saved.auths[w.reg.host]!.auth, 'base64').toString(), `${USER.user}:${USER.password}`);

  const pushed = await cli(a, ['push', '--cert-dir', certsD, 'localhost/busybox:latest', base]);
  ok(t, pushed, 'push after login');

  const b = w.root('b');
  const name = `${w.reg.host}/app/tls:1`;
  const meta = path.join(w.dir, 'meta.json');
  const ctx = await w.context('tls', `FROM ${base}\nRUN echo hi > /x\n`);
  ok(t, await cli(b, ['build', '--progress', 'plain', '--push', '-t', name, '--metadata-file', meta, ctx]), 'build FROM + --push over TLS');
  t.is(await manifestDigestOf(t, w, b, base), printedDigest(t, pushed));
  const reported = (JSON.parse(await readFile(meta, 'utf8')) as Record<string, string>)['containerimage.digest'];
  t.is((await skopeoInspect(name, USER)).Digest, reported);

  const logout = await cli(a, ['logout', w.reg.host]);
  ok(t, logout, 'logout');
  const c = w.root('c');
  const denied = await cli(c, ['build', '--progress', 'plain', '-t', 'app:1', ctx]);
  t.is(denied.code, 1, denied.stderr);
  t.regex(denied.stderr, /\[FROM_IMAGE_NOT_FOUND\]/);
  t.regex(denied.stderr, /requires a login/);
  t.true(denied.stderr.includes(`hint: log in with "tsbuild login ${w.reg.host}"`), denied.stderr);

  const password = new RegExp(USER.password);
  const basic = Buffer.from(`${USER.user}:${USER.password}`).toString('base64');
  for (const r of outputs) {
    t.notRegex(r.stdout + r.stderr, password, 'the password never appears in output');
    t.false((r.stdout + r.stderr).includes(basic));
  }
});
