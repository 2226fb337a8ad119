// The one place the executor calls the front end's expansion: an instruction with the variables of
// its point (ENV of the image so far, then the ARGs declared in the stage).
import { expandInstruction } from '../instructions/expand.js';
import type { ExpandedInstruction, Instruction } from '../instructions/types.js';
import type { BuildRun } from './build-run.js';
import { lookupIn, type StageState } from './state.js';

export function expandAt(b: BuildRun, state: StageState, ins: Instruction): ExpandedInstruction {
  return expandInstruction(ins, lookupIn(state), {
    escape: b.plan.escape,
    file: b.plan.file,
    lines: b.dockerfileLines,
    isDeclared: (name) => state.args.has(name) || Object.hasOwn(b.plan.proxyEnv, name),
  });
}
