// What the context hands the executor and the copier.
import type { HostPath } from './fs-port.js';

export type EntryType = 'file' | 'dir' | 'symlink';

/** One thing a COPY source brings in. */
export interface ContextEntry {
  /** Index of the source (in the `sources` given to match) this entry came from. */
  source: number;
  /** Context-relative path, '/'-separated ('' = the context root); symlinks in the source path resolved. */
  path: string;
  /**
   * Where it goes relative to the destination: '' for the root of a directory source (its contents are
   * copied, not the directory), the source's own name for a file source, `a/b` below a directory source.
   */
  rel: string;
  type: EntryType;
  /** Permission bits (st_mode & 0o7777). */
  mode: number;
  size: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  /** Symlinks only: the target, verbatim (copied as a link, never followed). */
  linkTarget?: string;
  /** Host path to read from (inside the context directory). */
  host: HostPath;
  /** Raw bytes of `path`, only when it is not valid UTF-8 (`path` is then a lossy rendering). */
  pathBytes?: Buffer;
  /** "dev:ino:size:mtimeNs:ctimeNs:mode" from the entry's lstat: the stat cache's key. */
  statKey: string;
}

/** One match of one source. */
export interface MatchedSource {
  /** Index in the `sources` given to match. */
  index: number;
  /** The source as given. */
  source: string;
  /** Context path of the match after resolving symlinks. */
  path: string;
  /** Context path as named or matched, before symlinks were resolved (what COPY --parents keeps). */
  matchedPath: string;
  /** Base name of the match before symlinks were resolved: the name a file gets in a directory destination. */
  name: string;
  type: EntryType;
  /** Came from a wildcard. */
  wildcard: boolean;
  /** The entries: the root first (rel '' for a directory, `name` for a file), then below it in sorted order. */
  entries: ContextEntry[];
}

export interface MatchResult {
  /** Matches in source order (a wildcard may give none or several). */
  sources: MatchedSource[];
  /** All entries, in source order. */
  entries: ContextEntry[];
  /** Things worth telling the user: skipped special files, wildcards that matched nothing, clamped `..`. */
  warnings: string[];
}

export interface MatchOptions {
  /** COPY --exclude patterns (.dockerignore syntax), matched against each entry's `rel`. */
  excludes?: readonly string[];
  /**
   * Follow a symlink that is the last component of a source (default true: BuildKit copies what a
   * context symlink points to, resolved inside the context). False copies it as a symlink.
   */
  followSymlinks?: boolean;
}

/** Per-entry digest, the shape copy/cache-inputs.ts lists (see source-set.ts). */
export interface EntryDigest {
  path: string;
  /** Raw bytes of `path`, only when it is not valid UTF-8 (two such names may render alike). */
  pathBytes?: Buffer;
  /** "sha256:<hex>": file content; for a symlink its target text; for a directory a constant. */
  digest: string;
  mode: number;
  /**
   * The entry's type (the context always sets it): without it a regular file whose content is "t"
   * and a symlink to "t" with the same permission bits would be the same input.
   */
  type?: 'file' | 'dir' | 'symlink';
}
