// Step numbering in BuildKit's manner: `#N` ids in Dockerfile order, and `[stage k/n]` labels
// where only the steps that can change files count (FROM, RUN, COPY, ADD, WORKDIR); metadata
// instructions are folded into the config and not shown as steps.
import path from 'node:path';
import type { Instruction } from '../instructions/types.js';
import type { BuildPlan, PlannedStage } from '../plan/types.js';
import type { StepInfo } from '../progress/index.js';

const FILE_STEPS = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);

export function isFileStep(ins: Instruction): boolean {
  return FILE_STEPS.has(ins.kind);
}

export class StepNumbers {
  private readonly byStage = new Map<number, StepInfo[]>();
  private next = 1;

  constructor(plan: BuildPlan, file: string) {
    const multi = plan.stageCount > 1;
    for (const st of plan.stages) {
      const steps: StepInfo[] = [];
      const counted = [st.from, ...st.instructions.filter(isFileStep)];
      const prefix = st.name ?? (multi ? `stage-${st.index}` : '');
      counted.forEach((ins, k) => {
        steps.push({
          id: this.next++,
          label: `${prefix ? `${prefix} ` : ''}${k + 1}/${counted.length}`,
          text: ins.original,
          file,
          line: ins.location.start.line,
        });
      });
      this.byStage.set(st.index, steps);
    }
  }

  /** The FROM step (k = 0) or the k-th file step of a stage. */
  of(stage: PlannedStage, k: number): StepInfo {
    const s = this.byStage.get(stage.index)?.[k];
    if (!s) throw new Error(`no step ${k} in stage ${stage.index}`);
    return s;
  }

  /** A step that was not in the Dockerfile's text (an ONBUILD trigger of a base image). */
  extra(label: string, text: string): StepInfo {
    return { id: this.next++, label, text };
  }
}

/** "Dockerfile" or "sub/Dockerfile.dev" rather than an absolute path, in step titles. */
export function displayName(file: string): string {
  if (!path.isAbsolute(file)) return file;
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') ? rel : file;
}
