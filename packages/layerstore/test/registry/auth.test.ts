// REG-04: credentials and tokens reach only the registry's host. Two loopback addresses play two
// hosts; the shared recorder shows every Authorization header each one received.
import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pull } from '../../src/registry/index.js';
import { makeCerts } from './helpers/certs.js';
import { sha256 } from './helpers/images.js';
import { seed, seeded, world } from './helpers/setup.js';
import { makeImage } from './helpers/images.js';
import { tempDir } from './helpers/store.js';

const CREDS = { username: 'alice', password: 'hunter2-secret' };
const TOKEN = 'tok-secret-0123456789';

test('bearer flow on the registry host: Basic only to the realm, the token only to the registry', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'bearer', realm: `${w.a.url}/token`, service: 'fake', user: CREDS.username, password: CREDS.password, token: TOKEN };
  await pull(w.store, w.ref, { ...w.opts, auth: CREDS });
  const toA = w.recorder.to(w.a.host);
  const tokenReqs = toA.filter((r) => r.url.startsWith('/token'));
  t.true(tokenReqs.length >= 1);
  t.true(tokenReqs.every((r) => r.headers.authorization?.startsWith('Basic ')));
  t.true(tokenReqs.some((r) => new URL(r.url, 'http://x').searchParams.getAll('scope').includes('repository:test/app:pull')));
  t.true(toA.filter((r) => r.url.startsWith('/v2/test/')).every((r) => r.headers.authorization === `Bearer ${TOKEN}`));
  t.is(w.recorder.to(w.b.host).length, 0);
});

test('a realm on another host gets no credentials (anonymous token request); the pull fails EAUTH', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'bearer', realm: `${w.b.url}/token`, token: TOKEN };
  w.b.tokenAnswer = (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token: 'anonymous-token' }));
  };
  const e = await t.throwsAsync(pull(w.store, w.ref, { ...w.opts, auth: CREDS })) as Error & { code?: string };
  t.is(e.code, 'EAUTH');
  t.true(w.recorder.to(w.b.host).length >= 1);
  t.deepEqual(w.recorder.authorizationsAt(w.b.host), []);
  // The loop is bounded: at most 1 + 3 rounds against the manifest.
  t.true(w.recorder.to(w.a.host).filter((r) => r.url.includes('/manifests/')).length <= 4);
});

test('a foreign realm that refuses an anonymous token is EAUTH realm-untrusted', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'bearer', realm: `${w.b.url}/token`, token: TOKEN };
  w.b.tokenAnswer = (_req, res) => { res.writeHead(401); res.end(); };
  const e = await t.throwsAsync(pull(w.store, w.ref, { ...w.opts, auth: CREDS })) as Error & { code?: string; details?: Record<string, unknown> };
  t.is(e.code, 'EAUTH');
  t.is(e.details?.reason, 'realm-untrusted');
  t.deepEqual(w.recorder.authorizationsAt(w.b.host), []);
});

test('an allow-listed realm host receives the credentials', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'bearer', realm: `${w.b.url}/token`, token: TOKEN };
  w.b.auth = { kind: 'bearer', realm: '', user: CREDS.username, password: CREDS.password, token: TOKEN };
  await pull(w.store, w.ref, { ...w.opts, auth: CREDS, trustedRealmHosts: ['127.0.0.2'] });
  t.true(w.recorder.authorizationsAt(w.b.host).length >= 1);
  t.true(w.recorder.authorizationsAt(w.b.host).every((a) => a.startsWith('Basic ')));
});

test('an http realm for an https registry is refused (EAUTH realm-insecure) before any token request', async (t) => {
  const dir = await tempDir(t);
  const certs = await makeCerts(dir);
  const w = await world(t, { key: certs.serverKey, cert: certs.serverCert });
  const image = await makeImage([2000]);
  seed(w.a, 'test/app', 'v1', image);
  w.a.auth = { kind: 'bearer', realm: `${w.b.url}/token`, token: TOKEN };
  const certsDir = join(dir, 'certs.d');
  await mkdir(join(certsDir, w.a.host), { recursive: true });
  await writeFile(join(certsDir, w.a.host, 'ca.crt'), certs.caCert);
  const e = await t.throwsAsync(pull(w.store, `${w.a.host}/test/app:v1`, { ...w.opts, auth: CREDS, certsDir })) as Error & { code?: string; details?: Record<string, unknown> };
  t.is(e.code, 'EAUTH');
  t.is(e.details?.reason, 'realm-insecure');
  t.is(w.recorder.to(w.b.host).length, 0);
});

test('a TLS registry whose CA is unknown is ETLS, never a silent downgrade to http', async (t) => {
  const dir = await tempDir(t);
  const certs = await makeCerts(dir);
  const w = await world(t, { key: certs.serverKey, cert: certs.serverCert });
  const e = await t.throwsAsync(pull(w.store, `${w.a.host}/test/app:v1`, { ...w.opts, certsDir: join(dir, 'none') })) as Error & { code?: string };
  t.is(e.code, 'ETLS');
});

test('a blob 307 to another host is followed without the Authorization header', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'basic', user: CREDS.username, password: CREDS.password };
  const layer = w.image.layers[0]!;
  w.a.fault = (req, res) => {
    if (!req.url?.endsWith(`/blobs/${layer.desc.digest}`) || w.a.auth === undefined || !req.headers.authorization) return false;
    res.writeHead(307, { Location: `${w.b.url}/cdn/${layer.desc.digest}?sig=abc` });
    res.end();
    return true;
  };
  w.b.fault = (req, res) => {
    if (!req.url?.startsWith('/cdn/')) return false;
    res.writeHead(200, { 'Content-Length': layer.gz.length });
    res.end(layer.gz);
    return true;
  };
  await pull(w.store, w.ref, { ...w.opts, auth: CREDS });
  t.is(w.recorder.to(w.b.host).length, 1);
  t.deepEqual(w.recorder.authorizationsAt(w.b.host), []);
});

test('a 401 loop stops after 3 auth rounds with EAUTH auth-loop', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'bearer', realm: `${w.a.url}/token`, token: TOKEN };
  w.a.fault = (req, res) => {
    if (!req.url?.includes('/manifests/')) return false;
    res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${w.a.url}/token",service="fake"` });
    res.end();
    return true;
  };
  const e = await t.throwsAsync(pull(w.store, w.ref, w.opts)) as Error & { code?: string; details?: Record<string, unknown> };
  t.is(e.code, 'EAUTH');
  t.is(e.details?.reason, 'auth-loop');
  t.is(w.recorder.to(w.a.host).filter((r) => r.url.includes('/manifests/')).length, 4);
});

test('a token endpoint that redirects is refused (EAUTH realm-redirect); the redirect target sees nothing', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'bearer', realm: `${w.a.url}/token`, token: TOKEN };
  w.a.tokenAnswer = (_req, res) => { res.writeHead(302, { Location: `${w.b.url}/token` }); res.end(); };
  const e = await t.throwsAsync(pull(w.store, w.ref, { ...w.opts, auth: CREDS })) as Error & { code?: string; details?: Record<string, unknown> };
  t.is(e.code, 'EAUTH');
  t.is(e.details?.reason, 'realm-redirect');
  t.is(w.recorder.to(w.b.host).length, 0);
});

async function foreignWorld(t: Parameters<typeof seeded>[0]) {
  const w = await seeded(t);
  w.a.auth = { kind: 'basic', user: CREDS.username, password: CREDS.password };
  const layer = w.image.layers[0]!;
  const doc = JSON.parse(w.image.manifest.toString()) as { layers: Record<string, unknown>[] };
  doc.layers[0] = { ...doc.layers[0], mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', urls: [`${w.b.url}/foreign/layer.tgz`] };
  const manifest = Buffer.from(JSON.stringify(doc));
  w.a.putManifest('test/app', 'v1', manifest, w.image.manifestDesc.mediaType);
  w.a.blobs.get('test/app')!.delete(layer.desc.digest);
  w.b.fault = (req, res) => {
    res.writeHead(200, { 'Content-Length': layer.gz.length });
    res.end(layer.gz);
    return true;
  };
  return { ...w, manifestDigest: sha256(manifest) };
}

test('CVE-2020-15157: foreign-layer urls are refused by default, and never contacted', async (t) => {
  const w = await foreignWorld(t);
  const e = await t.throwsAsync(pull(w.store, w.ref, { ...w.opts, auth: CREDS })) as Error & { code?: string };
  t.is(e.code, 'EFOREIGN_LAYER');
  t.is(w.recorder.to(w.b.host).length, 0);
});

test('CVE-2020-15157: with foreignLayers=fetch, urls are fetched without credentials and verified', async (t) => {
  const w = await foreignWorld(t);
  const r = await pull(w.store, w.ref, { ...w.opts, auth: CREDS, foreignLayers: 'fetch' });
  t.is(r.manifestDigest, w.manifestDigest);
  t.is(w.recorder.to(w.b.host).length, 1);
  t.deepEqual(w.recorder.authorizationsAt(w.b.host), []);
});

test('wrong basic credentials fail at once with EAUTH; no secret appears in errors or logs', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'basic', user: CREDS.username, password: 'other-password' };
  const e = await t.throwsAsync(pull(w.store, w.ref, { ...w.opts, auth: CREDS })) as Error & { code?: string };
  t.is(e.code, 'EAUTH');
  const text = `${e.message}\n${JSON.stringify(e)}\n${w.logs.join('\n')}`;
  t.false(text.includes(CREDS.password));
  t.false(text.includes(Buffer.from(`${CREDS.username}:${CREDS.password}`).toString('base64')));
});

test('tokens and passwords never appear in logs or errors, even when the registry echoes them', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'bearer', realm: `${w.a.url}/token`, user: CREDS.username, password: CREDS.password, token: TOKEN };
  const inner = w.a.fault;
  w.a.fault = (req, res, body, reg) => {
    if (req.url?.includes('/manifests/') && req.headers.authorization) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: `you sent ${req.headers.authorization} and ${CREDS.password}` }] }));
      return true;
    }
    return inner ? inner(req, res, body, reg) : false;
  };
  const e = await t.throwsAsync(pull(w.store, w.ref, { ...w.opts, auth: CREDS })) as Error & { code?: string };
  t.is(e.code, 'ENOTFOUND');
  const text = `${e.message}\n${JSON.stringify(e)}\n${w.logs.join('\n')}`;
  t.false(text.includes(TOKEN));
  t.false(text.includes(CREDS.password));
});

test('a registry marked insecure (flag or list) is used over TLS without verification', async (t) => {
  const dir = await tempDir(t);
  const certs = await makeCerts(dir);
  const w = await world(t, { key: certs.serverKey, cert: certs.serverCert });
  const image = await makeImage([2000]);
  seed(w.a, 'test/app', 'v1', image);
  const none = join(dir, 'none');
  const r1 = await pull(w.store, `${w.a.host}/test/app:v1`, { ...w.opts, certsDir: none, insecure: true });
  t.is(r1.manifestDigest, image.manifestDesc.digest);
  const r2 = await pull(w.store, `${w.a.host}/test/app:v1`, { ...w.opts, certsDir: none, pull: true, insecureRegistries: [w.a.host] });
  t.is(r2.manifestDigest, image.manifestDesc.digest);
  // And with the CA given as a file instead of a certs.d folder, verification succeeds.
  const r3 = await pull(w.store, `${w.a.host}/test/app:v1`, { ...w.opts, certsDir: none, pull: true, caFile: certs.caCertPath });
  t.is(r3.manifestDigest, image.manifestDesc.digest);
});
