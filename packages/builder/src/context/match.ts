// COPY source matching with BuildKit's semantics (dockerfile2llb + llb FileOp + fsutil copy), the one
// implementation for the build context and for a stage's or image's rootfs (COPY --from):
//  - a source is rooted at its root: a leading `/` is the root and `..` stops there (llb joins every
//    source onto "/"), with a warning; a source that does not exist after that is "not found";
//  - the part before the first component with a wildcard is resolved in-root, following symlinks, and
//    taken literally (a `\` stays); the rest is matched with Go's filepath.Match against paths below it
//    (a matched directory is not entered further); a wildcard that matches nothing, or a malformed one,
//    is not an error (AllowEmptyWildcard; fsutil ignores ErrBadPattern), but a missing directory
//    before it is;
//  - each match, a plain source included, is followed if it is a symlink (in-root), then a directory
//    brings its contents and a file itself; symlinks below are copied as symlinks; --exclude also
//    drops a matched file by its name;
//  - paths .dockerignore excludes do not exist; a missing plain source says why.
import type { BigIntStats } from 'node:fs';
import path from 'node:path';
import { CONTEXT_CODES, buildError } from './codes.js';
import { nodeFs } from './fs-port.js';
import { BadPatternError, containsWildcards, goMatch } from './go-glob.js';
import { NO_IGNORE_RULES, parseExcludePatterns, type ExclusionRules } from './ignore-rules.js';
import { cleanRooted, hostOf, resolveInContext, splitComponents, whereOf, type ResolveEnv, type Resolved } from './resolve.js';
import type { ContextEntry, MatchedSource, MatchOptions, MatchResult } from './types.js';
import { infoOf, typeOf, walkBelow, type WalkEntry } from './walk.js';

/** One match of one source, in either kind of root. */
interface SourceMatch {
  /** Index of the source in the list given. */
  index: number;
  /** The source as given. */
  source: string;
  /** The path as named or matched, before following symlinks ('' = the root). */
  named: string;
  /** Where it led; `stat` is always set. */
  resolved: Resolved & { stat: BigIntStats };
  wildcard: boolean;
}

interface FindOptions {
  /** --exclude rules: a matched file whose name they exclude is dropped. */
  exclude: ExclusionRules;
  /** Follow a final symlink (COPY does). */
  followSymlinks: boolean;
}

/**
 * The matches of `sources` in `env`'s root, in source order (a wildcard's in walk order). Throws
 * COPY_SOURCE_NOT_FOUND / COPY_EXCLUDED / COPY_OUTSIDE_CONTEXT for a plain source (or the directory
 * before a wildcard) that does not exist; appends warnings for clamped `..` and empty wildcards.
 */
function findMatches(env: ResolveEnv, sources: readonly string[], opts: FindOptions, warnings: string[]): SourceMatch[] {
  const out: SourceMatch[] = [];
  sources.forEach((source, index) => {
    const { rel, clamped } = cleanRooted(source);
    if (clamped) {
      warnings.push(`${JSON.stringify(source)} climbs above the root of ${whereOf(env)}; it is read as ${JSON.stringify(rel === '' ? '.' : rel)}`);
    }
    const comps = splitComponents(rel);
    const first = comps.findIndex(containsWildcards);
    const found = first < 0 ? [resolvePlain(env, source, rel, clamped, opts.followSymlinks)]
      : resolveWildcard(env, source, comps.slice(0, first).join('/'), comps.slice(first).join('/'), clamped, opts.followSymlinks, warnings);
    for (const m of found) {
      // --exclude also applies to a file source itself, by the name it is copied under.
      if (!m.resolved.stat.isDirectory() && opts.exclude.excludedBy(baseName(m.named), false) !== undefined) continue;
      out.push({ index, source, ...m });
    }
  });
  return out;
}

/** The build context's answer: the matches, each expanded into the entries it brings. */
export function matchSources(env: ResolveEnv, sources: readonly string[], opts: MatchOptions = {}): MatchResult {
  const result: MatchResult = { sources: [], entries: [], warnings: [] };
  const exclude = parseExcludePatterns(opts.excludes ?? []);
  for (const m of findMatches(env, sources, { exclude, followSymlinks: opts.followSymlinks ?? true }, result.warnings)) {
    const matched = expandMatch(env, m, exclude, result.warnings);
    result.sources.push(matched);
    // A loop, not push(...entries): a directory of 10^6 files would overflow the argument limit.
    for (const e of matched.entries) result.entries.push(e);
  }
  return result;
}

/** One match in a stage's or image's rootfs (COPY --from). */
export interface RootfsMatch {
  index: number;
  source: string;
  /** The path as named or matched, before following symlinks ('' = the root): what --parents keeps. */
  named: string;
  /** The path after following symlinks in-root ('' = the root). */
  path: string;
  /** Host path of `path`. */
  host: string;
  /** lstat of `host` (a symlink only when not following). */
  stat: BigIntStats;
  wildcard: boolean;
}

/**
 * The same matching in a stage's or image's rootfs `dir` (no .dockerignore there). `label` names it in
 * messages ("stage builder"). Throws COPY_SOURCE_NOT_FOUND for a plain source that does not exist.
 */
export function matchInRootfs(dir: string, label: string, sources: readonly string[],
  opts: { exclude?: ExclusionRules; followSymlinks?: boolean } = {}): { matches: RootfsMatch[]; warnings: string[] } {
  const env: ResolveEnv = { root: path.resolve(dir), fs: nodeFs, ignore: NO_IGNORE_RULES, rootfs: label };
  const warnings: string[] = [];
  const found = findMatches(env, sources, { exclude: opts.exclude ?? NO_IGNORE_RULES, followSymlinks: opts.followSymlinks ?? true }, warnings);
  const matches = found.map((m): RootfsMatch => ({
    index: m.index,
    source: m.source,
    named: m.named,
    path: m.resolved.rel,
    host: hostOf(env.root, m.resolved.rel),
    stat: m.resolved.stat,
    wildcard: m.wildcard,
  }));
  return { matches, warnings };
}

type Found = Omit<SourceMatch, 'index' | 'source'>;

function resolvePlain(env: ResolveEnv, source: string, rel: string, clamped: boolean, follow: boolean): Found {
  const resolved = resolveInContext(env, rel, follow);
  if (resolved.stat === undefined) throw missing(env, source, rel, clamped, resolved);
  return { named: rel, resolved: resolved as Found['resolved'], wildcard: false };
}

function resolveWildcard(env: ResolveEnv, source: string, base: string, pattern: string, clamped: boolean, follow: boolean,
  warnings: string[]): Found[] {
  const baseResolved = resolveInContext(env, base, true);
  // BuildKit walks the directory before the wildcard: a missing one fails (buildkit#2933), even though a
  // wildcard that matches nothing inside an existing one does not.
  if (baseResolved.stat === undefined) throw missing(env, source, base, clamped, baseResolved);
  const out: Found[] = [];
  if (baseResolved.stat.isDirectory()) {
    const depth = splitComponents(pattern).length;
    const prefix = baseResolved.rel === '' ? '' : `${baseResolved.rel}/`;
    try {
      walkBelow(baseResolved.rel, hostOf(env.root, baseResolved.rel), {
        fs: env.fs,
        ignore: env.ignore,
        where: whereOf(env),
        visit(entry, level) {
          if (goMatch(pattern, entry.rel)) {
            const resolved = resolveInContext(env, `${prefix}${entry.rel}`, follow);
            // Like BuildKit, a matched symlink that leads nowhere (dangling, excluded, outside) fails the copy.
            if (resolved.stat === undefined) throw missing(env, entry.path, entry.path, false, resolved);
            out.push({ named: entry.path, resolved: resolved as Found['resolved'], wildcard: true });
            return false;
          }
          return level < depth;
        },
      });
    } catch (err) {
      if (!(err instanceof BadPatternError)) throw err;
      warnings.push(`${JSON.stringify(source)} is not a valid wildcard pattern (${err.message}); it matches nothing`);
      return [];
    }
  }
  if (out.length === 0) warnings.push(`${JSON.stringify(source)} matched no files`);
  return out;
}

/** Builds the entries of one context match: the root, then (for a directory) everything below it. */
function expandMatch(env: ResolveEnv, m: SourceMatch, exclude: ExclusionRules, warnings: string[]): MatchedSource {
  const { index, source } = m;
  const stat = m.resolved.stat;
  const type = typeOf(stat);
  const name = baseName(m.named);
  if (type === 'special') {
    throw buildError(CONTEXT_CODES.specialFile, `${JSON.stringify(source)} is a FIFO, socket or device; only files, directories and symlinks can be copied`,
      { source, path: m.resolved.rel });
  }
  const rootWalk: WalkEntry = { path: m.resolved.rel, rel: type === 'dir' ? '' : name, host: hostOf(env.root, m.resolved.rel), ...infoOf(stat), type };
  const entries: ContextEntry[] = [toEntry(env, index, rootWalk)];
  if (type === 'dir') {
    for (const w of walkBelow(m.resolved.rel, rootWalk.host, { fs: env.fs, ignore: env.ignore, exclude, where: whereOf(env) })) {
      if (w.type === 'special') {
        warnings.push(`skipped ${JSON.stringify(w.path)}: FIFOs, sockets and devices are not copied`);
        continue;
      }
      entries.push(toEntry(env, index, w));
    }
  }
  return { index, source, path: m.resolved.rel, matchedPath: m.named, name, type: type as MatchedSource['type'], wildcard: m.wildcard, entries };
}

function toEntry(env: ResolveEnv, source: number, w: WalkEntry): ContextEntry {
  const entry: ContextEntry = {
    source,
    path: w.path,
    rel: w.rel,
    type: w.type as ContextEntry['type'],
    mode: w.mode & 0o7777,
    size: w.size,
    uid: w.uid,
    gid: w.gid,
    mtimeMs: w.mtimeMs,
    host: w.host,
    statKey: w.statKey,
  };
  if (w.pathBytes !== undefined) entry.pathBytes = w.pathBytes;
  if (w.type === 'symlink') entry.linkTarget = env.fs.readlink(w.host).toString('utf8');
  return entry;
}

/**
 * The error for a source that does not exist, naming the reason. A `..` that was clamped is no reason
 * of its own: BuildKit looks the clamped path up and reports it "not found" (the message says so).
 */
function missing(env: ResolveEnv, source: string, rel: string, clamped: boolean, resolved: Resolved): Error {
  const where = whereOf(env);
  const details: Record<string, unknown> = { source, path: resolved.rel, ...(clamped ? { clamped: true } : {}), ...(env.rootfs !== undefined ? { root: env.rootfs } : {}) };
  if (resolved.excluded !== undefined) {
    const { line, pattern, path: excludedPath } = resolved.excluded;
    const via = excludedPath === rel ? '' : ` (it resolves to ${JSON.stringify(excludedPath)})`;
    return buildError(CONTEXT_CODES.excluded, `${JSON.stringify(source)} is excluded by .dockerignore line ${line} (${JSON.stringify(pattern)})${via}`,
      { ...details, line, pattern }, `remove that line or add an exception such as "!${excludedPath}"`);
  }
  if (resolved.escapeLink !== undefined && env.rootfs === undefined) {
    const { link, target } = resolved.escapeLink;
    return buildError(CONTEXT_CODES.outside,
      `${JSON.stringify(source)} not found: ${JSON.stringify(link)} is a symlink to ${JSON.stringify(target)}, outside the build context`,
      { ...details, link, target }, 'symlinks are resolved inside the build context and never reach host files; copy the file into the context');
  }
  const looked = clamped ? ` (".." stops at its root; looked for ${JSON.stringify(rel === '' ? '.' : rel)})` : '';
  const hint = resolved.escapeLink !== undefined
    ? `${resolved.escapeLink.link} is a symlink to ${JSON.stringify(resolved.escapeLink.target)}; symlinks are resolved inside ${where} and never leave it`
    : clamped && env.rootfs === undefined ? 'only files inside the context directory can be copied; move the file or widen the context' : undefined;
  return buildError(CONTEXT_CODES.notFound, `${JSON.stringify(source)} not found in ${where}${looked}`, details, hint);
}

function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
