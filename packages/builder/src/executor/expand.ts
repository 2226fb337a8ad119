// The one place the executor calls the front end's expansion: an instruction with the variables of
// its point (ENV of the image so far, then the ARGs declared in the stage). UndefinedVar findings are
// reported here, at dispatch, as BuildKit does (unless `# check=skip` names them).
import { expandInstructionWithInfo } from '../instructions/expand.js';
import type { ExpandedInstruction, Instruction } from '../instructions/types.js';
import type { BuildRun } from './build-run.js';
import { displayName } from './steps.js';
import { lookupIn, type StageState } from './state.js';

export function expandAt(b: BuildRun, state: StageState, ins: Instruction): ExpandedInstruction {
  const info = expandInstructionWithInfo(ins, lookupIn(state), {
    escape: b.plan.escape,
    file: b.plan.file,
    lines: b.dockerfileLines,
    isDeclared: (name) => state.args.has(name) || Object.hasOwn(b.plan.proxyEnv, name),
  });
  const skip = b.plan.directives.check.skip;
  for (const w of info.warnings) {
    if (skip === 'all' || skip.includes(w.rule)) continue;
    b.services.progress.emit({ type: 'warning', time: Date.now(), message: `${w.rule}: ${w.message}`, file: displayName(w.location.file), line: w.location.start.line });
  }
  return info.instruction;
}
