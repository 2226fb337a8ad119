// Split the instruction list into global ARGs and stages, and resolve what each stage builds on
// and reads from. BuildKit's rules: a FROM names a stage only if that stage comes EARLIER (else it
// is an image, so FROM can never form a cycle); `COPY --from` and `RUN --mount from=` name a stage
// by name or index; naming the stage itself is a cycle (graph.ts), naming a later one is refused
// ("it needs to be defined before current stage"). ONBUILD triggers of a base STAGE run in the
// child, so their --from references are the child's dependencies too.

import { DockerfileError, type SourceRange } from '../errors.js';
import type { EscapeChar } from '../dockerfile/types.js';
import type { ArgInstruction, FromInstruction, Instruction } from '../instructions/types.js';
import { expandWithMeta, locate } from './args.js';
import { parsePlatform } from './platform.js';
import type { PlannedStage, StageBase } from './types.js';

export interface SplitDockerfile {
  globalArgs: ArgInstruction[];
  stages: { from: FromInstruction; instructions: Instruction[]; comments: string[] }[];
}

export function splitStages(instructions: readonly Instruction[], comments: readonly string[][], file: string, lineCount: number): SplitDockerfile {
  const out: SplitDockerfile = { globalArgs: [], stages: [] };
  const firstFrom = instructions.findIndex((i) => i.kind === 'FROM');
  if (instructions.length === 0) {
    throw new DockerfileError('DF_EMPTY', 'the Dockerfile has no instructions: a build needs at least one FROM', {
      location: { file, start: { line: 1, column: 1 }, end: { line: Math.max(1, lineCount), column: 1 } },
      hint: 'start the Dockerfile with FROM <image>',
    });
  }
  if (firstFrom < 0) {
    const culprit = instructions.find((i) => i.kind !== 'ARG') ?? instructions[instructions.length - 1]!;
    throw new DockerfileError('DF_NO_FROM', `no FROM instruction: ${culprit.kind} at line ${culprit.location.start.line} is outside any build stage`, {
      location: culprit.location,
      hint: 'a Dockerfile must start a build stage with FROM <image> (only ARG may come before it)',
    });
  }
  for (let i = 0; i < instructions.length; i++) {
    const ins = instructions[i]!;
    if (i < firstFrom) {
      if (ins.kind !== 'ARG') {
        throw new DockerfileError('DF_INSTRUCTION_BEFORE_FROM', `${ins.kind} cannot come before the first FROM (only ARG can)`, { location: ins.location });
      }
      out.globalArgs.push(ins);
    } else if (ins.kind === 'FROM') {
      out.stages.push({ from: ins, instructions: [], comments: [...(comments[i] ?? [])] });
    } else {
      out.stages[out.stages.length - 1]!.instructions.push(ins);
    }
  }
  return out;
}

export interface ResolveContext {
  meta: Readonly<Record<string, string | undefined>>;
  escape: EscapeChar;
}

/** Resolve bases, platforms, names and dependencies; stages come back in Dockerfile order. */
export function resolveStages(split: SplitDockerfile, rc: ResolveContext): PlannedStage[] {
  const byName = new Map<string, number>();
  const stages: PlannedStage[] = [];
  split.stages.forEach((s, index) => {
    const ref = locate(s.from, () => expandWithMeta(s.from.image, rc.meta, rc.escape).value).trim();
    if (ref === '') {
      throw new DockerfileError('DF_INVALID_BASE', `base name (${s.from.image}) should not be blank`, { location: s.from.location });
    }
    const earlier = byName.get(ref.toLowerCase());
    const base: StageBase = ref.toLowerCase() === 'scratch' ? { kind: 'scratch' }
      : earlier !== undefined ? { kind: 'stage', index: earlier } : { kind: 'image', ref };
    const stage: PlannedStage = {
      index, base, from: s.from, instructions: s.instructions, dependsOn: [], dependencies: [],
      imageRefs: [], comments: s.comments, location: s.from.location,
    };
    if (s.from.stageName !== undefined) {
      if (byName.has(s.from.stageName)) {
        throw new DockerfileError('DF_DUPLICATE_STAGE_NAME', `duplicate stage name "${s.from.stageName}": stage names must be unique`, { location: s.from.location });
      }
      stage.name = s.from.stageName;
      byName.set(s.from.stageName, index);
    }
    if (s.from.platform !== undefined) {
      const text = locate(s.from, () => expandWithMeta(s.from.platform!, rc.meta, rc.escape).value);
      const p = parsePlatform(text);
      if (p === undefined) {
        throw new DockerfileError('DF_INVALID_PLATFORM', `FROM --platform=${s.from.platform}: '${text}' is not os/arch[/variant]`, { location: s.from.location });
      }
      stage.platform = p;
    }
    stages.push(stage);
  });
  for (const stage of stages) addDependencies(stage, stages, byName);
  return stages;
}

/** `--from` / `from=` values of an instruction (the trigger's, for ONBUILD). */
function refsOf(ins: Instruction): string[] {
  if (ins.kind === 'COPY') return ins.from === undefined ? [] : [ins.from];
  if (ins.kind === 'RUN') return ins.mounts.flatMap((m) => (m.from === undefined ? [] : [m.from]));
  return [];
}

function addDependencies(stage: PlannedStage, stages: readonly PlannedStage[], byName: ReadonlyMap<string, number>): void {
  const add = (index: number, location: SourceRange): void => {
    stage.dependencies.push({ stage: index, location });
    if (!stage.dependsOn.includes(index)) stage.dependsOn.push(index);
  };
  if (stage.base.kind === 'stage') add(stage.base.index, stage.from.location);
  const inherited = stage.base.kind === 'stage' ? stages[stage.base.index]!.instructions : [];
  const triggers = inherited.flatMap((i) => (i.kind === 'ONBUILD' ? [{ ...i.trigger, location: stage.from.location } as Instruction] : []));
  for (const ins of [...triggers, ...stage.instructions]) {
    for (const ref of refsOf(ins)) {
      const target = resolveRef(ref, stages.length, byName, ins);
      if (target === undefined) {
        if (!stage.imageRefs.includes(ref)) stage.imageRefs.push(ref);
      } else {
        add(target, ins.location);
      }
    }
  }
  stage.dependsOn.sort((a, b) => a - b);
}

/** A stage can only read stages defined before it (BuildKit dispatches in file order). */
export function rejectForwardReferences(stages: readonly PlannedStage[]): void {
  for (const s of stages) {
    for (const d of s.dependencies) {
      if (d.stage > s.index) {
        const later = stages[d.stage]!;
        throw new DockerfileError('DF_STAGE_FORWARD_REFERENCE',
          `cannot copy from stage "${later.name ?? later.index}": it needs to be defined before the current stage "${s.name ?? s.index}"`,
          { location: d.location, hint: 'move the stage it reads from above this one' });
      }
    }
  }
}

/** A stage index for `--from` / `from=` values naming a stage; undefined for an image. */
function resolveRef(ref: string, count: number, byName: ReadonlyMap<string, number>, ins: Instruction): number | undefined {
  if (/^-?\d+$/.test(ref)) {
    const n = Number(ref);
    if (!Number.isSafeInteger(n) || n < 0 || n >= count) {
      throw new DockerfileError('DF_INVALID_STAGE_INDEX', `invalid stage index ${ref}: the Dockerfile has ${count} stage(s), numbered from 0`, { location: ins.location });
    }
    return n;
  }
  return byName.get(ref.toLowerCase());
}

