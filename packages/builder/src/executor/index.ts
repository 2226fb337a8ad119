// The build executor: runs a BuildPlan against a store and a runner (see build-run.ts for the walk,
// fs-step.ts for one step's life, cache.ts for keys).
export { executeBuild, type ExecuteBuildOptions, type ExecuteBuildResult } from './execute-build.js';
export { BuildRun, type BuildRunDeps } from './build-run.js';
export { StepCache, stepKey, explainMiss, type StepInputs, type StepRecordValue } from './cache.js';
export { writeOutput, type OutputSpec } from './export.js';
export type { RunnerApi } from './types.js';
