// COPY/ADD sources: from a pattern as written to the entries to copy, inside one source root (the build
// context or a stage's/image's rootfs). BuildKit semantics: the path is rooted at the source root; its
// symlinks, the final one included, are followed *inside* that root (so a context symlink can never
// reach a host file); wildcards match one component at a time (Go filepath.Match); an empty wildcard
// match is not an error (BuildKit's AllowEmptyWildcard). What `.dockerignore` excludes does not exist.
import { readdirSync, readlinkSync, type Stats } from 'node:fs';
import { cleanInRoot, resolveInRootSync, splitPath } from '@tsbuild/layerstore';
import { BuildError } from '../errors.js';
import { lstatOrUndefined } from './dest.js';
import { compileComponent, hasWildcard, unescapeComponent } from './glob.js';
import type { ExclusionRules } from './ignore.js';
import path from 'node:path';

/** Where COPY/ADD reads from. */
export interface SourceRoot {
  /** Host directory: the context dir, or a stage's/image's rootfs (a merged view). */
  dir: string;
  kind: 'context' | 'rootfs';
  /** For messages: "build context", "stage builder", "image alpine:3.20". */
  label: string;
  /** The context's .dockerignore rules (paths relative to `dir`); excluded paths do not exist. */
  ignore?: ExclusionRules;
}

/** One matched source. */
export interface SourceItem {
  /** The path as named or matched, relative to the root, unfollowed ('' = the root). */
  name: string;
  /** Host path after following symlinks in-root: what is read. */
  host: string;
  /** `host` relative to the root: where .dockerignore applies while walking. */
  real: string;
  /** lstat of `host` (never a symlink: symlinks were followed). */
  stat: Stats;
}

function notFound(root: SourceRoot, pattern: string, hint?: string): BuildError {
  return new BuildError('COPY_SOURCE_NOT_FOUND', `${JSON.stringify(pattern)} not found in the ${root.label}`, {
    hint,
    details: { source: pattern, root: root.label },
  });
}

function excluded(root: SourceRoot, pattern: string, line: number, rule: string): BuildError {
  return new BuildError(
    'COPY_EXCLUDED',
    `${JSON.stringify(pattern)} is excluded by .dockerignore line ${line} (${JSON.stringify(rule)})`,
    { hint: `remove the line or add an exception like "!${pattern.replace(/^\/+/, '')}"`, details: { source: pattern, line, rule } },
  );
}

/** True when the lexical path climbs above its root ("../x", "a/../../x"). */
function escapesRoot(p: string): boolean {
  let depth = 0;
  for (const c of splitPath(p.replace(/^\/+/, ''))) {
    depth += c === '..' ? -1 : 1;
    if (depth < 0) return true;
  }
  return false;
}

/**
 * The entries `pattern` names in `root`, sorted by name. Throws BuildError COPY_SOURCE_NOT_FOUND
 * (a plain path that does not exist), COPY_EXCLUDED (named by .dockerignore), COPY_OUTSIDE_CONTEXT
 * (a context path that climbs above the context with `..`).
 */
export function resolveSourcePattern(root: SourceRoot, pattern: string): SourceItem[] {
  if (root.kind === 'context' && !pattern.startsWith('/') && escapesRoot(pattern)) {
    throw new BuildError('COPY_OUTSIDE_CONTEXT', `${JSON.stringify(pattern)} is outside the build context`, {
      hint: 'only files inside the context directory can be copied; move the file or widen the context',
      details: { source: pattern },
    });
  }
  const comps = splitPath(cleanInRoot(pattern));
  const first = comps.findIndex(hasWildcard);
  if (first < 0) {
    const name = comps.map(unescapeComponent).join('/');
    const item = followItem(root, name, pattern);
    if (item === undefined) throw notFound(root, pattern, symlinkHint(root, name));
    return [item];
  }
  const base = comps.slice(0, first).map(unescapeComponent).join('/');
  const baseItem = followItem(root, base, pattern);
  if (baseItem === undefined || !baseItem.stat.isDirectory()) return [];
  const out: SourceItem[] = [];
  matchBelow(root, baseItem.host, base, comps.slice(first), pattern, out);
  return out;
}

/** Follows `name` in-root; undefined when missing. Throws COPY_EXCLUDED for ignored paths. */
function followItem(root: SourceRoot, name: string, pattern: string): SourceItem | undefined {
  const hitName = root.ignore?.excludedBy(name, false);
  if (hitName !== undefined) throw excluded(root, pattern, hitName.line, hitName.pattern);
  const host = resolveInRootSync(root.dir, name);
  const stat = lstatOrUndefined(host);
  if (stat === undefined) return undefined;
  const real = path.relative(path.resolve(root.dir), host);
  // A symlink into an ignored path: that path is not part of the context.
  const hitReal = root.ignore?.excludedBy(real, stat.isDirectory());
  if (hitReal !== undefined) throw excluded(root, pattern, hitReal.line, hitReal.pattern);
  return { name, host, real, stat };
}

function matchBelow(root: SourceRoot, dirHost: string, dirName: string, rest: string[], pattern: string, out: SourceItem[]): void {
  const re = compileComponent(rest[0]);
  if (re === undefined) {
    throw new BuildError('COPY_SOURCE_PATTERN', `invalid wildcard pattern ${JSON.stringify(pattern)}`, { details: { source: pattern } });
  }
  const names = readdirSync(dirHost).sort();
  for (const n of names) {
    if (!re.test(n)) continue;
    const name = dirName === '' ? n : `${dirName}/${n}`;
    const st = lstatOrUndefined(`${dirHost}/${n}`);
    if (st === undefined || root.ignore?.excludedBy(name, st.isDirectory()) !== undefined) continue;
    if (rest.length > 1) {
      // Like filepath.Walk, intermediate matches are not followed when they are symlinks.
      if (st.isDirectory()) matchBelow(root, `${dirHost}/${n}`, name, rest.slice(1), pattern, out);
      continue;
    }
    let item: SourceItem | undefined;
    try {
      item = followItem(root, name, pattern);
    } catch (e) {
      if (e instanceof BuildError && e.code === 'COPY_EXCLUDED') continue; // a wildcard skips what is ignored
      throw e;
    }
    if (item !== undefined) out.push(item);
  }
}

/** A hint for a source that is a symlink whose in-root target is missing. */
function symlinkHint(root: SourceRoot, name: string): string | undefined {
  const parent = resolveInRootSync(root.dir, path.posix.dirname(name));
  const leaf = `${parent}/${path.posix.basename(name)}`;
  if (lstatOrUndefined(leaf)?.isSymbolicLink() !== true) return undefined;
  return `${name} is a symlink to ${JSON.stringify(readlinkSync(leaf))}; symlinks are resolved inside the ${root.label} and never leave it`;
}
