// REG-01..03: a registry that lies about digests and sizes, truncates bodies, sends ambiguous or
// oversized documents. Each case gives a typed error (or a correct retry) and nothing unverified,
// and no tag, lands in the store.
import test, { type ExecutionContext } from 'ava';
import type { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { pull } from '../../src/registry/index.js';
import { sha256 } from './helpers/images.js';
import { seeded } from './helpers/setup.js';
import { listBlobs } from './helpers/store.js';

type W = Awaited<ReturnType<typeof seeded>>;

/** Runs the pull, expects `code`, and checks that no layer and no tag made it into the store. */
async function expectFailure(t: ExecutionContext, w: W, code: string, ref = w.ref): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  const e = await t.throwsAsync(pull(w.store, ref, w.opts)) as Error & { code?: string; details?: Record<string, unknown> };
  t.is(e.code, code, e.message);
  // The faulty layer is always layer 0; others may have been fetched (and verified) meanwhile.
  t.false((await listBlobs(w.store)).includes(w.image.layers[0]!.desc.digest));
  t.is(await w.store.images.resolve(w.ref), undefined);
  return e;
}

function layerRequest(w: W, url: string | undefined, i = 0): boolean {
  return url?.endsWith(`/blobs/${w.image.layers[i]!.desc.digest}`) === true;
}

function send(res: ServerResponse, body: Buffer, headers: Record<string, string | number> = {}): true {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length, ...headers });
  res.end(body);
  return true;
}

test('REG-01 manifest by digest: a different body is EDIGEST', async (t) => {
  const w = await seeded(t);
  const other = Buffer.from(w.image.manifest.toString().replace('"schemaVersion":2', '"schemaVersion":2 '));
  w.a.fault = (req, res) => req.url?.includes(`/manifests/${w.image.manifestDesc.digest}`) === true
    && send(res, other, { 'Content-Type': w.image.manifestDesc.mediaType, 'Docker-Content-Digest': w.image.manifestDesc.digest });
  await expectFailure(t, w, 'EDIGEST', `${w.a.host}/test/app@${w.image.manifestDesc.digest}`);
});

test('REG-01 a lying Docker-Content-Digest on a tag is EDIGEST (the header is never identity)', async (t) => {
  const w = await seeded(t);
  w.a.fault = (req, res) => req.url?.endsWith('/manifests/v1') === true
    && send(res, w.image.manifest, { 'Content-Type': w.image.manifestDesc.mediaType, 'Docker-Content-Digest': sha256(Buffer.from('other')) });
  const e = await expectFailure(t, w, 'EDIGEST');
  t.is(e.details?.reason, 'header-mismatch');
});

test('REG-01 a layer whose bytes do not match its digest is EDIGEST, stored under no name', async (t) => {
  const w = await seeded(t);
  const bad = randomBytes(w.image.layers[0]!.gz.length);
  w.a.fault = (req, res) => layerRequest(w, req.url) && send(res, bad);
  await expectFailure(t, w, 'EDIGEST');
  t.false((await listBlobs(w.store)).includes(sha256(bad)));
});

for (const [name, mutate] of [
  ['short', (b: Buffer) => b.subarray(0, b.length - 10)],
  ['long', (b: Buffer) => Buffer.concat([b, randomBytes(100)])],
  ['one trailing byte', (b: Buffer) => Buffer.concat([b, Buffer.from([0])])],
] as const) {
  test(`REG-01 a ${name} layer body is ESIZE`, async (t) => {
    const w = await seeded(t);
    w.a.fault = (req, res) => layerRequest(w, req.url) && send(res, mutate(w.image.layers[0]!.gz));
    await expectFailure(t, w, 'ESIZE');
  });
}

test('REG-01 a wrong Content-Length (announcing less than the descriptor) is ESIZE', async (t) => {
  const w = await seeded(t);
  const gz = w.image.layers[0]!.gz;
  w.a.fault = (req, res) => {
    if (!layerRequest(w, req.url)) return false;
    res.writeHead(200, { 'Content-Length': gz.length - 1 });
    res.end(gz.subarray(0, gz.length - 1));
    return true;
  };
  await expectFailure(t, w, 'ESIZE');
});

test('REG-01 a body truncated by a dropped connection is retried, and succeeds when the registry recovers', async (t) => {
  const w = await seeded(t);
  let drops = 1;
  w.a.fault = (req, res) => {
    if (!layerRequest(w, req.url) || drops === 0) return false;
    drops--;
    const gz = w.image.layers[0]!.gz;
    res.writeHead(200, { 'Content-Length': gz.length });
    res.write(gz.subarray(0, 100));
    setTimeout(() => res.socket?.destroy(), 20);
    return true;
  };
  const r = await pull(w.store, w.ref, w.opts);
  t.is(r.manifestDigest, w.image.manifestDesc.digest);
  t.is(w.recorder.requests.filter((q) => layerRequest(w, q.url)).length, 2);
});

test('REG-01 a body truncated every time fails with a retryable network error after the attempts', async (t) => {
  const w = await seeded(t);
  w.a.fault = (req, res) => {
    if (!layerRequest(w, req.url)) return false;
    const gz = w.image.layers[0]!.gz;
    res.writeHead(200, { 'Content-Length': gz.length });
    res.write(gz.subarray(0, 100));
    setTimeout(() => res.socket?.destroy(), 20);
    return true;
  };
  await expectFailure(t, w, 'ENETWORK');
  t.is(w.recorder.requests.filter((q) => layerRequest(w, q.url)).length, 3);
});

function manifestFault(w: W, body: Buffer | string, type: string): void {
  w.a.fault = (req, res) => req.url?.endsWith('/manifests/v1') === true && send(res, Buffer.from(body), { 'Content-Type': type });
}

test('REG-02 CVE-2021-41190: a document with both layers and manifests is EMANIFEST_INVALID', async (t) => {
  const w = await seeded(t);
  const doc = { ...JSON.parse(w.image.manifest.toString()) as object, manifests: [] };
  manifestFault(w, JSON.stringify(doc), w.image.manifestDesc.mediaType);
  const e = await expectFailure(t, w, 'EMANIFEST_INVALID');
  t.is(e.details?.reason, 'ambiguous');
});

test('REG-02 Content-Type different from the body mediaType is EMANIFEST_INVALID', async (t) => {
  const w = await seeded(t);
  manifestFault(w, w.image.manifest, 'application/vnd.oci.image.index.v1+json');
  const e = await expectFailure(t, w, 'EMANIFEST_INVALID');
  t.is(e.details?.reason, 'content-type-mismatch');
});

test('REG-02 schema1 manifests are EMANIFEST_UNSUPPORTED', async (t) => {
  const w = await seeded(t);
  manifestFault(w, JSON.stringify({ schemaVersion: 1, name: 'test/app', tag: 'v1', fsLayers: [] }), 'application/vnd.docker.distribution.manifest.v1+prettyjws');
  await expectFailure(t, w, 'EMANIFEST_UNSUPPORTED');
});

for (const [name, patch, code] of [
  ['negative size', { size: -1 }, 'EMANIFEST_INVALID'],
  ['uppercase hex', { digest: `sha256:${'A'.repeat(64)}` }, 'EINVALIDDIGEST'],
  ['unknown algorithm', { digest: `md5:${'a'.repeat(32)}` }, 'EINVALIDDIGEST'],
  ['path in digest', { digest: 'sha256:../../x' }, 'EINVALIDDIGEST'],
] as const) {
  test(`REG-02 a layer descriptor with ${name} is ${code}`, async (t) => {
    const w = await seeded(t);
    const doc = JSON.parse(w.image.manifest.toString()) as { layers: object[] };
    doc.layers[0] = { ...doc.layers[0], ...patch };
    manifestFault(w, JSON.stringify(doc), w.image.manifestDesc.mediaType);
    await expectFailure(t, w, code);
  });
}

test('REG-02 a config that is not an image config (an artifact) is EMANIFEST_UNSUPPORTED', async (t) => {
  const w = await seeded(t);
  const doc = JSON.parse(w.image.manifest.toString()) as { config: { mediaType: string } };
  doc.config.mediaType = 'application/vnd.example.artifact+json';
  manifestFault(w, JSON.stringify(doc), w.image.manifestDesc.mediaType);
  await expectFailure(t, w, 'EMANIFEST_UNSUPPORTED');
});

test('REG-03 a manifest over 4 MiB is ELIMIT, announced or streamed without a length', async (t) => {
  const w = await seeded(t);
  const huge = Buffer.alloc(5 * 1024 * 1024, 0x20);
  manifestFault(w, huge, w.image.manifestDesc.mediaType);
  await expectFailure(t, w, 'ELIMIT');
  w.a.fault = (req, res) => {
    if (!req.url?.endsWith('/manifests/v1')) return false;
    res.writeHead(200, { 'Content-Type': w.image.manifestDesc.mediaType });
    const write = (): void => {
      if (res.destroyed) return;
      if (res.write(Buffer.alloc(64 * 1024, 0x20))) setImmediate(write);
      else res.once('drain', write);
    };
    write();
    return true;
  };
  await expectFailure(t, w, 'ELIMIT');
});

test('REG-03 a config descriptor over 8 MiB is ELIMIT before any download', async (t) => {
  const w = await seeded(t);
  const doc = JSON.parse(w.image.manifest.toString()) as { config: { size: number } };
  doc.config.size = 9 * 1024 * 1024;
  manifestFault(w, JSON.stringify(doc), w.image.manifestDesc.mediaType);
  await expectFailure(t, w, 'ELIMIT');
  t.false(w.recorder.requests.some((r) => r.url.includes('/blobs/')));
});

test('REG-03 a config whose diff_ids do not pair with the layers is EMANIFEST_INVALID', async (t) => {
  const w = await seeded(t);
  const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', config: {}, rootfs: { type: 'layers', diff_ids: [] } }));
  const doc = JSON.parse(w.image.manifest.toString()) as { config: { digest: string; size: number } };
  doc.config.digest = w.a.putBlob('test/app', config);
  doc.config.size = config.length;
  manifestFault(w, JSON.stringify(doc), w.image.manifestDesc.mediaType);
  await expectFailure(t, w, 'EMANIFEST_INVALID');
});

test('registry-chosen text in errors carries no control characters (terminal escapes)', async (t) => {
  const w = await seeded(t);
  w.a.fault = (req, res) => {
    if (!req.url?.endsWith('/manifests/v1')) return false;
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: '\u001b[2J\u001b]0;pwned\u0007 gone\r\nfake: line' }] }));
    return true;
  };
  const e = await t.throwsAsync(pull(w.store, w.ref, w.opts)) as Error & { code?: string };
  t.is(e.code, 'ENOTFOUND');
  t.false(/[\u0000-\u001f\u007f]/.test(e.message));
});
