// Parse result + typed instructions → BuildPlan: global ARGs, stages with resolved bases and
// dependencies, the target and the stages it needs in build order, and the static build checks.

import { DockerfileError } from '../errors.js';
import { parseCheck } from '../dockerfile/directives.js';
import type { CheckConfig, ParseResult } from '../dockerfile/types.js';
import { checkDockerfile } from '../instructions/checks.js';
import type { Instruction } from '../instructions/types.js';
import { filterWarnings } from '../instructions/warnings.js';
import { proxyEnvOf, resolveGlobalArgs, unusedBuildArgs } from './args.js';
import { checkFromLines } from './from-checks.js';
import { buildOrder, rejectCycles } from './graph.js';
import { DEFAULT_PLATFORM, PLATFORM_ARG_NAMES, platformArgs } from './platform.js';
import { rejectForwardReferences, resolveStages, splitStages } from './stages.js';
import type { BuildPlan, Platform } from './types.js';

export interface PlanInput {
  buildArgs: Record<string, string>;
  target?: string;
  platform?: Platform;
  buildPlatform?: Platform;
}

export function makePlan(parsed: ParseResult, instructions: readonly Instruction[], input: PlanInput): BuildPlan {
  const { file, directives } = parsed;
  const escape = directives.escape;
  const comments = parsed.nodes.map((n) => n.comments);
  const split = splitStages(instructions, comments, file, parsed.lines.length);
  const targetPlatform = input.platform ?? DEFAULT_PLATFORM;
  const buildPlatform = input.buildPlatform ?? targetPlatform;
  const auto = platformArgs(targetPlatform, buildPlatform);
  const { globals, meta } = resolveGlobalArgs(split.globalArgs, input.buildArgs, auto, escape);
  const stages = resolveStages(split, { meta, escape });
  rejectCycles(stages);
  rejectForwardReferences(stages);

  const target = findTarget(stages.map((s) => s.name), input.target);
  const order = buildOrder(stages, target);

  const declared = new Set<string>(globals.map((g) => g.name));
  for (const s of order) {
    for (const ins of s.instructions) if (ins.kind === 'ARG') for (const a of ins.args) declared.add(a.name);
  }

  const check = checkConfigOf(directives.check, input.buildArgs);
  const globalNames = new Set([...PLATFORM_ARG_NAMES, ...globals.map((g) => g.name)]);
  const defaults = resolveGlobalArgs(split.globalArgs, {}, auto, escape, false).meta;
  const warnings = filterWarnings(check, [
    ...parsed.warnings,
    ...checkDockerfile(split.globalArgs, split.stages),
    ...checkFromLines(split.stages.map((s) => s.from), globalNames, defaults, escape),
  ]);
  if (check.error && warnings.length > 0) {
    throw new DockerfileError('DF_CHECK_FAILED', `${warnings.length} build check(s) failed and the check directive sets error=true: ${warnings[0]!.rule}: ${warnings[0]!.message}`, {
      location: warnings[0]!.location,
      details: { warnings },
    });
  }

  return {
    file,
    directives: { ...directives, check },
    escape,
    stages: order,
    target,
    stageCount: stages.length,
    stageNames: stages.flatMap((s) => (s.name === undefined ? [] : [s.name])),
    globalArgs: globals,
    metaArgs: meta,
    buildArgs: { ...input.buildArgs },
    proxyEnv: proxyEnvOf(input.buildArgs),
    unusedBuildArgs: unusedBuildArgs(input.buildArgs, declared),
    buildPlatform,
    targetPlatform,
    warnings,
  };
}

/** BuildKit lets BUILDKIT_DOCKERFILE_CHECK (a build arg) replace the `# check=` directive. */
function checkConfigOf(fromDirective: CheckConfig, buildArgs: Readonly<Record<string, string>>): CheckConfig {
  const override = buildArgs['BUILDKIT_DOCKERFILE_CHECK'];
  if (override === undefined) return fromDirective;
  return parseCheck(override, { file: '--build-arg BUILDKIT_DOCKERFILE_CHECK', start: { line: 1, column: 1 }, end: { line: 1, column: 1 } });
}

function findTarget(names: readonly (string | undefined)[], target: string | undefined): number {
  if (target === undefined || target === '') return names.length - 1;
  const i = names.indexOf(target.toLowerCase());
  if (i >= 0) return i;
  const known = names.filter((n): n is string => n !== undefined);
  throw new DockerfileError('DF_UNKNOWN_TARGET', `target stage "${target}" could not be found`, {
    hint: known.length === 0 ? 'the Dockerfile has no named stages (FROM <image> AS <name>)' : `stages: ${known.join(', ')}`,
    details: { target, stages: known },
  });
}
