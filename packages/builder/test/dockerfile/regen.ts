// Regenerate the parser goldens: `node packages/builder/dist/test/dockerfile/regen.js`.
// Review the result with `git diff packages/builder/test/fixtures/parser`.

import fs from 'node:fs';
import path from 'node:path';
import { FIXTURE_DIR, isNegative, listCases, runCase } from './fixtures.js';

let failures = 0;
for (const name of listCases()) {
  const dir = path.join(FIXTURE_DIR, name);
  const out = runCase(name);
  if ((out.kind === 'error') !== isNegative(name)) {
    console.error(`${name}: expected ${isNegative(name) ? 'an error' : 'success'}, got ${out.kind === 'error' ? out.error.code : 'success'}`);
    failures++;
    continue;
  }
  if (out.kind === 'ok') fs.writeFileSync(path.join(dir, 'expected.json'), out.dump);
  else fs.writeFileSync(path.join(dir, 'expected-error.json'), JSON.stringify(out.error) + '\n');
}
console.log(`regenerated ${listCases().length - failures} case(s), ${failures} mismatch(es)`);
process.exitCode = failures === 0 ? 0 : 1;
