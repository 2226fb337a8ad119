// The build context: one directory, its Dockerfile, its ignore rules, and the two questions the
// executor asks of it — "which entries does this COPY source bring" and "what is their digest".
import fs from 'node:fs';
import path from 'node:path';
import { CONTEXT_CODES, usageError } from './codes.js';
import { digestEntries, entryDigests, sourceSet, type DigestEnv } from './digest.js';
import { nodeFs, type ContextFs } from './fs-port.js';
import { FileHasher } from './hash.js';
import type { IgnoreRules } from './ignore-rules.js';
import { matchSources } from './match.js';
import { DEFAULT_MAX_DOCKERFILE_BYTES, readDockerfile, readIgnoreRules, type DockerfileSource } from './read-files.js';
import type { SourceSet } from './source-set.js';
import { StatCache } from './stat-cache.js';
import type { ContextEntry, EntryDigest, MatchOptions, MatchResult } from './types.js';

export const DEFAULT_MAX_FILE_BYTES = 32 * 1024 ** 3;
export const DEFAULT_RACY_WINDOW_MS = 2000;

export interface OpenContextOptions {
  /** `-f`: relative to `cwd` or absolute. Default: `Dockerfile` (else `dockerfile`) in the context. */
  dockerfile?: string;
  /**
   * Dockerfile text the caller already has (`-f -`); `dockerfile` then only names it for the
   * `<Dockerfile>.dockerignore` lookup.
   */
  dockerfileText?: string;
  /** Where the stat cache lives (the store's state dir). Without it the cache lasts as long as this object. */
  stateDir?: string;
  /** Base for a relative `dockerfile`; default process.cwd(). */
  cwd?: string;
  /** Default 16 MiB. */
  maxDockerfileBytes?: number;
  /** Cap on one context file that gets hashed; default 32 GiB (~25 s of hashing). */
  maxFileBytes?: number;
  /** Files changed this recently are hashed but not cached (see stat-cache.ts); default 2000 ms. */
  racyWindowMs?: number;
  /** The file system (tests count reads through it). */
  fs?: ContextFs;
  /** Wall clock in ns; tests move it. */
  now?: () => bigint;
}

export class BuildContext {
  private readonly digestEnv: DigestEnv;

  constructor(
    /** Absolute path of the context directory. */
    readonly dir: string,
    readonly dockerfile: DockerfileSource,
    /** The .dockerignore rules (what the copier and RUN --mount binds take as ExclusionRules). */
    readonly ignore: IgnoreRules,
    private readonly fs: ContextFs,
    private readonly cache: StatCache,
    opts: OpenContextOptions,
  ) {
    this.digestEnv = {
      hasher: new FileHasher(fs, opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES),
      cache,
      now: opts.now ?? (() => BigInt(Date.now()) * 1_000_000n),
      racyWindowNs: BigInt(opts.racyWindowMs ?? DEFAULT_RACY_WINDOW_MS) * 1_000_000n,
    };
  }

  /**
   * The entries COPY `sources` bring in (see match.ts for the rules). Throws COPY_SOURCE_NOT_FOUND
   * (also for a `../x` that is missing once clamped at the root), COPY_EXCLUDED naming the
   * .dockerignore line, or COPY_OUTSIDE_CONTEXT (a symlink leading out of the context) for a plain
   * source that does not exist, CONTEXT_* for unreadable paths, special files and symlink loops.
   */
  match(sources: readonly string[], opts: MatchOptions = {}): MatchResult {
    return matchSources({ root: this.dir, fs: this.fs, ignore: this.ignore }, sources, opts);
  }

  /** "sha256:<hex>" over the entries (paths, types, modes, sizes, contents, link targets). Saves the stat cache. */
  digest(entries: readonly ContextEntry[]): string {
    try {
      return digestEntries(this.digestEnv, entries);
    } finally {
      this.cache.save();
    }
  }

  /** One digest per entry ("sha256:<hex>" of the content), in entry order. Saves the stat cache. */
  entryDigests(entries: readonly ContextEntry[]): EntryDigest[] {
    try {
      return entryDigests(this.digestEnv, entries);
    } finally {
      this.cache.save();
    }
  }

  /**
   * What a COPY of `entries` reads, as one digest (COPY cache keys), with the per-entry list on demand.
   * An unchanged context answers from the stat cache's remembered sets, reading no file and no per-file
   * table. Saves the stat cache.
   */
  sourceSet(entries: readonly ContextEntry[]): SourceSet {
    return sourceSet(this.digestEnv, entries, () => this.cache.save());
  }

  /** The digest of what `COPY <rel>` would bring (a bind mount's source, say). */
  digestPath(rel: string, opts: MatchOptions = {}): string {
    return this.digest(this.match([rel], opts).entries);
  }
}

/**
 * Opens a build context: checks the directory, reads the Dockerfile (size-capped) and the ignore
 * file (fail closed), opens the stat cache (read on first use). Throws UsageError CONTEXT_NOT_DIRECTORY,
 * DOCKERFILE_UNREADABLE, DOCKERFILE_TOO_LARGE, DOCKERIGNORE_INVALID.
 */
export function openContext(dir: string, opts: OpenContextOptions = {}): BuildContext {
  const cwd = opts.cwd ?? process.cwd();
  const root = path.resolve(cwd, dir);
  const stat = fs.statSync(root, { throwIfNoEntry: false });
  if (stat === undefined || !stat.isDirectory()) {
    throw usageError(CONTEXT_CODES.notADirectory, `the build context ${root} ${stat === undefined ? 'does not exist' : 'is not a directory'}`, { path: root });
  }
  const ctxFs = opts.fs ?? nodeFs;
  const dockerfile = opts.dockerfileText !== undefined
    ? { path: path.resolve(cwd, opts.dockerfile ?? path.join(root, 'Dockerfile')), text: opts.dockerfileText }
    : readDockerfile(root, opts.dockerfile, cwd, opts.maxDockerfileBytes ?? DEFAULT_MAX_DOCKERFILE_BYTES);
  const ignore = readIgnoreRules(root, dockerfile.path, ctxFs);
  return new BuildContext(root, dockerfile, ignore, ctxFs, StatCache.open(opts.stateDir, root), opts);
}
