// COPY/ADD for the executor: the whole public surface of src/copy/. See docs/copy.md for semantics.
//
// Typical use by the executor for one COPY/ADD step:
//
//   const params = copyParamsOf(expanded, workdir);            // from instructions' ExpandedCopy/Add
//   const source = matchedContext(buildContext, params);       // or rootfsSourceRoot(mergedView, label)
//   const inputs = copyCacheInputs(params, buildContext.sourceSet(source.match.entries)); // the key's inputs
//   ... on a miss, with the step's overlay merged view mounted at `merged`:
//   await copyInto(params, { destRoot: merged, source, lookupUser: runner.resolveUser,
//                            extractTar: (s, d, o) => store.layers.extractTar(s, d, o), sourceDateEpoch });
//
// What it is not: it does not match sources or exclusion patterns itself (context/ does, for the build
// context and for --from roots alike), it does not digest files (the context's stat cache does), and it
// never fetches URLs or git repos.
import type { ExpandedAdd, ExpandedCopy } from '../instructions/types.js';
import type { BuildContext } from '../context/index.js';
import type { CopyParams, MatchedContext, SourceRoot } from './types.js';

export { copyInto, destOf, checkRemote } from './run.js';
import { checkRemote } from './run.js';
export { copyCacheInputs, fileInputs, type CopyInputs, type InputGroup } from './cache-inputs.js';
export { parseChmod, modeRuleOf, type ModeRule } from './chmod.js';
export { resolveChown, parseChownSpec, chownText, MAX_ID, type Owner, type UserLookup, type LookedUpUser } from './chown.js';
// Exclusion rules live in context/ (one implementation for .dockerignore and --exclude); the old copy/
// names stay for existing callers.
export {
  parseExcludePatterns as compileExclusions, NO_IGNORE_RULES as NO_EXCLUSIONS, type ExclusionRules, type ExclusionHit,
} from '../context/index.js';
export { isArchive } from './archive.js';
export { ensureDirInRoot } from './dest.js';
export type { CopyStats } from './tree.js';
export type { CopyEnv, CopyParams, CopyResult, CopySource, ExtractTar, MatchedContext, SourceRoot } from './types.js';

/** The copy parameters of an expanded COPY or ADD instruction at a step whose WORKDIR is `workdir`. */
export function copyParamsOf(ins: ExpandedCopy | ExpandedAdd, workdir: string): CopyParams {
  const base: CopyParams = {
    kind: ins.kind,
    sources: ins.sources,
    sourceContents: ins.sourceContents.map((c) => ({ path: c.path, data: c.data })),
    dest: ins.dest,
    workdir,
    ...(ins.chown ? { chown: ins.chown } : {}),
    ...(ins.chmod ? { chmod: ins.chmod } : {}),
    excludes: ins.excludes,
    link: ins.link,
  };
  if (ins.kind === 'COPY') return { ...base, parents: ins.parents };
  return {
    ...base,
    keepGitDir: ins.keepGitDir,
    ...(ins.unpack !== undefined ? { unpack: ins.unpack } : {}),
    ...(ins.checksum !== undefined ? { checksum: ins.checksum } : {}),
  };
}

/**
 * The build context as a COPY/ADD source: match once with the context module (it applies .dockerignore
 * and --exclude), digest the same entries for the cache key, hand the match to copyInto.
 */
export function matchedContext(context: Pick<BuildContext, 'dir' | 'match'>, params: CopyParams): MatchedContext {
  checkRemote(params); // "https://x" must not be looked up as a context path
  return { kind: 'context', dir: context.dir, match: context.match(params.sources, params.excludes ? { excludes: params.excludes } : {}) };
}

/**
 * A stage's or image's filesystem as a COPY --from source (a merged view or a snapshot dir). Owners
 * are kept from the source unless --chown; symlinks are followed inside `dir` only.
 */
export function rootfsSourceRoot(dir: string, label: string): SourceRoot {
  return { dir, kind: 'rootfs', label };
}
