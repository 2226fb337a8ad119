// Every conformance Dockerfile plans, except 91 (unknown instruction) and 92 (no FROM), which fail
// with the right code and line. Skipped when ../shared is not present.

import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerfileError } from '../../src/errors.js';
import { planBuild } from '../../src/frontend.js';
import { fileURLToPath as fileURLToPathForBase } from 'node:url';

// ../shared next to the repository (dist/test/plan → six levels up), or the absolute path.
const CASES = [
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../../shared/conformance/cases'),
  fileURLToPathForBase(new URL('../../../../../../shared/conformance/cases', import.meta.url)),
].find((p) => fs.existsSync(p)) ?? fileURLToPathForBase(new URL('../../../../../../shared/conformance/cases', import.meta.url));
const EXPECTED_FAILURES: Record<string, { code: string; line: number }> = {
  '91-invalid-unknown-instruction': { code: 'DF_UNKNOWN_INSTRUCTION', line: 2 },
  '92-invalid-missing-from': { code: 'DF_NO_FROM', line: 2 },
};

function caseEnv(dir: string): { buildArgs: Record<string, string>; target?: string } {
  const envFile = path.join(dir, 'case.env');
  const text = fs.existsSync(envFile) ? fs.readFileSync(envFile, 'utf8') : '';
  const buildArgs: Record<string, string> = {};
  const m = /^BUILD_ARGS="([^"]*)"/m.exec(text);
  for (const kv of m?.[1]?.split(/\s+/).filter(Boolean) ?? []) {
    const eq = kv.indexOf('=');
    buildArgs[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const target = /^TARGET=(\S+)/m.exec(text)?.[1];
  return target === undefined ? { buildArgs } : { buildArgs, target };
}

const cases = fs.existsSync(CASES)
  ? fs.readdirSync(CASES).filter((c) => fs.existsSync(path.join(CASES, c, 'ctx', 'Dockerfile'))).sort()
  : [];

if (cases.length === 0) test.skip('conformance cases (../shared absent)', () => {});

for (const c of cases) {
  test(`conformance ${c}`, (t) => {
    const dir = path.join(CASES, c);
    const text = fs.readFileSync(path.join(dir, 'ctx', 'Dockerfile'));
    const run = () => planBuild(text, { file: 'Dockerfile', ...caseEnv(dir) });
    const want = EXPECTED_FAILURES[c];
    if (want === undefined) {
      const p = run();
      t.true(p.stages.length > 0);
      t.deepEqual(p.unusedBuildArgs, []);
      return;
    }
    const e = t.throws(run);
    t.true(e instanceof DockerfileError);
    t.is((e as DockerfileError).code, want.code);
    t.is((e as DockerfileError).location?.start.line, want.line);
  });
}
