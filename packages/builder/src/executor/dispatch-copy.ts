// COPY and ADD: the copy module writes into the step's upper dir directly when the destination is new
// in the image or an empty directory (dispatch-copy-direct.ts), else into a merged overlay view of the
// stage (in the build's private mount namespace), so the image's own symlinks are resolved in-root;
// the upper dir is the step's layer. Sources from the context are keyed by content digest and mode
// (the context's stat cache), sources from another stage or image by that stage's chain key.
import type { MatchOptions, MatchResult, SourceSet } from '../context/index.js';
import { copyCacheInputs, copyInto, copyParamsOf, rootfsSourceRoot, type CopySource, type ExtractTar, type UserLookup } from '../copy/index.js';
import type { ExpandedAdd, ExpandedCopy } from '../instructions/types.js';
import type { StepInfo } from '../progress/index.js';
import { configInputs } from './config-inputs.js';
import { copyCreatedBy } from './created-by.js';
import { copyDirect, directCopyParents } from './dispatch-copy-direct.js';
import { beforeLookup, runFsStep, type FsStepEnv } from './fs-step.js';
import type { StepInputs } from './cache.js';
import type { LazyMountSession } from './mount-session.js';
import type { SourceResolver } from './sources.js';
import type { StageState } from './state.js';

/** The build context as COPY needs it (the context module's BuildContext). */
export interface CopyContext {
  dir: string;
  /**
   * What the sources bring, .dockerignore and --exclude applied. Throws COPY_SOURCE_NOT_FOUND (or
   * COPY_EXCLUDED naming the .dockerignore line) for a plain source that names nothing.
   */
  match(sources: readonly string[], opts?: MatchOptions): MatchResult;
  /** The entries as one digest (the key), with content digests and modes per entry on demand (a miss). */
  sourceSet(entries: MatchResult['entries']): SourceSet;
}

export interface CopyDeps extends FsStepEnv {
  mounts: LazyMountSession;
  sources: SourceResolver;
  context: CopyContext;
  lookupUser: UserLookup;
  extractTar?: ExtractTar;
}

export async function dispatchCopy(deps: CopyDeps, state: StageState, ins: ExpandedCopy | ExpandedAdd, step: StepInfo): Promise<void> {
  const cc = state.config.config;
  const params = copyParamsOf(ins, cc.WorkingDir || '/');
  const from = ins.kind === 'COPY' ? ins.from : undefined;
  const inputs: StepInputs = { ...configInputs(cc) };
  // The context is matched once: the same entries give the key and, on a miss, what is copied.
  let matched: MatchResult | undefined;
  await beforeLookup(deps, step, async () => {
    if (from !== undefined) {
      Object.assign(inputs, copyCacheInputs(params), { 'copy:from': await deps.sources.keyOf(from) });
    } else {
      const excludes = params.excludes ?? [];
      matched = deps.context.match(params.sources, excludes.length > 0 ? { excludes } : {});
      Object.assign(inputs, copyCacheInputs(params, deps.context.sourceSet(matched.entries)));
    }
  });
  const flags = [
    ...(from !== undefined ? [`--from=${from}`] : []),
    ...ins.rawFlags.filter((f) => /^--(chown|chmod|link|parents|exclude)\b/.test(f)),
  ];
  const sources = [...ins.sources, ...ins.sourceContents.map((c) => `<<${c.path}`)];
  await runFsStep(deps, state, {
    step,
    instruction: ins.original,
    inputs,
    createdBy: copyCreatedBy(ins.kind, flags, sources, ins.dest),
    execute: async (area, lowerDirs) => {
      const source: CopySource =
        from !== undefined
          ? rootfsSourceRoot(await deps.sources.rootOf(from), labelOf(deps.sources, from))
          : { kind: 'context', dir: deps.context.dir, match: matched as MatchResult };
      const env = {
        source,
        lookupUser: deps.lookupUser,
        ...(deps.extractTar ? { extractTar: deps.extractTar } : {}),
        ...(deps.settings.sourceDateEpoch !== undefined ? { sourceDateEpoch: deps.settings.sourceDateEpoch } : {}),
      };
      // A new destination is written in the upper dir directly (dispatch-copy-direct.ts); anything
      // else, or a direct copy that had to give up, goes through the merged view.
      const parents = directCopyParents(params, lowerDirs, deps.settings.env);
      const result =
        (parents !== undefined ? await copyDirect({ params, env, area, lowerDirs, parents, mounts: deps.mounts }) : undefined) ??
        (await deps.mounts.withMerged(lowerDirs, area.upperDir, area.workDir, (root) => copyInto(params, { ...env, destRoot: root })));
      // Skipped special files and the like: worth a line, not a failure.
      for (const message of [...(matched?.warnings ?? []), ...result.warnings]) {
        deps.services.progress.emit({ type: 'step-note', time: Date.now(), step, message: `warning: ${message}` });
      }
    },
  });
}

function labelOf(sources: SourceResolver, from: string): string {
  const src = sources.classify(from);
  return src.kind === 'stage' ? `stage ${from}` : `image ${src.ref}`;
}
