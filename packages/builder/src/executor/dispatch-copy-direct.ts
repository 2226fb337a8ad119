// COPY/ADD straight into the step's upper dir, without mounting the overlay, when its destination is
// new (in no lower layer) or an empty directory, and every existing directory on the way is a plain one
// (no symlink, no whiteout). Nothing at or below the destination can then meet the lower layers, so
// writing the upper dir gives the layer the merged view would give, without overlayfs' cost on every
// create (docs/copy.md, "The direct path"). The directories that exist in the lowers are first created
// in the upper dir as overlayfs' copy-up makes them (owner, mode, xattrs, times: the layer store's
// copyUpDirs).
//
// Otherwise (the destination exists, a symlink or a file on the way...) the caller uses the merged
// view, as it also does when the copy meets a symlink it made itself (NeedsMergedView): the upper dir is
// emptied and the copy starts over. TSBUILD_COPY_VIA_MERGED=1 in the build's environment forces the
// merged view (tests compare both).
import { readdir, rm } from 'node:fs/promises';
import { copyUpDirs, lookupNewPath, type LowerDir, type WorkArea } from '@tsbuild/layerstore';
import { copyInto, destOf, type CopyEnv, type CopyParams, type CopyResult, type UserLookup } from '../copy/index.js';
import { NeedsMergedView } from '../copy/dest.js';
import type { LazyMountSession } from './mount-session.js';

export const FORCE_MERGED_ENV = 'TSBUILD_COPY_VIA_MERGED';

/** The lower dirs' directories of the destination to copy up, when the copy can write the upper dir directly. */
export function directCopyParents(params: CopyParams, lowerDirs: readonly string[], env: Record<string, string | undefined>): LowerDir[] | undefined {
  if (env[FORCE_MERGED_ENV] === '1') return undefined;
  const found = lookupNewPath(lowerDirs, destOf(params.dest, params.workdir).path);
  return found.clear ? found.existing : undefined;
}

export interface DirectCopy {
  params: CopyParams;
  /** The copy's environment, but `destRoot` (the upper dir). */
  env: Omit<CopyEnv, 'destRoot' | 'destIsUpper'>;
  area: WorkArea;
  lowerDirs: string[];
  parents: LowerDir[];
  mounts: LazyMountSession;
}

/** Runs the copy in the upper dir; undefined when it had to give up (the upper dir is empty again). */
export async function copyDirect(d: DirectCopy): Promise<CopyResult | undefined> {
  const { area, lowerDirs } = d;
  // --chown names are looked up in the image's /etc/passwd and /etc/group: through a merged view
  // mounted for that alone (nothing is written through it).
  const lookupUser: UserLookup = (_root, user) =>
    d.mounts.withMerged(lowerDirs, area.upperDir, area.workDir, (root) => d.env.lookupUser(root, user));
  copyUpDirs(area.upperDir, d.parents);
  try {
    return await copyInto(d.params, { ...d.env, lookupUser, destRoot: area.upperDir, destIsUpper: true });
  } catch (e) {
    if (!(e instanceof NeedsMergedView)) throw e;
    for (const name of await readdir(area.upperDir)) await rm(`${area.upperDir}/${name}`, { recursive: true, force: true });
    return undefined;
  }
}
