// TAR-11: random small layers over a tiny hostile alphabet, applied in sequence in both modes.
// Invariants: nothing outside R changes, and every failure is a typed StoreError.
import test from 'ava';
import fc from 'fast-check';
import { readdirSync, rmSync, mkdirSync } from 'node:fs';
import { extractTarInto, isStoreError } from '../../src/index.js';
import { tar, streamOf, type RawEntry } from './helpers/raw-tar.js';
import { makeSandbox } from './helpers/sandbox.js';
import { listDir, Model, ModelError } from './helpers/model.js';

const segment = fc.constantFrom('a', 'b', '..', '.', '', '.wh.a', '.wh..wh..opq', '.wh.', '.wh..');
const name = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
const absName = fc.tuple(fc.boolean(), name).map(([abs, n]) => (abs ? '/' + n : n));

function entryArb(S: string): fc.Arbitrary<RawEntry> {
  const linkTarget = fc.oneof(absName, fc.constantFrom(S, `${S}/marker`, `${S}/probe`, '../../..', '/'));
  return fc.oneof(
    fc.record({ name: absName, type: fc.constant('0'), data: fc.constantFrom('', 'x', 'PWNED'), mode: fc.constantFrom(0o644, 0o4755, 0o777) }),
    fc.record({ name: absName, type: fc.constant('5'), mode: fc.constantFrom(0o755, 0o700) }),
    fc.record({ name: absName, type: fc.constant('2'), linkname: linkTarget }),
    fc.record({ name: absName, type: fc.constant('1'), linkname: linkTarget }),
    fc.record({ name: absName, type: fc.constant('6') }),
  );
}

test('TAR-11: random layers never touch S and only fail with typed errors', async (t) => {
  const sb = makeSandbox(t);
  const before = sb.fingerprint();
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(entryArb(sb.S), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 }), fc.constantFrom('add', 'overlay'), async (layers, mode) => {
      runs++;
      rmSync(sb.R, { recursive: true, force: true });
      mkdirSync(sb.R);
      for (const layer of layers) {
        try {
          await extractTarInto(streamOf(tar(...layer)), sb.R, { mode: mode as 'add' | 'overlay' });
        } catch (e) {
          if (!isStoreError(e)) throw e;
        }
      }
      return sb.fingerprint() === before && readdirSync(sb.S).sort().join() === 'R,marker,probe,sentinel';
    }),
    { numRuns: 300 },
  );
  t.is(runs >= 300, true);
});

for (const mode of ['add', 'overlay'] as const) test(`TAR-11: accepted layers give the tree the reference model predicts (${mode} mode)`, async (t) => {
  const sb = makeSandbox(t);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(entryArb(sb.S), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 }), async (layers) => {
      rmSync(sb.R, { recursive: true, force: true });
      mkdirSync(sb.R);
      const model = new Model(mode);
      for (const layer of layers) {
        let real: string | undefined;
        let predicted: string | undefined;
        try {
          await extractTarInto(streamOf(tar(...layer)), sb.R, { mode });
        } catch (e) {
          if (!isStoreError(e)) throw e;
          real = e.code;
        }
        try {
          model.applyLayer(layer);
        } catch (e) {
          if (!(e instanceof ModelError)) throw e;
          predicted = e.message;
        }
        if ((real === undefined) !== (predicted === undefined)) {
          throw new Error(`real ${real ?? 'ok'} vs model ${predicted ?? 'ok'} for ${JSON.stringify(layer)}`);
        }
        const got = listDir(sb.R).join('\n');
        const want = model.listing().join('\n');
        if (got !== want) throw new Error(`tree differs after ${JSON.stringify(layer)}\nreal:\n${got}\nmodel:\n${want}`);
      }
      return true;
    }),
    { numRuns: 300 },
  );
  t.pass();
});
