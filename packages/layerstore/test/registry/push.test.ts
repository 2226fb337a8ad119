// Push against the fake registry (REG-05): HEAD-skip, monolithic and chunked uploads, resume after a
// 500 or a 416, mounts, digest checks, the manifest last, no credentials to a foreign Location.
import test from 'ava';
import { Readable } from 'node:stream';
import { pull, push, type TransferProgress } from '../../src/registry/index.js';
import type { OpenedStore } from '../../src/store.js';
import { makeLayer, sha256 } from './helpers/images.js';
import { seeded, world } from './helpers/setup.js';

const OCI_TAR = 'application/vnd.oci.image.layer.v1.tar';

/** A "built" image: uncompressed layers written with images.write, as the builder does. */
async function builtImage(store: OpenedStore, sizes: number[], tag: string) {
  const layers = [];
  for (const [i, size] of sizes.entries()) {
    const l = await makeLayer(size, `built-${i}.bin`);
    layers.push(await store.layers.import(Readable.from([l.tar]), OCI_TAR, { digest: sha256(l.tar), size: l.tar.length }));
  }
  return store.images.write({ config: { os: 'linux', architecture: 'amd64', config: {}, rootfs: { type: 'layers', diff_ids: [] } }, layers, tags: [tag] });
}

function paths(w: { recorder: { requests: { method: string; url: string }[] } }, method: string): string[] {
  return w.recorder.requests.filter((r) => r.method === method).map((r) => r.url);
}

test('a built image is pushed as OCI with gzip layers kept in the store; the manifest goes last', async (t) => {
  const w = await world(t);
  const img = await builtImage(w.store, [4000, 6000], 'localhost/app:1');
  const events: TransferProgress[] = [];
  const r = await push(w.store, 'localhost/app:1', `${w.a.host}/team/app:1`, { ...w.opts, onProgress: (p) => events.push(p) });
  const stored = w.a.manifests.get('team/app@1');
  t.truthy(stored);
  t.is(sha256(stored!.body), r.digest);
  t.is(stored!.type, 'application/vnd.oci.image.manifest.v1+json');
  const manifest = JSON.parse(stored!.body.toString()) as { layers: { mediaType: string; digest: string }[] };
  t.true(manifest.layers.every((l) => l.mediaType.endsWith('+gzip')));
  for (const l of manifest.layers) {
    t.truthy(await w.store.blobs.stat(l.digest), 'gzip blob kept in the store');
    t.truthy(w.a.blob('team/app', l.digest));
  }
  t.truthy(w.a.blob('team/app', img.configDigest));
  const last = w.recorder.requests.filter((q) => q.method === 'PUT' || q.method === 'PATCH').pop();
  t.true(last?.url.includes('/manifests/'));
  t.true(events.some((e) => e.phase === 'done' && e.kind === 'layer'));
  // A second push finds every blob with HEAD and uploads nothing.
  const uploadsBefore = paths(w, 'POST').length;
  const again = await push(w.store, 'localhost/app:1', `${w.a.host}/team/app:1`, w.opts);
  t.is(again.digest, r.digest);
  t.is(paths(w, 'POST').length, uploadsBefore);
});

test('a pulled image is pushed byte for byte (same manifest digest)', async (t) => {
  const w = await seeded(t);
  await pull(w.store, w.ref, w.opts);
  const r = await push(w.store, w.ref, `${w.b.host}/copy/app:v1`, w.opts);
  t.is(r.digest, w.image.manifestDesc.digest);
  t.deepEqual(w.b.manifests.get('copy/app@v1')?.body, w.image.manifest);
});

test('a blob seen in another repository of the same registry is mounted, not uploaded', async (t) => {
  const w = await seeded(t);
  await pull(w.store, w.ref, w.opts);
  await push(w.store, w.ref, `${w.a.host}/other/app:v1`, w.opts);
  const mounts = paths(w, 'POST').filter((u) => u.includes('mount='));
  t.is(mounts.length, 1 + w.image.layers.length);
  t.true(mounts.every((u) => u.includes('from=test%2Fapp')));
  t.is(paths(w, 'PATCH').length, 0);
  t.false(paths(w, 'PUT').some((u) => u.includes('/blobs/uploads/')));
});

test('chunked upload above the threshold: PATCHes with Content-Range, then PUT ?digest=', async (t) => {
  const w = await world(t);
  await builtImage(w.store, [50_000], 'localhost/app:1');
  const r = await push(w.store, 'localhost/app:1', `${w.a.host}/team/app:1`, { ...w.opts, chunkThreshold: 10_000, chunkSize: 8192 });
  const patches = w.recorder.requests.filter((q) => q.method === 'PATCH');
  t.true(patches.length >= 3);
  t.true(patches.every((p) => /^\d+-\d+$/.test(String(p.headers['content-range']))));
  t.is(sha256(w.a.manifests.get('team/app@1')!.body), r.digest);
});

test('a 500 in the middle of a chunked upload resumes from the offset the session reports', async (t) => {
  const w = await world(t);
  await builtImage(w.store, [50_000], 'localhost/app:1');
  let patchCount = 0;
  w.a.fault = (req, res) => {
    if (req.method !== 'PATCH' || ++patchCount !== 3) return false;
    res.writeHead(500);
    res.end();
    return true;
  };
  const r = await push(w.store, 'localhost/app:1', `${w.a.host}/team/app:1`, { ...w.opts, chunkThreshold: 10_000, chunkSize: 8192 });
  t.true(w.recorder.requests.some((q) => q.method === 'GET' && q.url.includes('/blobs/uploads/')), 'asked the session for its offset');
  t.is(sha256(w.a.manifests.get('team/app@1')!.body), r.digest);
  // Every blob the manifest names arrived intact (the fake registry checks the digest on PUT).
  const manifest = JSON.parse(w.a.manifests.get('team/app@1')!.body.toString()) as { layers: { digest: string }[] };
  for (const l of manifest.layers) t.truthy(w.a.blob('team/app', l.digest));
});

test('a 416 on a PATCH (the registry already has more) resumes from its Range', async (t) => {
  const w = await world(t);
  await builtImage(w.store, [40_000], 'localhost/app:1');
  let patchCount = 0;
  w.a.fault = (req, res, body, reg) => {
    if (req.method !== 'PATCH' || ++patchCount !== 2) return false;
    // Accept the bytes but answer 416, as if an earlier answer had been lost.
    const id = new URL(req.url!, 'http://x').pathname.split('/').pop()!;
    const up = reg.uploads.get(id)!;
    up.data = Buffer.concat([up.data, body]);
    reg.error(res, 416, 'BLOB_UPLOAD_INVALID');
    return true;
  };
  const r = await push(w.store, 'localhost/app:1', `${w.a.host}/team/app:1`, { ...w.opts, chunkThreshold: 10_000, chunkSize: 8192 });
  t.is(sha256(w.a.manifests.get('team/app@1')!.body), r.digest);
});

test('a wrong Docker-Content-Digest on blob PUT is EDIGEST and no manifest is pushed', async (t) => {
  const w = await world(t);
  await builtImage(w.store, [3000], 'localhost/app:1');
  w.a.fault = (req, res) => {
    if (req.method !== 'PUT' || !req.url?.includes('/blobs/uploads/')) return false;
    res.writeHead(201, { 'Docker-Content-Digest': sha256(Buffer.from('lie')) });
    res.end();
    return true;
  };
  const e = await t.throwsAsync(push(w.store, 'localhost/app:1', `${w.a.host}/team/app:1`, w.opts)) as Error & { code?: string };
  t.is(e.code, 'EDIGEST');
  t.false(w.recorder.requests.some((q) => q.url.includes('/manifests/') && q.method === 'PUT'));
});

test('a wrong Docker-Content-Digest on manifest PUT is EDIGEST', async (t) => {
  const w = await world(t);
  await builtImage(w.store, [3000], 'localhost/app:1');
  w.a.fault = (req, res) => {
    if (req.method !== 'PUT' || !req.url?.includes('/manifests/')) return false;
    res.writeHead(201, { 'Docker-Content-Digest': sha256(Buffer.from('lie')) });
    res.end();
    return true;
  };
  const e = await t.throwsAsync(push(w.store, 'localhost/app:1', `${w.a.host}/team/app:1`, w.opts)) as Error & { code?: string; details?: Record<string, unknown> };
  t.is(e.code, 'EDIGEST');
  t.is(e.details?.reason, 'returned-digest');
});

test('manifest PUT answered MANIFEST_BLOB_UNKNOWN surfaces the registry code', async (t) => {
  const w = await world(t);
  await builtImage(w.store, [3000], 'localhost/app:1');
  w.a.fault = (req, res, _b, reg) => {
    if (req.method !== 'PUT' || !req.url?.includes('/manifests/')) return false;
    reg.error(res, 400, 'MANIFEST_BLOB_UNKNOWN');
    return true;
  };
  const e = await t.throwsAsync(push(w.store, 'localhost/app:1', `${w.a.host}/team/app:1`, w.opts)) as Error & { code?: string; details?: Record<string, unknown> };
  t.is(e.code, 'EREGISTRY');
  t.is(e.details?.registryCode, 'MANIFEST_BLOB_UNKNOWN');
});

test('an upload Location on another host gets the blob but no credentials; upload state is redacted in logs', async (t) => {
  const w = await world(t);
  w.a.auth = { kind: 'basic', user: 'alice', password: 'hunter2-secret' };
  await builtImage(w.store, [3000], 'localhost/app:1');
  w.a.fault = (req, res) => {
    if (req.method !== 'POST' || !req.url?.includes('/blobs/uploads/') || !req.headers.authorization) return false;
    res.writeHead(202, { Location: `${w.b.url}/v2/team/app/blobs/uploads/x?_state=very-secret-state` });
    res.end();
    return true;
  };
  w.b.fault = (req, res) => {
    const digest = new URL(req.url!, 'http://x').searchParams.get('digest')!;
    res.writeHead(201, { 'Docker-Content-Digest': digest });
    res.end();
    return true;
  };
  await push(w.store, 'localhost/app:1', `${w.a.host}/team/app:1`, { ...w.opts, auth: { username: 'alice', password: 'hunter2-secret' } });
  t.true(w.recorder.to(w.b.host).length >= 2);
  t.deepEqual(w.recorder.authorizationsAt(w.b.host), []);
  t.false(w.logs.join('\n').includes('very-secret-state'));
});

test('pushing a name the store does not have is ENOTFOUND; a bad destination is EREFERENCE', async (t) => {
  const w = await world(t);
  const e1 = await t.throwsAsync(push(w.store, 'localhost/none:1', `${w.a.host}/x:1`, w.opts)) as Error & { code?: string };
  t.is(e1.code, 'ENOTFOUND');
  await builtImage(w.store, [100], 'localhost/app:1');
  const e2 = await t.throwsAsync(push(w.store, 'localhost/app:1', `${w.a.host}/UPPER:1`, w.opts)) as Error & { code?: string };
  t.is(e2.code, 'EREFERENCE');
});

test('a connection dropped during a monolithic PUT restarts the upload in a new session', async (t) => {
  const w = await world(t);
  await builtImage(w.store, [20_000], 'localhost/app:1');
  let drops = 1;
  w.a.fault = (req, res) => {
    if (req.method !== 'PUT' || !req.url?.includes('/blobs/uploads/') || drops === 0) return false;
    drops--;
    res.socket?.destroy();
    return true;
  };
  const r = await push(w.store, 'localhost/app:1', `${w.a.host}/team/app:1`, w.opts);
  t.is(drops, 0);
  t.is(sha256(w.a.manifests.get('team/app@1')!.body), r.digest);
  t.true(paths(w, 'POST').filter((u) => u.includes('/blobs/uploads/')).length >= 3, 'a second session was opened');
});
