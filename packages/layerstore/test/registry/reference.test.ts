// parseReference, table-driven: docker's normalization and its validation errors (codes and reasons).
import test from 'ava';
import { parseReference } from '../../src/registry/index.js';
import { isLoopbackHost } from '../../src/registry/reference.js';

const D = `sha256:${'a'.repeat(64)}`;

const valid: [string, { registry: string; repository: string; tag?: string; digest?: string; canonical: string }][] = [
  ['busybox', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest', canonical: 'docker.io/library/busybox:latest' }],
  ['busybox:1.36', { registry: 'docker.io', repository: 'library/busybox', tag: '1.36', canonical: 'docker.io/library/busybox:1.36' }],
  ['me/app', { registry: 'docker.io', repository: 'me/app', tag: 'latest', canonical: 'docker.io/me/app:latest' }],
  ['docker.io/busybox', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest', canonical: 'docker.io/library/busybox:latest' }],
  ['index.docker.io/library/busybox', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest', canonical: 'docker.io/library/busybox:latest' }],
  ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest', canonical: 'localhost/app:latest' }],
  ['localhost:5000/a/b:t', { registry: 'localhost:5000', repository: 'a/b', tag: 't', canonical: 'localhost:5000/a/b:t' }],
  ['127.0.0.1:5000/app', { registry: '127.0.0.1:5000', repository: 'app', tag: 'latest', canonical: '127.0.0.1:5000/app:latest' }],
  ['[::1]:5000/app:v1', { registry: '[::1]:5000', repository: 'app', tag: 'v1', canonical: '[::1]:5000/app:v1' }],
  ['ghcr.io/o/r/deep/path:x.y-z_1', { registry: 'ghcr.io', repository: 'o/r/deep/path', tag: 'x.y-z_1', canonical: 'ghcr.io/o/r/deep/path:x.y-z_1' }],
  [`busybox@${D}`, { registry: 'docker.io', repository: 'library/busybox', digest: D, canonical: `docker.io/library/busybox@${D}` }],
  [`quay.io/a/b:1@${D}`, { registry: 'quay.io', repository: 'a/b', tag: '1', digest: D, canonical: `quay.io/a/b:1@${D}` }],
  ['Example.com/app', { registry: 'Example.com', repository: 'app', tag: 'latest', canonical: 'Example.com/app:latest' }],
  ['a__b/c-d.e', { registry: 'docker.io', repository: 'a__b/c-d.e', tag: 'latest', canonical: 'docker.io/a__b/c-d.e:latest' }],
];

for (const [input, want] of valid) {
  test(`parses ${input}`, (t) => {
    const r = parseReference(input);
    t.like(r, want);
    t.is(r.name, `${want.registry}/${want.repository}`);
    if (want.digest === undefined) t.is(r.tag, want.tag);
  });
}

const invalid: [string, string][] = [
  ['', 'empty'],
  ['   ', 'empty'],
  ['Busybox', 'uppercase'],
  ['docker.io/Me/app', 'uppercase'],
  ['app:', 'invalid-tag'],
  ['app:-x', 'invalid-tag'],
  [`app:${'t'.repeat(129)}`, 'invalid-tag'],
  ['app@sha256:abc', 'invalid-digest'],
  [`app@sha256:${'A'.repeat(64)}`, 'invalid-digest'],
  [`app@sha512:${'a'.repeat(128)}`, 'unsupported-digest'],
  ['app@md5', 'invalid-digest'],
  ['a//b', 'invalid-format'],
  ['a/b/', 'invalid-format'],
  ['-a/b', 'invalid-format'],
  ['a/_b', 'invalid-format'],
  ['host:99999/app', 'invalid-domain'],
  ['ho_st.com/app', 'invalid-domain'],
  [`x.io/${'a'.repeat(260)}`, 'name-too-long'],
];

for (const [input, reason] of invalid) {
  test(`rejects ${JSON.stringify(input.slice(0, 40))} with EREFERENCE/${reason}`, (t) => {
    const e = t.throws(() => parseReference(input)) as Error & { code?: string; details?: Record<string, unknown> };
    t.is(e.code, 'EREFERENCE');
    t.is(e.details?.reason, reason);
  });
}

test('loopback hosts are those docker treats as local', (t) => {
  for (const h of ['localhost', 'localhost:5000', '127.0.0.1', '127.1.2.3:80', '[::1]:5000']) t.true(isLoopbackHost(h), h);
  for (const h of ['example.com', '128.0.0.1', '10.0.0.1:5000', 'localhost.example.com', '127.0.0.1.example.com']) t.false(isLoopbackHost(h), h);
});
