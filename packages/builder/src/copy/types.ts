// The COPY/ADD contract between the executor and the copy module.
import type { Readable } from 'node:stream';
import type { MatchResult } from '../context/index.js';
import type { ChmodSpec, ChownSpec } from '../instructions/types.js';
import type { UserLookup } from './chown.js';
import type { CopyStats } from './tree.js';

/** A COPY or ADD after expansion (values from ExpandedCopy / ExpandedAdd; see `copyParamsOf`). */
export interface CopyParams {
  kind: 'COPY' | 'ADD';
  /** Source paths or wildcards as expanded, heredocs excluded. Rooted at the source root. */
  sources: readonly string[];
  /** Heredoc sources: a file named `path` (its base name is used inside a directory dest) holding `data`. */
  sourceContents?: readonly { path: string; data: string }[];
  /** Destination as expanded; relative paths are relative to `workdir`; a trailing `/` means "a directory". */
  dest: string;
  /** The stage's WORKDIR at this step ('/' when unset). */
  workdir: string;
  chown?: ChownSpec;
  chmod?: ChmodSpec;
  /** --parents: keep each source's path (below a `/./` pivot, else below the root) under dest. */
  parents?: boolean;
  /** --exclude patterns (.dockerignore syntax), matched against source paths. */
  excludes?: readonly string[];
  /** --link: the same files as a plain copy (tsbuild's layers are always independent diffs). */
  link?: boolean;
  /** ADD --unpack: undefined = auto (local archives unpacked); false copies archives as files. */
  unpack?: boolean;
  /** ADD --checksum: only meaningful for remote sources, which tsbuild refuses. */
  checksum?: string;
  /** ADD --keep-git-dir: only meaningful for git sources, which tsbuild refuses. */
  keepGitDir?: boolean;
}

/**
 * The build context as a COPY/ADD source, already matched by the context module (which applies
 * .dockerignore and --exclude, follows source symlinks inside the context, and lists what each match
 * brings, parents first). The same MatchResult gives the cache inputs (`BuildContext.entryDigests`).
 */
export interface MatchedContext {
  kind: 'context';
  /** The context directory (BuildContext.dir). */
  dir: string;
  /** `context.match(params.sources, { excludes: params.excludes })`. */
  match: MatchResult;
}

/**
 * A stage's or image's filesystem that COPY --from reads. Its sources are matched with the context's
 * rules (context/ matchInRootfs), without .dockerignore.
 */
export interface SourceRoot {
  kind: 'rootfs';
  /** Host directory: a snapshot dir or merged view of the stage/image. */
  dir: string;
  /** For messages: "stage builder", "image alpine:3.20". */
  label: string;
}

/** Where a COPY/ADD reads: the matched context, or a stage's/image's rootfs (`--from`). */
export type CopySource = MatchedContext | SourceRoot;

/** Extracts an untrusted, possibly compressed tar into a directory: the layer store's `layers.extractTar`. */
export type ExtractTar = (source: Readable, targetDir: string, opts?: { chown?: { uid: number; gid: number } }) => Promise<void>;

/** Where and how one COPY/ADD writes. */
export interface CopyEnv {
  /**
   * Host path of the rootfs being written: the step's overlay merged view (or a plain dir in tests).
   * Must be quiescent (no process of a RUN step alive in it) while the copy runs.
   */
  destRoot: string;
  /** Where sources are read: the matched build context, or a stage's/image's rootfs (`--from`). */
  source: CopySource;
  /** The runner's `resolveUser`: --chown names are looked up in `destRoot`'s /etc/passwd, /etc/group. */
  lookupUser: UserLookup;
  /** The layer store's `layers.extractTar`, for ADD of a local archive. */
  extractTar?: ExtractTar;
  /** SOURCE_DATE_EPOCH (seconds): copied entries get this mtime instead of their source's. */
  sourceDateEpoch?: number;
  /**
   * `destRoot` is an overlay upper dir written directly, not a rootfs view (the executor's direct
   * path, executor/dispatch-copy-direct.ts): the caller checked that the destination is in no lower layer and
   * copied its existing parents up. Destination paths then never follow a symlink; meeting one throws
   * NeedsMergedView (the caller empties the upper dir and copies through the merged view). `lookupUser`
   * is still called with `destRoot`: the caller's lookup must read the merged view's /etc itself.
   */
  destIsUpper?: boolean;
}

export interface CopyResult {
  stats: CopyStats;
  /** Archives ADD extracted (rooted dest paths). */
  extracted: string[];
  /** Things a user may want to know (skipped special files...). */
  warnings: string[];
}
