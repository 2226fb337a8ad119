// src/shell is pure (ARCHITECTURE.md): no fs, no child_process, no clock, no Node globals.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const shellDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/shell');

test('shell modules import nothing but each other and errors.ts', (t) => {
  const files = fs.readdirSync(shellDir).filter((f) => f.endsWith('.js'));
  t.true(files.length > 0);
  for (const file of files) {
    const text = fs.readFileSync(path.join(shellDir, file), 'utf8');
    const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
    for (const spec of imports) t.regex(spec, /^\.\/|^\.\.\/errors\.js$/, `${file} imports ${spec}`);
    t.false(/\b(Date\.now|performance\.now|process\.|Buffer\.|require\()/.test(text), `${file} uses a clock, process or Buffer`);
  }
});
