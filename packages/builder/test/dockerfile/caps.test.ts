// SECURITY.md DF-02/DF-03: oversized and amplifying inputs end fast, with a typed error or a result.
// Time bounds are the SECURITY.md ones (2 s for expansion, 5 s for size), loose enough for a loaded CI
// machine; typical times are 10-100x lower (docs/front-end.md).

import test from 'ava';
import { DockerfileError } from '../../src/errors.js';
import { expandInstruction, LIMITS, parseDockerfile, planBuild } from '../../src/frontend.js';
import type { Instruction } from '../../src/instructions/types.js';
import { errorOf } from './helpers.js';

const plan = (text: string | Uint8Array) => planBuild(text, { file: 'Dockerfile', buildArgs: {} });

/** Run fn, assert it took less than `ms`, return its error code ('' when it succeeded). */
function timed(t: import('ava').ExecutionContext, ms: number, fn: () => unknown): string {
  const t0 = performance.now();
  let code = '';
  try {
    fn();
  } catch (e) {
    t.true(e instanceof DockerfileError, String(e));
    code = (e as DockerfileError).code;
  }
  const took = performance.now() - t0;
  t.true(took < ms, `took ${Math.round(took)} ms`);
  return code;
}

test('a 64 MiB Dockerfile is rejected at once', (t) => {
  const big = new Uint8Array(64 * 1024 * 1024).fill(0x41);
  t.is(timed(t, 2000, () => plan(big)), 'DF_TOO_LARGE');
});

test('one byte over the file cap is rejected; at the cap it is read', (t) => {
  const over = new Uint8Array(LIMITS.maxFileBytes + 1).fill(0x23); // all '#': a comment
  t.is(timed(t, 2000, () => parseDockerfile(over, { file: 'D' })), 'DF_TOO_LARGE');
  const at = new Uint8Array(LIMITS.maxFileBytes).fill(0x23);
  t.is(timed(t, 5000, () => parseDockerfile(at, { file: 'D' })), '');
});

test('a single 16 MiB line is rejected by the line cap', (t) => {
  const text = 'FROM a\nRUN ' + 'x'.repeat(LIMITS.maxFileBytes - 20) + '\n';
  t.is(timed(t, 5000, () => plan(text)), 'DF_LINE_TOO_LONG');
});

test('10^5 continuation lines parse quickly', (t) => {
  const text = 'FROM a\nRUN true \\\n' + ' && b \\\n'.repeat(100_000) + ' && c\n';
  t.is(timed(t, 5000, () => plan(text)), '');
});

test('10^5 comment lines inside one continuation parse quickly', (t) => {
  const text = 'FROM a\nRUN true \\\n' + '# c\n'.repeat(100_000) + ' && c\n';
  t.is(timed(t, 5000, () => plan(text)), '');
});

test('a million LABEL instructions hit the instruction cap', (t) => {
  const text = 'FROM a\n' + 'LABEL k=v\n'.repeat(1_000_000);
  t.is(timed(t, 5000, () => plan(text)), 'DF_TOO_MANY_INSTRUCTIONS');
});

test('many LABEL keys on one line hit the pair cap', (t) => {
  const text = 'FROM a\nLABEL ' + 'k=v '.repeat(200_000) + '\n';
  t.is(timed(t, 5000, () => plan(text)), 'DF_TOO_MANY_PAIRS');
});

test('deeply nested JSON is not decoded', (t) => {
  const text = 'FROM a\nCMD ' + '['.repeat(1_000_000) + '\n';
  t.is(timed(t, 5000, () => plan(text)), '');
});

test('a directive followed by a megabyte of blanks is linear', (t) => {
  const text = '# escape=' + ' '.repeat(1_000_000) + 'x\nFROM a\n';
  t.is(timed(t, 2000, () => plan(text)), 'DF_DIRECTIVE_INVALID');
});

test('too many heredocs', (t) => {
  const text = 'FROM a\n' + 'RUN <<E\nE\n'.repeat(LIMITS.maxHeredocs + 1);
  t.is(timed(t, 5000, () => plan(text)), 'DF_TOO_MANY_HEREDOCS');
});

test('ENV A=$A$A ×40 stops at the expansion cap (dispatch)', (t) => {
  const text = 'FROM a\nENV A=x\n' + 'ENV A=$A$A\n'.repeat(40);
  const p = plan(text);
  const env = new Map<string, string>();
  const code = timed(t, 2000, () => {
    for (const ins of p.stages[0]!.instructions as Instruction[]) {
      const e = expandInstruction(ins, (n) => env.get(n), { escape: '\\' });
      if (e.kind === 'ENV') for (const { key, value } of e.env) env.set(key, value);
    }
  });
  t.is(code, 'EXPAND_TOO_LARGE');
});

test('global ARG doubling stops at the expansion cap (plan), with the ARG line', (t) => {
  const text = 'ARG A=x\n' + 'ARG A=$A$A\n'.repeat(40) + 'FROM a\n';
  const e = errorOf(t, () => plan(text));
  t.is(e.code, 'EXPAND_TOO_LARGE');
  t.true(e.start[0] > 1 && e.start[0] <= 41);
});

test('${a:-${a:-...}} nested 10^5 deep is refused as too deep', (t) => {
  const depth = 100_000;
  const word = '${a:-'.repeat(depth) + 'x' + '}'.repeat(depth);
  t.is(timed(t, 2000, () => plan(`FROM ${word}\n`)), 'EXPAND_TOO_DEEP');
});
