// WORKDIR's directory: BuildKit creates it (owned by the current USER) as a file step, so an image
// whose last WORKDIR no RUN or COPY touched still has the directory. When it already exists the
// commit is empty and no layer is added.
import { lchown } from 'node:fs/promises';
import { mkdirAllInRoot } from '@tsbuild/layerstore';
import type { StepInfo } from '../progress/index.js';
import { configInputs } from './config-inputs.js';
import { existsInRoot } from './in-root.js';
import { runFsStep, type FsStepEnv } from './fs-step.js';
import type { LazyMountSession } from './mount-session.js';
import type { StageState } from './state.js';

export interface WorkdirDeps extends FsStepEnv {
  mounts: LazyMountSession;
}

export async function dispatchWorkdir(deps: WorkdirDeps, state: StageState, step: StepInfo): Promise<void> {
  const cc = state.config.config;
  const dir = cc.WorkingDir ?? '/';
  if (dir === '/') return;
  const user = cc.User ?? '';
  await runFsStep(deps, state, {
    step,
    instruction: `WORKDIR ${dir}`,
    inputs: configInputs(cc),
    createdBy: `WORKDIR ${dir}`,
    execute: async (area, lowerDirs) => {
      await deps.mounts.withMerged(lowerDirs, area.upperDir, area.workDir, async (root) => {
        if (await existsInRoot(root, dir)) return;
        const created: string[] = [];
        await mkdirAllInRoot(root, dir, 0o755, created);
        if (user !== '' && deps.services.runner.resolveUser) {
          // BuildKit's mkdir (fsutil MkdirAll with the USER as chowner) owns every directory it had
          // to create: the parents too, not only the last one, and those it made where a symlink on
          // the way led (WORKDIR /app/x with /app -> /opt/app and no /opt makes /opt, /opt/app, x).
          const u = await deps.services.runner.resolveUser(root, user);
          for (const p of created) await lchown(p, u.uid, u.gid);
        }
      });
    },
  });
}
