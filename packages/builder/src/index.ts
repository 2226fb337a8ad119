// @tsbuild/builder: the whole public surface. The CLI (src/cli) is a thin shell over `build`.
export { build, type BuildOptions, type BuildIO, type BuildResult, type OutputSpec, type PushedImage } from './build.js';
export {
  parseDockerfile,
  parseDockerfileInstructions,
  planBuild,
  dumpAst,
  parseTrigger,
  expandInstruction,
  expandInstructionWithInfo,
  LIMITS,
  type PlanOptions,
} from './frontend.js';
export type { Instruction, ExpandedInstruction } from './instructions/types.js';
export type { BuildPlan, PlannedStage, StageBase, Platform } from './plan/types.js';
export type { ParseResult, AstNode, Warning, Directives } from './dockerfile/types.js';
export { expandWord, expandWords, ExpansionError, type Lookup, type ExpandOptions } from './shell/index.js';
export { openContext } from './context/index.js';
export * from './errors.js';
export { main } from './cli/main.js';
