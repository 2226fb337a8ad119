// Pure pieces: WWW-Authenticate parsing, realm policy, URL redaction, document checks, platform choice.
import test from 'ava';
import fc from 'fast-check';
import { parseChallenges } from '../../src/registry/challenge.js';
import { parseDocument, parsePlatform, selectPlatform, type IndexDocument } from '../../src/registry/manifest.js';
import type { Platform } from '../../src/types.js';
import { Secrets, redactUrl } from '../../src/registry/redact.js';
import { checkRealm } from '../../src/registry/token.js';

test('parses bearer and basic challenges, quoted values with commas and escapes, several per header', (t) => {
  t.deepEqual(parseChallenges('Bearer realm="https://auth.example/token",service="reg.example",scope="repository:a/b:pull,push"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'reg.example', scope: 'repository:a/b:pull,push' } },
  ]);
  t.deepEqual(parseChallenges('Basic realm="a \\"q\\" b", Bearer realm=https://x/t'), [
    { scheme: 'basic', params: { realm: 'a "q" b' } },
    { scheme: 'bearer', params: { realm: 'https://x/t' } },
  ]);
  t.deepEqual(parseChallenges(['Basic', 'Bearer realm="r"']).map((c) => c.scheme), ['basic', 'bearer']);
  t.deepEqual(parseChallenges(undefined), []);
  t.deepEqual(parseChallenges('=,,=""'), []);
});

const ctx = { registryHost: 'reg.example:5000', registryScheme: 'https' as const, trustedRealmHosts: [] };

for (const [realm, reason] of [
  ['http://reg.example/token', 'realm-insecure'],
  ['http://127.0.0.1/token', 'realm-insecure'],
  ['ftp://reg.example/token', 'realm-insecure'],
  ['not a url', 'realm-invalid'],
  ['https://user:pw@reg.example/token', 'realm-invalid'],
  [undefined, 'realm-invalid'],
] as const) {
  test(`realm ${String(realm)} is refused (${reason})`, (t) => {
    const e = t.throws(() => checkRealm(realm, ctx)) as Error & { code?: string; details?: Record<string, unknown> };
    t.is(e.code, 'EAUTH');
    t.is(e.details?.reason, reason);
  });
}

test('credentials go to a realm only on the registry host, a built-in pair, or an allow-listed host', (t) => {
  t.true(checkRealm('https://reg.example/token', ctx).trusted);
  t.true(checkRealm('https://reg.example:8443/token', ctx).trusted);
  t.false(checkRealm('https://evil.example/token', ctx).trusted);
  t.false(checkRealm('https://reg.example.evil.example/token', ctx).trusted);
  t.true(checkRealm('https://auth.example/token', { ...ctx, trustedRealmHosts: ['auth.example'] }).trusted);
  t.true(checkRealm('https://auth.docker.io/token', { ...ctx, registryHost: 'registry-1.docker.io' }).trusted);
  // Plain http realm only for a loopback realm of a registry spoken to over http.
  t.true(checkRealm('http://127.0.0.1:9/token', { ...ctx, registryHost: '127.0.0.1:5000', registryScheme: 'http' }).trusted);
});

test('redaction removes userinfo and secret-looking query values, and scrubs known secrets', (t) => {
  t.is(redactUrl('https://u:p@h.example/v2/x/blobs/uploads/1?_state=abc&digest=sha256:1'), 'https://h.example/v2/x/blobs/uploads/1?_state=REDACTED&digest=sha256%3A1');
  const s = new Secrets();
  s.add('tok-123456');
  t.is(s.scrub('got tok-123456 and Bearer abc.def and Basic YWxpY2U6cHc='), 'got REDACTED and Bearer REDACTED and Basic REDACTED');
});

const M = 'application/vnd.oci.image.manifest.v1+json';
const I = 'application/vnd.oci.image.index.v1+json';
const desc = (platform?: Platform) => ({ mediaType: M, digest: `sha256:${'b'.repeat(64)}`, size: 10, ...(platform ? { platform } : {}) });

test('documents without mediaType are typed by Content-Type, or by their shape when the type is generic', (t) => {
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [desc({ os: 'linux', architecture: 'amd64' })] }));
  t.is(parseDocument(index, I).kind, 'index');
  t.is(parseDocument(index, 'application/json').kind, 'index');
  const image = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { ...desc(), mediaType: 'application/vnd.oci.image.config.v1+json' }, layers: [] }));
  t.is(parseDocument(image, undefined).kind, 'manifest');
  const e = t.throws(() => parseDocument(image, I)) as Error & { code?: string };
  t.is(e.code, 'EMANIFEST_INVALID');
  const f = t.throws(() => parseDocument(Buffer.from('[]'), M)) as Error & { code?: string };
  t.is(f.code, 'EMANIFEST_INVALID');
});

test('platform selection normalizes variants and skips entries without a platform (attestations)', (t) => {
  const index: IndexDocument = {
    kind: 'index', mediaType: I,
    manifests: [
      { ...desc(), digest: `sha256:${'0'.repeat(64)}` },
      { ...desc({ os: 'linux', architecture: 'arm', variant: 'v6' }), digest: `sha256:${'1'.repeat(64)}` },
      { ...desc({ os: 'linux', architecture: 'arm', variant: 'v7' }), digest: `sha256:${'2'.repeat(64)}` },
      { ...desc({ os: 'linux', architecture: 'arm64' }), digest: `sha256:${'3'.repeat(64)}` },
    ],
  };
  t.is(selectPlatform(index, parsePlatform('linux/arm')).digest, `sha256:${'2'.repeat(64)}`);
  t.is(selectPlatform(index, parsePlatform('linux/arm/v6')).digest, `sha256:${'1'.repeat(64)}`);
  t.is(selectPlatform(index, parsePlatform('linux/arm64/v8')).digest, `sha256:${'3'.repeat(64)}`);
  const e = t.throws(() => selectPlatform(index, parsePlatform(undefined))) as Error & { code?: string };
  t.is(e.code, 'ENOPLATFORM');
  const p = t.throws(() => parsePlatform('linux')) as Error & { code?: string };
  t.is(p.code, 'EPLATFORM');
});

test('REG-02 fuzz: any JSON, or a manifest with fields swapped for random values, is parsed or refused with a typed error', (t) => {
  const codes = new Set(['EMANIFEST_INVALID', 'EMANIFEST_UNSUPPORTED', 'EINVALIDDIGEST', 'ELIMIT']);
  const base = {
    schemaVersion: 2, mediaType: M,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'c'.repeat(64)}`, size: 2 },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'d'.repeat(64)}`, size: 3 }],
  };
  const check = (doc: unknown, type: string | undefined): void => {
    try {
      parseDocument(Buffer.from(JSON.stringify(doc) ?? 'null'), type);
    } catch (e) {
      if (!codes.has((e as { code?: string }).code ?? '')) throw e;
    }
  };
  fc.assert(fc.property(fc.jsonValue(), fc.constantFrom(undefined, M, I, 'application/json'), (doc, type) => check(doc, type)), { numRuns: 500 });
  fc.assert(fc.property(fc.constantFrom('schemaVersion', 'mediaType', 'config', 'layers', 'manifests'), fc.jsonValue(), (key, value) => {
    check({ ...base, [key]: value }, M);
    check({ ...base, layers: [{ ...base.layers[0], [key === 'layers' ? 'size' : 'digest']: value }] }, M);
  }), { numRuns: 500 });
  t.pass();
});
