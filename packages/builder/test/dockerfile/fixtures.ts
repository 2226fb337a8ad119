// The parser fixture catalogue (test/fixtures/parser/<case>/): valid cases hold `expected.json`
// (the AST dump), invalid ones (named `bad-*`) hold `expected-error.json` (code + line range).
// Shared by the test and by regen.ts, so both read the catalogue the same way.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DockerfileError } from '../../src/errors.js';
import { dumpAst, parseDockerfileInstructions } from '../../src/frontend.js';

/** dist/test/dockerfile → packages/builder/test/fixtures/parser */
export const FIXTURE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/parser');

export interface ErrorGolden {
  code: string;
  lines: [number, number];
}

export type Outcome = { kind: 'ok'; dump: string } | { kind: 'error'; error: ErrorGolden };

export function listCases(): string[] {
  return fs.readdirSync(FIXTURE_DIR).filter((d) => fs.existsSync(path.join(FIXTURE_DIR, d, 'Dockerfile'))).sort();
}

/** Parse and type the case's Dockerfile; a DockerfileError becomes an error outcome. */
export function runCase(name: string): Outcome {
  const text = fs.readFileSync(path.join(FIXTURE_DIR, name, 'Dockerfile'));
  try {
    const { parsed } = parseDockerfileInstructions(text, { file: 'Dockerfile' });
    return { kind: 'ok', dump: dumpAst(parsed) };
  } catch (e) {
    if (!(e instanceof DockerfileError)) throw e;
    return { kind: 'error', error: { code: e.code, lines: [e.location?.start.line ?? 0, e.location?.end.line ?? 0] } };
  }
}

export function isNegative(name: string): boolean {
  return name.startsWith('bad-');
}
