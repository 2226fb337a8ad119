import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURE_DIR, isNegative, listCases, runCase, type ErrorGolden } from './fixtures.js';

for (const name of listCases()) {
  test(`fixture ${name}`, (t) => {
    const dir = path.join(FIXTURE_DIR, name);
    const out = runCase(name);
    if (isNegative(name)) {
      const golden = JSON.parse(fs.readFileSync(path.join(dir, 'expected-error.json'), 'utf8')) as ErrorGolden;
      t.deepEqual(out.kind === 'error' ? out.error : out, golden);
    } else {
      const golden = fs.readFileSync(path.join(dir, 'expected.json'), 'utf8');
      t.is(out.kind === 'ok' ? out.dump : JSON.stringify(out), golden);
    }
  });
}
