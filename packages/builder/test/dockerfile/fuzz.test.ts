// SECURITY.md DF-01: any input yields a plan or a DockerfileError, never another exception, and
// every instruction of a plan expands to a result or a DockerfileError. Seeds: the fixture
// catalogue, the conformance Dockerfiles when present, and the §1.5 regression seeds.
// FC_RUNS sets the number of runs per property (default keeps `npm test` at a few seconds).

import test from 'ava';
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { DockerfileError } from '../../src/errors.js';
import { dumpAst, expandInstruction, parseDockerfile, parseTrigger, planBuild } from '../../src/frontend.js';
import { FIXTURE_DIR, listCases } from './fixtures.js';
import { fileURLToPath as fileURLToPathForBase } from 'node:url';

const RUNS = Number(process.env['FC_RUNS'] ?? 300);
// The shared conformance cases beside this clone (CI has them; a plain clone may not).
const CONFORMANCE = fileURLToPathForBase(new URL('../../../../../../shared/conformance/cases', import.meta.url));

const REGRESSION_SEEDS = [
  'ARG VERSION=15-3.5\rFROM postgis/postgis:$VERSION',
  'FROM debian:11 AS stage-base\nFROM stage-base AS stage-final',
  'FROM alpine AS build\nenv foo=""\ncopy Dockerfile $foo',
  '# only a comment\n# and another',
  'FROM ${0:+0}',
  'FROM 0\nCOPY \\ ',
  '# check= \n',
  'FROM a\nCOPY --from=-1 a b',
  'FROM a\nCOPY --from=99 a b',
  'ARG A\nARG B=1',
  '',
  'FROM a AS x\nCOPY --from=x a b',
  'FROM a AS x\nCOPY --from=y a b\nFROM b AS y\nCOPY --from=x a b',
];

function seeds(): string[] {
  const out = [...REGRESSION_SEEDS];
  for (const c of listCases()) out.push(fs.readFileSync(path.join(FIXTURE_DIR, c, 'Dockerfile'), 'utf8'));
  if (fs.existsSync(CONFORMANCE)) {
    for (const c of fs.readdirSync(CONFORMANCE)) {
      const f = path.join(CONFORMANCE, c, 'ctx', 'Dockerfile');
      if (fs.existsSync(f)) out.push(fs.readFileSync(f, 'utf8'));
    }
  }
  return out;
}

const TOKENS = ['\\', '`', '\n', '\r\n', '\r', ' ', '\t', '#', '"', "'", '$', '${', '}', ':-', ':?', '[', ']', ',', '=',
  '<<EOF', '<<-EOF', '\nEOF\n', 'EOF', '--mount=', 'type=cache,target=/x', 'from=', '--from=', '--chmod=', '--chown=',
  'FROM ', 'AS ', 'RUN ', 'COPY ', 'ADD ', 'ENV ', 'ARG ', 'ONBUILD ', 'HEALTHCHECK ', 'CMD ', 'SHELL ', '--', '0',
  '-1', '99', '\u0000', '\ufeff', 'é', '{', '"a"', '# escape=`\n', '# check=error=true\n', 'scratch', 'x'];

type Mutation = { at: number; del: number; insert: string };

const mutation = fc.record({
  at: fc.nat(),
  del: fc.nat({ max: 8 }),
  insert: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 6 })),
});

function mutate(text: string, ms: Mutation[]): string {
  let s = text;
  for (const m of ms) {
    const at = s.length === 0 ? 0 : m.at % (s.length + 1);
    s = s.slice(0, at) + m.insert + s.slice(at + m.del);
  }
  return s;
}

const AT = { file: 'Dockerfile', start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };

/** Parse, dump, plan, then expand every planned instruction with a small environment. */
function exercise(input: string | Uint8Array): void {
  tolerate(() => dumpAst(parseDockerfile(input, { file: 'Dockerfile' })));
  if (typeof input === 'string') tolerate(() => parseTrigger(input.slice(0, 200), AT));
  tolerate(() => {
    const plan = planBuild(input, { file: 'Dockerfile', buildArgs: { A: 'x', TAG: '1' }, target: undefined });
    const env: Record<string, string> = { A: 'a b', B: '', PATH: '/bin' };
    for (const s of plan.stages) {
      for (const ins of s.instructions) expandInstruction(ins, (n) => env[n], { escape: plan.escape });
    }
  });
}

function tolerate(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof DockerfileError) return;
    throw e;
  }
}

test('mutated Dockerfiles only ever throw DockerfileError', (t) => {
  const all = seeds();
  fc.assert(fc.property(fc.constantFrom(...all), fc.array(mutation, { minLength: 1, maxLength: 6 }), (seed, ms) => {
    exercise(mutate(seed, ms));
  }), { numRuns: RUNS * 3 });
  t.pass();
});

test('random token soup only ever throws DockerfileError', (t) => {
  fc.assert(fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }), (parts) => {
    exercise(parts.join(''));
  }), { numRuns: RUNS });
  t.pass();
});

test('random bytes only ever throw DockerfileError', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
    exercise(bytes);
  }), { numRuns: RUNS });
  t.pass();
});

test('every seed plans or fails with a DockerfileError', (t) => {
  for (const s of seeds()) exercise(s);
  t.pass();
});
