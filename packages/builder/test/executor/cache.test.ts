import test from 'ava';
import { createHash } from 'node:crypto';
import type { CacheRecord, CacheRecords } from '@tsbuild/layerstore';
import type { InputGroup } from '../../src/copy/index.js';
import { StepCache, explainMiss, stepKey, type StepInputs, type StepRecordValue } from '../../src/executor/cache.js';

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

const record = (instruction: string, inputs: StepInputs): StepRecordValue => ({
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

/** A group of file inputs, counting how often its members are listed. */
function files(list: Record<string, string>): InputGroup & { listed: number } {
  const group = {
    listed: 0,
    digest: `sha256:${createHash('sha256').update(JSON.stringify(list)).digest('hex')}`,
    members() {
      group.listed++;
      return list;
    },
  };
  return group;
}

test('a group is keyed by its digest: a hit never lists it, and its record holds the digest only', async (t) => {
  const records = memoryRecords();
  const cache = new StepCache(records, false);
  const group = files({ 'file:a.js': 'sha256:1:0644', 'file:b.js': 'sha256:2:0644' });
  t.is(stepKey('p', 'COPY . /app', { 'copy:files': group }), stepKey('p', 'COPY . /app', { 'copy:files': group.digest }));
  const first = await cache.lookup('p', 'COPY . /app', { 'copy:files': group });
  await cache.save('p', first.key, record('COPY . /app', { 'copy:files': group }));
  const saved = records.map.get(first.key)?.value as StepRecordValue;
  t.deepEqual(saved.inputs, { 'copy:files': group.digest });
  const listedBySave = group.listed;
  const again = await cache.lookup('p', 'COPY . /app', { 'copy:files': group });
  t.truthy(again.hit);
  t.is(group.listed, listedBySave, 'a hit does not list the files');
});

test('a changed group explains itself member by member; an unchanged one is never listed', async (t) => {
  const records = memoryRecords();
  const cache = new StepCache(records, false);
  const before = files({ 'file:a.js': 'sha256:1:0644', 'file:b.js': 'sha256:2:0644' });
  const l = await cache.lookup('p', 'COPY . /app', { 'copy:files': before, 'copy:dest': '/app/' });
  await cache.save('p', l.key, record('COPY . /app', { 'copy:files': before, 'copy:dest': '/app/' }));

  const after = files({ 'file:a.js': 'sha256:9:0644', 'file:c.js': 'sha256:3:0755' });
  const changed = await cache.lookup('p', 'COPY . /app', { 'copy:files': after, 'copy:dest': '/app/' });
  t.is(changed.missReason, 'cache miss: file a.js changed, file c.js added, file b.js removed');

  const same = files({ 'file:a.js': 'sha256:1:0644', 'file:b.js': 'sha256:2:0644' });
  const flag = await cache.lookup('p', 'COPY . /app', { 'copy:files': same, 'copy:dest': '/srv/' });
  t.is(flag.missReason, 'cache miss: copy dest changed');
  t.is(same.listed, 0);
});

test('a group that cannot be listed (a file changed meanwhile) costs the explanation, never the build', async (t) => {
  const records = memoryRecords();
  const cache = new StepCache(records, false);
  const failing = (digest: string): InputGroup => ({
    digest,
    members() {
      throw Object.assign(new Error('"a.js" changed while it was read'), { code: 'CONTEXT_FILE_CHANGED' });
    },
  });
  const l = await cache.lookup('p', 'COPY . /app', { 'copy:files': failing('sha256:1') });
  await cache.save('p', l.key, record('COPY . /app', { 'copy:files': failing('sha256:1') }));
  const changed = await cache.lookup('p', 'COPY . /app', { 'copy:files': files({ 'file:a.js': 'sha256:2:0644' }) });
  t.is(changed.missReason, 'cache miss: copy files changed');
  const bug: InputGroup = { digest: 'sha256:3', members: () => { throw new TypeError('a bug'); } };
  await t.throwsAsync(cache.save('p', 'k', record('COPY . /app', { 'copy:files': bug })), { instanceOf: TypeError });
});
