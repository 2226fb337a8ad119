// Transport choices: anonymous bearer tokens, SSL_CERT_FILE, and plain HTTP only for loopback or
// registries marked insecure.
import test from 'ava';
import { lookup } from 'node:dns/promises';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pull } from '../../src/registry/index.js';
import { makeCerts } from './helpers/certs.js';
import { makeImage } from './helpers/images.js';
import { seed, seeded, world } from './helpers/setup.js';
import { tempDir } from './helpers/store.js';

// (Resolved before any test is declared, as ava requires.) A name that is not "localhost" but resolves to loopback (this machine's hostname, where /etc/hosts
// maps it so) is not treated as local: plain HTTP needs the registry to be marked insecure.
const name = hostname();
const resolvesToLoopback = await lookup(name, { family: 4 }).then((a) => a.address.startsWith('127.'), () => false);
const maybe = resolvesToLoopback && name !== 'localhost' ? test : test.skip;

test('anonymous bearer flow: a token is fetched without credentials and sent to the registry only', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'bearer', realm: `${w.a.url}/token`, service: 'fake', token: 'anon-token-123456' };
  await pull(w.store, w.ref, w.opts);
  const tokenReqs = w.recorder.to(w.a.host).filter((r) => r.url.startsWith('/token'));
  t.is(tokenReqs.length, 1, 'one token for the one scope, shared by concurrent requests');
  t.is(tokenReqs[0]!.headers.authorization, undefined);
  t.is(new URL(tokenReqs[0]!.url, 'http://x').searchParams.get('service'), 'fake');
});

test.serial('SSL_CERT_FILE replaces the system bundle as a source of trusted CAs', async (t) => {
  const dir = await tempDir(t);
  const certs = await makeCerts(dir);
  const w = await world(t, { key: certs.serverKey, cert: certs.serverCert });
  const image = await makeImage([1500]);
  seed(w.a, 'test/app', 'v1', image);
  const saved = process.env.SSL_CERT_FILE;
  process.env.SSL_CERT_FILE = certs.caCertPath;
  try {
    const r = await pull(w.store, `${w.a.host}/test/app:v1`, { ...w.opts, certsDir: join(dir, 'none') });
    t.is(r.manifestDigest, image.manifestDesc.digest);
  } finally {
    if (saved === undefined) delete process.env.SSL_CERT_FILE;
    else process.env.SSL_CERT_FILE = saved;
  }
});


test.serial('NODE_EXTRA_CA_CERTS adds a trusted CA, also when the launcher hands it on as TSBUILD_NODE_EXTRA_CA_CERTS', async (t) => {
  const dir = await tempDir(t);
  const certs = await makeCerts(dir);
  const w = await world(t, { key: certs.serverKey, cert: certs.serverCert });
  const image = await makeImage([1500]);
  seed(w.a, 'test/app', 'v1', image);
  const names = ['NODE_EXTRA_CA_CERTS', 'TSBUILD_NODE_EXTRA_CA_CERTS'] as const;
  const saved = names.map((n) => process.env[n]);
  const opts = { ...w.opts, certsDir: join(dir, 'none'), pull: true };
  try {
    for (const n of names) delete process.env[n];
    const e = (await t.throwsAsync(pull(w.store, `${w.a.host}/test/app:v1`, opts))) as Error & { code?: string };
    t.is(e.code, 'ETLS', 'the self-signed CA is not trusted without it');
    for (const n of names) {
      for (const m of names) delete process.env[m];
      process.env[n] = certs.caCertPath;
      const r = await pull(w.store, `${w.a.host}/test/app:v1`, opts);
      t.is(r.manifestDigest, image.manifestDesc.digest, n);
    }
  } finally {
    names.forEach((n, i) => {
      if (saved[i] === undefined) delete process.env[n];
      else process.env[n] = saved[i];
    });
  }
});

maybe('plain HTTP is refused for a registry that is neither loopback-named nor marked insecure', async (t) => {
  const w = await world(t);
  const image = await makeImage([1500]);
  seed(w.a, 'test/app', 'v1', image);
  const ref = `${name}:${w.a.host.split(':')[1]}/test/app:v1`;
  const e = await t.throwsAsync(pull(w.store, ref, w.opts)) as Error & { code?: string };
  t.is(e.code, 'ENETWORK');
  t.is(w.recorder.requests.length, 0, 'nothing was sent over plain http');
  const r = await pull(w.store, ref, { ...w.opts, insecureRegistries: [`${name}:${w.a.host.split(':')[1]}`] });
  t.is(r.manifestDigest, image.manifestDesc.digest);
});

test('an identity token (docker\'s "<token>" user) is exchanged with the OAuth2 refresh-token POST', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'bearer', realm: `${w.a.url}/token`, service: 'fake', token: 'access-token-123456' };
  const forms: URLSearchParams[] = [];
  w.a.fault = (req, res, body) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/token')) return false;
    const form = new URLSearchParams(body.toString());
    forms.push(form);
    res.writeHead(form.get('refresh_token') === 'refresh-abcdef' ? 200 : 401, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ access_token: 'access-token-123456', expires_in: 300 }));
    return true;
  };
  await writeFile(join(w.configDir, 'config.json'), JSON.stringify({ auths: { [w.a.host]: { identitytoken: 'refresh-abcdef' } } }));
  await pull(w.store, w.ref, w.opts);
  t.is(forms[0]?.get('grant_type'), 'refresh_token');
  t.is(forms[0]?.get('service'), 'fake');
  t.is(forms[0]?.get('scope'), 'repository:test/app:pull');
  t.false(w.logs.join('\n').includes('refresh-abcdef'));
});

test('a registry token from config.json is sent as is, to the registry only', async (t) => {
  const w = await seeded(t);
  w.a.auth = { kind: 'bearer', realm: `${w.b.url}/token`, token: 'registry-token-123456' };
  await writeFile(join(w.configDir, 'config.json'), JSON.stringify({ auths: { [w.a.host]: { registrytoken: 'registry-token-123456' } } }));
  await pull(w.store, w.ref, w.opts);
  t.is(w.recorder.to(w.b.host).length, 0);
});
