// REG-03 time limits: a slowloris manifest hits the document deadline, a stalled layer the idle
// timeout; both are retried, then fail typed, leaving nothing in the store.
import test from 'ava';
import { pull } from '../../src/registry/index.js';
import { seeded } from './helpers/setup.js';
import { listBlobs } from './helpers/store.js';

test('a manifest sent one byte at a time hits the document deadline (ETIMEDOUT), retried then typed', async (t) => {
  const w = await seeded(t);
  const timers = new Set<NodeJS.Timeout>();
  t.teardown(() => { for (const x of timers) clearInterval(x); });
  w.a.fault = (req, res) => {
    if (!req.url?.endsWith('/manifests/v1')) return false;
    res.writeHead(200, { 'Content-Type': w.image.manifestDesc.mediaType, 'Content-Length': w.image.manifest.length });
    let i = 0;
    const timer = setInterval(() => {
      if (res.destroyed || i >= w.image.manifest.length) {
        clearInterval(timer);
        return;
      }
      res.write(w.image.manifest.subarray(i, ++i));
    }, 20);
    timers.add(timer);
    return true;
  };
  const e = await t.throwsAsync(pull(w.store, w.ref, { ...w.opts, documentTimeoutMs: 200 })) as Error & { code?: string };
  t.is(e.code, 'ETIMEDOUT');
  t.is(w.recorder.requests.filter((r) => r.url.endsWith('/manifests/v1')).length, 3);
  t.is(await w.store.images.resolve(w.ref), undefined);
});

test('a layer body that stalls hits the idle timeout (ENETWORK EIDLE) and nothing is stored', async (t) => {
  const w = await seeded(t);
  const layer = w.image.layers[0]!;
  w.a.fault = (req, res) => {
    if (!req.url?.endsWith(`/blobs/${layer.desc.digest}`)) return false;
    res.writeHead(200, { 'Content-Length': layer.gz.length });
    res.write(layer.gz.subarray(0, 10));
    return true;
  };
  const e = await t.throwsAsync(pull(w.store, w.ref, { ...w.opts, idleTimeoutMs: 200 })) as Error & { code?: string; details?: Record<string, unknown> };
  t.is(e.code, 'ENETWORK');
  t.is(e.details?.netCode, 'EIDLE');
  t.false((await listBlobs(w.store)).includes(layer.desc.digest));
});

test('cancelling with an AbortSignal mid-download is EABORTED, not retried, and stores nothing', async (t) => {
  const w = await seeded(t);
  const layer = w.image.layers[0]!;
  const ac = new AbortController();
  w.a.fault = (req, res) => {
    if (!req.url?.endsWith(`/blobs/${layer.desc.digest}`)) return false;
    res.writeHead(200, { 'Content-Length': layer.gz.length });
    res.write(layer.gz.subarray(0, 10));
    setTimeout(() => ac.abort(), 50);
    return true;
  };
  const e = await t.throwsAsync(pull(w.store, w.ref, { ...w.opts, signal: ac.signal })) as Error & { code?: string };
  t.is(e.code, 'EABORTED');
  t.is(w.recorder.requests.filter((r) => r.url.endsWith(`/blobs/${layer.desc.digest}`)).length, 1);
  t.false((await listBlobs(w.store)).includes(layer.desc.digest));
});
