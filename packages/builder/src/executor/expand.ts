// The one place the executor calls the front end's expansion: an instruction with the variables of
// its point (ENV of the image so far, then the ARGs declared in the stage). UndefinedVar findings are
// reported here, at dispatch, as BuildKit does (unless `# check=skip` names them; `error=true` fails).
import { DockerfileError } from '../errors.js';
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
  const { skip, error } = b.plan.directives.check;
  for (const w of info.warnings) {
    if (skip === 'all' || skip.includes(w.rule)) continue;
    if (error) {
      // `# check=error=true`: a finding fails the build, here at dispatch as the plan does for its own.
      throw new DockerfileError('DF_CHECK_FAILED', `build check failed and the check directive sets error=true: ${w.rule}: ${w.message}`, {
        location: w.location,
        details: { warnings: [w] },
      });
    }
    b.services.progress.emit({ type: 'warning', time: Date.now(), message: `${w.rule}: ${w.message}`, file: displayName(w.location.file), line: w.location.start.line });
  }
  return info.instruction;
}
