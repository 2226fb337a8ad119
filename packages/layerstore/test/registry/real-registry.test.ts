// REG-06: round trips through a real distribution registry (Debian's docker-registry) in three
// variants: plain HTTP, TLS with a throwaway CA, TLS + htpasswd basic auth. Push a built image
// (chunked for the big layer), inspect it with skopeo, pull it into a fresh store (same digest),
// mount its blobs into another repository; and have the registry reject a deliberately bad digest.
import test, { type ExecutionContext } from 'ava';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { login, logout, pull, push, type PushOptions, type TransferProgress } from '../../src/registry/index.js';
import { RegistryClient, repoScope } from '../../src/registry/client.js';
import { openSession, uploadMonolithic } from '../../src/registry/upload.js';
import type { OpenedStore } from '../../src/store.js';
import { makeCerts } from './helpers/certs.js';
import { makeLayer, sha256 } from './helpers/images.js';
import { REGISTRY_BIN, haveCommand, skopeoInspect, startRegistry } from './helpers/registry-process.js';
import { tempDir, testStore } from './helpers/store.js';
import { execFileSync as execFileSyncForBase } from 'node:child_process';
import { fileURLToPath as fileURLToPathForBase } from 'node:url';

const USER = { user: 'tsbuild', password: 'correct-horse-battery' };
const BUSYBOX = execFileSyncForBase('bash', [fileURLToPathForBase(new URL('../../../../../fixtures/bases/base-archive.sh', import.meta.url))], { encoding: 'utf8' }).trim();
const haveRegistry = await haveCommand(REGISTRY_BIN);
const haveSkopeo = await haveCommand('/usr/bin/skopeo');
// Missing tools are a CI setup error, not a reason to pass quietly: the test fails naming the package.
const needTools = (t: ExecutionContext): boolean => {
  if (!haveRegistry || !haveSkopeo) t.fail('install the Debian packages docker-registry and skopeo to run the registry round-trip tests');
  return haveRegistry && haveSkopeo;
};

async function builtImage(store: OpenedStore, tag: string) {
  const layers = [];
  for (const [i, size] of [3000, 300_000].entries()) {
    const l = await makeLayer(size, `f${i}`);
    layers.push(await store.layers.import(Readable.from([l.tar]), 'application/vnd.oci.image.layer.v1.tar', { digest: sha256(l.tar), size: l.tar.length }));
  }
  return store.images.write({ config: { os: 'linux', architecture: 'amd64', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [] } }, layers, tags: [tag] });
}

type Variant = 'http' | 'tls' | 'tls+htpasswd';

async function setUp(t: ExecutionContext, variant: Variant) {
  const dir = await tempDir(t);
  const configDir = join(dir, 'docker');
  await mkdir(configDir);
  const base: PushOptions = { dockerConfigDir: configDir, retry: { attempts: 3, baseDelayMs: 10 } };
  if (variant === 'http') {
    const reg = await startRegistry(t, dir);
    return { reg, opts: base, configDir };
  }
  const certs = await makeCerts(dir);
  const reg = await startRegistry(t, dir, {
    tls: { certPath: certs.serverCertPath, keyPath: certs.serverKeyPath, ca: certs.caCert },
    htpasswd: variant === 'tls+htpasswd' ? USER : undefined,
  });
  // docker's layout: <certs.d>/<host:port>/ca.crt
  const certsDir = join(dir, 'certs.d');
  await mkdir(join(certsDir, reg.host), { recursive: true });
  await writeFile(join(certsDir, reg.host, 'ca.crt'), certs.caCert);
  return { reg, opts: { ...base, certsDir }, configDir };
}

for (const variant of ['http', 'tls', 'tls+htpasswd'] as const) {
  test(`REG-06 ${variant}: push (chunked), skopeo inspect, pull into a fresh store, cross-repo mount`, async (t) => {
    if (!needTools(t)) return;
    const { reg, opts, configDir } = await setUp(t, variant);
    if (variant === 'tls+htpasswd') {
      const bad = await t.throwsAsync(login(reg.host, USER.user, 'wrong', opts)) as Error & { code?: string };
      t.is(bad.code, 'EAUTH');
      await login(reg.host, USER.user, USER.password, opts);
      const file = join(configDir, 'config.json');
      t.is((await stat(file)).mode & 0o777, 0o600);
      const saved = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, { auth: string }> };
      t.is(Buffer.from(saved.auths[reg.host]!.auth, 'base64').toString(), `${USER.user}:${USER.password}`);
    }
    const source = await testStore(t);
    await builtImage(source, 'localhost/app:1');
    const events: TransferProgress[] = [];
    const lines: string[] = [];
    const pushed = await push(source, 'localhost/app:1', `${reg.host}/tsbuild/app:1`, {
      ...opts, chunkThreshold: 100_000, chunkSize: 64 * 1024, onProgress: (p) => events.push(p), log: (l) => lines.push(l),
    });
    t.true(events.filter((e) => e.phase === 'done').length >= 3);
    // The big layer went up in several PATCHes, the small blobs in one PUT each.
    t.true(lines.filter((l) => l.startsWith('PATCH ') && l.endsWith('→ 202')).length >= 3);
    t.true(lines.some((l) => l.startsWith('PUT ') && l.includes('/blobs/uploads/') && l.endsWith('→ 201')));
    if (variant === 'tls+htpasswd') t.false(lines.join('\n').includes(USER.password));

    const inspected = await skopeoInspect(`${reg.host}/tsbuild/app:1`, variant === 'tls+htpasswd' ? USER : undefined);
    t.is(inspected.Digest, pushed.digest);

    const fresh = await testStore(t);
    const pulled = await pull(fresh, `${reg.host}/tsbuild/app:1`, opts);
    t.is(pulled.manifestDigest, pushed.digest);
    t.is((await fresh.images.resolve(`${reg.host}/tsbuild/app:1`))?.manifestDigest, pushed.digest);

    // The fresh store saw these blobs in tsbuild/app, so pushing to tsbuild/copy mounts them.
    const mountEvents: TransferProgress[] = [];
    const copied = await push(fresh, `${reg.host}/tsbuild/app:1`, `${reg.host}/tsbuild/copy:1`, { ...opts, onProgress: (p) => mountEvents.push(p) });
    t.is(copied.digest, pushed.digest);
    t.is(mountEvents.filter((e) => e.phase === 'mounted').length, 3);
    const third = await testStore(t);
    t.is((await pull(third, `${reg.host}/tsbuild/copy:1`, opts)).manifestDigest, pushed.digest);

    if (variant === 'tls+htpasswd') t.true(await logout(reg.host, opts));
  });
}

test('REG-06 busybox (loaded from the conformance OCI tar) round-trips byte for byte', async (t) => {
  if (!needTools(t)) return;
  const { reg, opts } = await setUp(t, 'http');
  const source = await testStore(t);
  const [loaded] = await source.load(createReadStream(BUSYBOX), { tags: ['localhost/busybox:test'] });
  const pushed = await push(source, 'localhost/busybox:test', `${reg.host}/library/busybox:test`, opts);
  t.is(pushed.digest, loaded!.manifestDigest);
  t.is((await skopeoInspect(`${reg.host}/library/busybox:test`)).Digest, loaded!.manifestDigest);
  const fresh = await testStore(t);
  const pulled = await pull(fresh, `${reg.host}/library/busybox:test`, opts);
  t.is(pulled.manifestDigest, loaded!.manifestDigest);
  t.deepEqual(pulled.image.layers.map((l) => l.diffID), loaded!.layers.map((l) => l.diffID));
});

test('REG-06 the registry rejects a deliberately wrong digest, and the client surfaces EDIGEST', async (t) => {
  if (!needTools(t)) return;
  const { reg, opts } = await setUp(t, 'http');
  const client = new RegistryClient(reg.host, opts);
  const data = Buffer.from('some blob bytes');
  const wrong = { mediaType: 'application/octet-stream', digest: sha256(Buffer.from('other bytes')), size: data.length };
  const ctx = { client, repository: 'tsbuild/bad', scopes: [repoScope('tsbuild/bad', 'pull,push')], open: async () => Readable.from([data]), chunkSize: 1 << 20, chunkAttempts: 1 };
  const session = await openSession(ctx);
  if (session.mounted) return t.fail('unexpected mount');
  const e = await t.throwsAsync(uploadMonolithic(ctx, session.location, wrong)) as Error & { code?: string; details?: Record<string, unknown> };
  t.is(e.code, 'EDIGEST');
  t.is(e.details?.registryCode, 'DIGEST_INVALID');
});
