import { parseDockerfileInstructions } from '../../src/frontend.js';
import type { Instruction, InstructionKind, InstructionOf } from '../../src/instructions/types.js';

/** The typed instructions of a Dockerfile given as lines (a FROM is prepended when missing). */
export function instructionsOf(...lines: string[]): Instruction[] {
  const text = (lines[0]?.toUpperCase().startsWith('FROM') ? lines : ['FROM a', ...lines]).join('\n') + '\n';
  return parseDockerfileInstructions(text, { file: 'Dockerfile' }).instructions;
}

/** The last instruction, which must be of `kind`. */
export function lastOf<K extends InstructionKind>(kind: K, ...lines: string[]): InstructionOf<K> {
  const all = instructionsOf(...lines);
  const last = all[all.length - 1]!;
  if (last.kind !== kind) throw new Error(`expected ${kind}, got ${last.kind}`);
  return last as InstructionOf<K>;
}
