import test from 'ava';
import type { CacheRecord, CacheRecords } from '@tsbuild/layerstore';
import { StepCache, explainMiss, stepKey, type StepRecordValue } from '../../src/executor/cache.js';

function memoryRecords(): CacheRecords & { map: Map<string, CacheRecord> } {
  const map = new Map<string, CacheRecord>();
  return {
    map,
    async get(k) {
      return map.get(k);
    },
    async put(k, r) {
      map.set(k, structuredClone(r));
    },
    async delete(k) {
      map.delete(k);
    },
  };
}

const record = (instruction: string, inputs: Record<string, string>): StepRecordValue => ({
  v: 1,
  instruction,
  inputs,
  layer: null,
  created: '2024-01-01T00:00:00Z',
  sizeBytes: 0,
});

test('the key changes with the parent, the instruction and every input, never with input order', (t) => {
  const base = stepKey('p', 'RUN make', { 'env:A': '1', 'file:x': 'sha256:a:0644' });
  t.is(base, stepKey('p', 'RUN make', { 'file:x': 'sha256:a:0644', 'env:A': '1' }));
  t.not(base, stepKey('q', 'RUN make', { 'env:A': '1', 'file:x': 'sha256:a:0644' }));
  t.not(base, stepKey('p', 'RUN make all', { 'env:A': '1', 'file:x': 'sha256:a:0644' }));
  t.not(base, stepKey('p', 'RUN make', { 'env:A': '2', 'file:x': 'sha256:a:0644' }));
  t.not(base, stepKey('p', 'RUN make', { 'env:A': '1', 'file:x': 'sha256:a:0755' }));
  t.not(base, stepKey('p', 'RUN make', { 'env:A': '1' }));
});

test('a saved step hits; a step with other inputs misses and says which input changed', async (t) => {
  const records = memoryRecords();
  const cache = new StepCache(records, false);
  const first = await cache.lookup('parent', 'COPY . /app', { 'file:a.js': 'sha256:1:0644', 'env:X': '1' });
  t.is(first.hit, undefined);
  t.is(first.missReason, undefined);
  await cache.save('parent', first.key, record('COPY . /app', { 'file:a.js': 'sha256:1:0644', 'env:X': '1' }));

  const again = await cache.lookup('parent', 'COPY . /app', { 'file:a.js': 'sha256:1:0644', 'env:X': '1' });
  t.truthy(again.hit);
  t.is(again.key, first.key);

  const changed = await cache.lookup('parent', 'COPY . /app', { 'file:a.js': 'sha256:2:0644', 'env:X': '1', 'file:b.js': 'sha256:3:0644' });
  t.is(changed.hit, undefined);
  t.is(changed.missReason, 'cache miss: file a.js changed, file b.js added');
});

test('--no-cache never reads but still records for the next build', async (t) => {
  const records = memoryRecords();
  const on = new StepCache(records, false);
  const l = await on.lookup('p', 'RUN x', {});
  await on.save('p', l.key, record('RUN x', {}));
  const off = new StepCache(records, true);
  const r = await off.lookup('p', 'RUN x', {});
  t.is(r.hit, undefined);
  t.is(r.missReason, undefined);
  t.is(r.key, l.key);
});

test('explainMiss names removed inputs and caps long lists', (t) => {
  t.is(explainMiss({ 'arg:V': '1' }, {}), 'cache miss: arg V removed');
  const before = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`file:f${i}`, 'a']));
  const after = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`file:f${i}`, 'b']));
  t.regex(explainMiss(before, after), /and 3 more$/);
});
