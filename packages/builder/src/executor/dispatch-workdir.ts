// WORKDIR's directory: BuildKit creates it (owned by the current USER) as a file step, so an image
// whose last WORKDIR no RUN or COPY touched still has the directory. When it already exists the
// commit is empty and no layer is added.
import { lchown } from 'node:fs/promises';
import { mkdirAllInRoot, resolveInRoot } from '@tsbuild/layerstore';
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
        const created = await missingPrefixes(root, dir);
        await mkdirAllInRoot(root, dir, 0o755);
        if (user !== '' && deps.services.runner.resolveUser) {
          // BuildKit's mkdir (fsutil MkdirAll with the USER as chowner) owns every directory it had
          // to create, the parents too, not only the last one.
          const u = await deps.services.runner.resolveUser(root, user);
          for (const p of created) await lchown(await resolveInRoot(root, p), u.uid, u.gid);
        }
      });
    },
  });
}

/** The prefixes of `dir` (`/a`, `/a/b`, ...) that do not exist yet in `root`, shortest first. */
async function missingPrefixes(root: string, dir: string): Promise<string[]> {
  const parts = dir.split('/').filter((c) => c !== '');
  const out: string[] = [];
  for (let i = 1; i <= parts.length; i++) {
    const p = '/' + parts.slice(0, i).join('/');
    // Below a missing directory nothing exists, so one check past the first miss is enough.
    if (out.length > 0 || !(await existsInRoot(root, p))) out.push(p);
  }
  return out;
}
