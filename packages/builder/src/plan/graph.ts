// The stage graph: cycle detection and the build order for a target. Iterative walks only, so a
// long chain of stages cannot overflow the stack (moby#48869).

import { DockerfileError } from '../errors.js';
import type { PlannedStage } from './types.js';

/** Throw DF_STAGE_CYCLE naming the stages when `--from`/`from=` references form a cycle. */
export function rejectCycles(stages: readonly PlannedStage[]): void {
  const state = new Uint8Array(stages.length); // 0 new, 1 on the stack, 2 done
  for (const root of stages) {
    if (state[root.index] !== 0) continue;
    const stack: { index: number; next: number }[] = [{ index: root.index, next: 0 }];
    state[root.index] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const deps = stages[top.index]!.dependencies;
      if (top.next >= deps.length) {
        state[top.index] = 2;
        stack.pop();
        continue;
      }
      const dep = deps[top.next++]!;
      if (state[dep.stage] === 1) {
        const cycle = [...stack.slice(stack.findIndex((f) => f.index === dep.stage)).map((f) => f.index), dep.stage];
        throw new DockerfileError('DF_STAGE_CYCLE', `circular dependency between stages: ${cycle.map((i) => nameOf(stages[i]!)).join(' -> ')}`, {
          location: dep.location,
          details: { stages: cycle },
        });
      }
      if (state[dep.stage] === 0) {
        state[dep.stage] = 1;
        stack.push({ index: dep.stage, next: 0 });
      }
    }
  }
}

function nameOf(s: PlannedStage): string {
  return s.name ?? String(s.index);
}

/** The target and everything it needs, dependencies first (post-order, lower indexes first). */
export function buildOrder(stages: readonly PlannedStage[], target: number): PlannedStage[] {
  const done = new Uint8Array(stages.length);
  const order: PlannedStage[] = [];
  const stack: { index: number; next: number }[] = [{ index: target, next: 0 }];
  done[target] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const deps = stages[top.index]!.dependsOn;
    if (top.next >= deps.length) {
      order.push(stages[top.index]!);
      stack.pop();
      continue;
    }
    const d = deps[top.next++]!;
    if (done[d] === 0) {
      done[d] = 1;
      stack.push({ index: d, next: 0 });
    }
  }
  return order;
}
