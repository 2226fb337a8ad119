// DF-01 for expansion: any input gives a value or an ExpansionError, never another exception.
import test from 'ava';
import fc from 'fast-check';
import { expandWord, expandWords, ExpansionError } from '../../src/shell/index.js';

const shellish = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('$', '{', '}', ':', '-', '+', '?', '#', '%', '/', '*', '\\', '`', "'", '"', ' ', '\n', 'A', 'B', '0', '@') },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  ),
  maxLength: 80,
});

const env = fc.dictionary(fc.constantFrom('A', 'B', '0', '@', ''), shellish, { maxKeys: 4 });

function expandsOrFailsTyped(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (err) {
    if (err instanceof ExpansionError) return true;
    throw err;
  }
}

test('arbitrary words give a value or an ExpansionError', (t) => {
  fc.assert(fc.property(shellish, env, fc.constantFrom('\\' as const, '`' as const), (word, vars, escape) => {
    const lookup = (name: string): string | undefined => (Object.hasOwn(vars, name) ? vars[name] : undefined);
    return expandsOrFailsTyped(() => expandWord(word, lookup, { escape, maxDepth: 8, maxOutputBytes: 4096 })) &&
      expandsOrFailsTyped(() => expandWords(word, lookup, { escape }));
  }), { numRuns: 20_000 });
  t.pass();
});

test('expandWord and expandWords agree on success and on the error code', (t) => {
  fc.assert(fc.property(shellish, env, (word, vars) => {
    const lookup = (name: string): string | undefined => (Object.hasOwn(vars, name) ? vars[name] : undefined);
    const outcome = (run: () => unknown): string => {
      try {
        run();
        return 'ok';
      } catch (err) {
        return (err as ExpansionError).code;
      }
    };
    return outcome(() => expandWord(word, lookup)) === outcome(() => expandWords(word, lookup));
  }), { numRuns: 5_000 });
  t.pass();
});

test('text without $, quotes or escapes is unchanged and looks nothing up', (t) => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }).filter((s) => !/[$'"\\]/.test(s)), (word) => {
    const result = expandWord(word, () => 'x');
    return result.value === word && result.used.length === 0;
  }));
  t.pass();
});
