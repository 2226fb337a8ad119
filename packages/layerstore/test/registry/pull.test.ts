// Pull against the fake registry: the happy path, fast paths, platforms, retries, concurrency, progress.
import test from 'ava';
import { pull, type TransferProgress } from '../../src/registry/index.js';
import { assembleImage, makeImage, makeIndex, makeLayer, OCI_INDEX } from './helpers/images.js';
import { seed, seeded, world } from './helpers/setup.js';
import { listBlobs } from './helpers/store.js';

test('pull stores manifest, config and layers, tags the image, and reports progress per layer', async (t) => {
  const w = await seeded(t);
  const events: TransferProgress[] = [];
  const r = await pull(w.store, w.ref, { ...w.opts, onProgress: (p) => events.push(p) });
  t.is(r.manifestDigest, w.image.manifestDesc.digest);
  t.true(r.contacted);
  const blobs = await listBlobs(w.store);
  for (const d of [w.image.manifestDesc.digest, w.image.configDesc.digest, ...w.image.layers.map((l) => l.desc.digest)]) t.true(blobs.includes(d));
  const img = await w.store.images.resolve(w.ref);
  t.is(img?.manifestDigest, w.image.manifestDesc.digest);
  t.deepEqual(img?.names, [`${w.a.host}/test/app:v1`]);
  for (const l of w.image.layers) {
    t.true(events.some((e) => e.digest === l.desc.digest && e.phase === 'done' && e.current === l.desc.size));
  }
});

test('a tag already in the store is not re-resolved unless pull:true; then one HEAD says it is unchanged', async (t) => {
  const w = await seeded(t);
  await pull(w.store, w.ref, w.opts);
  const before = w.recorder.requests.length;
  const again = await pull(w.store, w.ref, w.opts);
  t.false(again.contacted);
  t.is(w.recorder.requests.length, before);
  const repull = await pull(w.store, w.ref, { ...w.opts, pull: true });
  t.true(repull.contacted);
  const later = w.recorder.requests.slice(before).filter((r) => r.url.startsWith('/v2/test/'));
  t.deepEqual(later.map((r) => r.method), ['HEAD']);
});

test('pull:true after the tag moved fetches the new manifest and only the missing layers', async (t) => {
  const w = await seeded(t);
  await pull(w.store, w.ref, w.opts);
  const next = assembleImage([w.image.layers[0]!, await makeLayer(700)]);
  seed(w.a, 'test/app', 'v1', next);
  const before = w.recorder.requests.length;
  const r = await pull(w.store, w.ref, { ...w.opts, pull: true });
  t.is(r.manifestDigest, next.manifestDesc.digest);
  t.is((await w.store.images.resolve(w.ref))?.manifestDigest, next.manifestDesc.digest);
  const blobGets = w.recorder.requests.slice(before).filter((q) => q.method === 'GET' && q.url.includes('/blobs/'));
  t.is(blobGets.length, 2, 'the new config and the new layer only');
});

test('a digest reference already in the store makes no request at all', async (t) => {
  const w = await seeded(t);
  await pull(w.store, w.ref, w.opts);
  const before = w.recorder.requests.length;
  const r = await pull(w.store, `${w.a.host}/test/app@${w.image.manifestDesc.digest}`, w.opts);
  t.false(r.contacted);
  t.is(w.recorder.requests.length, before);
});

test('an index resolves to the requested platform (default linux/amd64); a missing one is ENOPLATFORM', async (t) => {
  const w = await world(t);
  const amd = await makeImage([1000]);
  const arm = await makeImage([1200], { platform: { os: 'linux', architecture: 'arm64' } });
  seed(w.a, 'multi/app', 'amd', amd);
  seed(w.a, 'multi/app', 'arm', arm);
  w.a.putManifest('multi/app', 'v1', makeIndex([
    { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
    { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  ]), OCI_INDEX);
  const def = await pull(w.store, `${w.a.host}/multi/app:v1`, w.opts);
  t.is(def.manifestDigest, amd.manifestDesc.digest);
  t.truthy(def.indexDigest);
  const a64 = await pull(w.store, `${w.a.host}/multi/app:v1`, { ...w.opts, pull: true, platform: 'linux/arm64' });
  t.is(a64.manifestDigest, arm.manifestDesc.digest);
  const e = await t.throwsAsync(pull(w.store, `${w.a.host}/multi/app:v1`, { ...w.opts, pull: true, platform: 'linux/s390x' }));
  t.is((e as { code?: string }).code, 'ENOPLATFORM');
});

test('5xx answers are retried with backoff, then succeed', async (t) => {
  const w = await seeded(t);
  let failures = 2;
  w.a.fault = (req, res) => {
    if (req.url?.includes('/blobs/') && failures > 0) {
      failures--;
      res.writeHead(503);
      res.end();
      return true;
    }
    return false;
  };
  const r = await pull(w.store, w.ref, w.opts);
  t.is(r.manifestDigest, w.image.manifestDesc.digest);
  t.is(failures, 0);
});

test('persistent 500s give EREGISTRY after the configured attempts', async (t) => {
  const w = await seeded(t);
  w.a.fault = (req, res) => {
    if (req.url?.includes('/manifests/')) {
      res.writeHead(500);
      res.end();
      return true;
    }
    return false;
  };
  const e = await t.throwsAsync(pull(w.store, w.ref, w.opts));
  t.is((e as { code?: string }).code, 'EREGISTRY');
  t.is(w.recorder.requests.filter((r) => r.url.includes('/manifests/')).length, 3);
});

test('layer downloads run at most `concurrency` at a time', async (t) => {
  const w = await world(t);
  const image = await makeImage([1000, 1100, 1200, 1300, 1400, 1500]);
  seed(w.a, 'test/app', 'v1', image);
  let inFlight = 0;
  let peak = 0;
  w.a.fault = async (req) => {
    if (req.url?.match(/\/blobs\/sha256:/) && image.layers.some((l) => req.url!.endsWith(l.desc.digest))) {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 30));
      inFlight--;
    }
    return false;
  };
  await pull(w.store, `${w.a.host}/test/app:v1`, { ...w.opts, concurrency: 2 });
  t.is(peak, 2);
});
