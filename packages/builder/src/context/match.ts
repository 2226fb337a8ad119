// COPY source matching with BuildKit's semantics (dockerfile2llb + fsutil copy):
//  - a source is rooted at the context: a leading `/` is the context root and `..` stops there;
//  - the part before the first component with a wildcard is resolved in-root, following symlinks;
//    the rest is matched with Go's filepath.Match against paths below it (a matched directory is not
//    entered further); a wildcard that matches nothing is not an error (AllowEmptyWildcard), but a
//    missing directory before it is;
//  - each match, a plain source included, is followed if it is a symlink (in-root), then a directory
//    brings its contents and a file itself; symlinks below are copied as symlinks;
//  - paths .dockerignore excludes do not exist; a missing plain source says why.
import { CONTEXT_CODES, buildError } from './codes.js';
import { BadPatternError, containsWildcards, goMatch } from './go-glob.js';
import { parseExcludePatterns, type IgnoreRules } from './ignore-rules.js';
import { cleanRooted, hostOf, resolveInContext, splitComponents, type ResolveEnv, type Resolved } from './resolve.js';
import type { ContextEntry, MatchedSource, MatchOptions, MatchResult } from './types.js';
import { infoOf, typeOf, walkBelow, type WalkEntry } from './walk.js';

export function matchSources(env: ResolveEnv, sources: readonly string[], opts: MatchOptions = {}): MatchResult {
  const result: MatchResult = { sources: [], entries: [], warnings: [] };
  const exclude = parseExcludePatterns(opts.excludes ?? []);
  const follow = opts.followSymlinks ?? true;
  sources.forEach((source, index) => {
    const { rel, clamped } = cleanRooted(source);
    if (clamped) result.warnings.push(`${JSON.stringify(source)} climbs above the build context; it is read as ${JSON.stringify(rel === '' ? '.' : rel)}`);
    const comps = splitComponents(rel);
    const first = comps.findIndex(containsWildcards);
    const matches = first < 0 ? [resolvePlain(env, source, rel, clamped, follow)]
      : resolveWildcard(env, source, comps.slice(0, first).join('/'), comps.slice(first).join('/'), clamped, follow, result.warnings);
    for (const m of matches) {
      // --exclude also applies to a file source itself, by the name it is copied under.
      if (m.resolved.stat?.isDirectory() !== true && exclude.excludedBy(baseName(m.named), false) !== undefined) continue;
      const matched = expandMatch(env, index, source, m, exclude, result.warnings);
      result.sources.push(matched);
      // A loop, not push(...entries): a directory of 10^6 files would overflow the argument limit.
      for (const e of matched.entries) result.entries.push(e);
    }
  });
  return result;
}

interface Match {
  /** The path as named/matched, before following. */
  named: string;
  resolved: Resolved;
  wildcard: boolean;
}

function resolvePlain(env: ResolveEnv, source: string, rel: string, clamped: boolean, follow: boolean): Match {
  const resolved = resolveInContext(env, rel, follow);
  if (resolved.stat === undefined) throw missing(source, rel, clamped, resolved);
  return { named: rel, resolved, wildcard: false };
}

function resolveWildcard(env: ResolveEnv, source: string, base: string, pattern: string, clamped: boolean, follow: boolean,
  warnings: string[]): Match[] {
  const baseResolved = resolveInContext(env, base, true);
  // BuildKit walks the directory before the wildcard: a missing one fails (buildkit#2933), even though a
  // wildcard that matches nothing inside an existing one does not.
  if (baseResolved.stat === undefined) throw missing(source, base, clamped, baseResolved);
  const out: Match[] = [];
  if (baseResolved.stat?.isDirectory() === true) {
    const depth = splitComponents(pattern).length;
    const prefix = baseResolved.rel === '' ? '' : `${baseResolved.rel}/`;
    try {
      walkBelow(baseResolved.rel, hostOf(env.root, baseResolved.rel), {
        fs: env.fs,
        ignore: env.ignore,
        visit(entry, level) {
          if (goMatch(pattern, entry.rel)) {
            const resolved = resolveInContext(env, `${prefix}${entry.rel}`, follow);
            // Like BuildKit, a matched symlink that leads nowhere (dangling, excluded, outside) fails the copy.
            if (resolved.stat === undefined) throw missing(entry.path, entry.path, false, resolved);
            out.push({ named: entry.path, resolved, wildcard: true });
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

/** Builds the entries of one match: the root, then (for a directory) everything below it. */
function expandMatch(env: ResolveEnv, index: number, source: string, m: Match, exclude: IgnoreRules, warnings: string[]): MatchedSource {
  const stat = m.resolved.stat!;
  const type = typeOf(stat);
  const name = baseName(m.named);
  if (type === 'special') {
    throw buildError(CONTEXT_CODES.specialFile, `${JSON.stringify(source)} is a FIFO, socket or device; only files, directories and symlinks can be copied`,
      { source, path: m.resolved.rel });
  }
  const rootWalk: WalkEntry = { path: m.resolved.rel, rel: type === 'dir' ? '' : name, host: hostOf(env.root, m.resolved.rel), info: infoOf(stat), type };
  const entries: ContextEntry[] = [toEntry(env, index, rootWalk)];
  if (type === 'dir') {
    for (const w of walkBelow(m.resolved.rel, rootWalk.host, { fs: env.fs, ignore: env.ignore, exclude })) {
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
    mode: w.info.mode & 0o7777,
    size: w.info.size,
    uid: w.info.uid,
    gid: w.info.gid,
    mtimeMs: w.info.mtimeMs,
    host: w.host,
    statKey: w.info.statKey,
  };
  if (w.pathBytes !== undefined) entry.pathBytes = w.pathBytes;
  if (w.type === 'symlink') entry.linkTarget = env.fs.readlink(w.host).toString('utf8');
  return entry;
}

/** The error for a plain source that does not exist, naming the reason. */
function missing(source: string, rel: string, clamped: boolean, resolved: Resolved): Error {
  const details = { source, path: resolved.rel };
  if (resolved.excluded !== undefined) {
    const { line, pattern, path } = resolved.excluded;
    const via = path === rel ? '' : ` (it resolves to ${JSON.stringify(path)})`;
    return buildError(CONTEXT_CODES.excluded, `${JSON.stringify(source)} is excluded by .dockerignore line ${line} (${JSON.stringify(pattern)})${via}`,
      { ...details, line, pattern }, `remove that line or add an exception such as "!${path}"`);
  }
  if (resolved.escapeLink !== undefined) {
    const { link, target } = resolved.escapeLink;
    return buildError(CONTEXT_CODES.outside,
      `${JSON.stringify(source)} not found: ${JSON.stringify(link)} is a symlink to ${JSON.stringify(target)}, outside the build context`,
      { ...details, link, target }, 'symlinks are resolved inside the build context and never reach host files; copy the file into the context');
  }
  if (clamped) {
    return buildError(CONTEXT_CODES.outside, `${JSON.stringify(source)} is outside the build context (looked for ${JSON.stringify(rel)} in it)`,
      details, 'only files inside the context directory can be copied; move the file or widen the context');
  }
  return buildError(CONTEXT_CODES.notFound, `${JSON.stringify(source)} not found in the build context`, details);
}

function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
