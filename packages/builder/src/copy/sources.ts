// COPY --from sources: from a pattern as written to the entries to copy inside a stage's or image's
// rootfs. (Context sources are matched by the context module, which knows .dockerignore; this is the
// same BuildKit rule set for a root without ignore rules.) The path is rooted at the source root; its
// symlinks, the final one included, are followed *inside* that root (so a stage's `link -> /` never
// reaches the host); wildcards match one component at a time (Go filepath.Match); an empty wildcard
// match is not an error (BuildKit's AllowEmptyWildcard).
import { readdirSync, readlinkSync, type Stats } from 'node:fs';
import { cleanInRoot, resolveInRootSync, splitPath } from '@tsbuild/layerstore';
import { BuildError } from '../errors.js';
import { lstatOrUndefined } from './dest.js';
import { compileComponent, hasWildcard, unescapeComponent } from './glob.js';
import path from 'node:path';

/** A stage's or image's filesystem that COPY --from reads. */
export interface SourceRoot {
  kind: 'rootfs';
  /** Host directory: a snapshot dir or merged view of the stage/image. */
  dir: string;
  /** For messages: "stage builder", "image alpine:3.20". */
  label: string;
}

/** One matched source. */
export interface SourceItem {
  /** The path as named or matched, relative to the root, unfollowed ('' = the root). */
  name: string;
  /** Host path after following symlinks in-root: what is read. */
  host: string;
  /** `host` relative to the root. */
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

/**
 * The entries `pattern` names in `root`, sorted by name (`..` clamped at the root, as BuildKit).
 * Throws BuildError COPY_SOURCE_NOT_FOUND for a plain path that does not exist.
 */
export function resolveSourcePattern(root: SourceRoot, pattern: string): SourceItem[] {
  const comps = splitPath(cleanInRoot(pattern));
  const first = comps.findIndex(hasWildcard);
  if (first < 0) {
    const name = comps.map(unescapeComponent).join('/');
    const item = followItem(root, name);
    if (item === undefined) throw notFound(root, pattern, symlinkHint(root, name));
    return [item];
  }
  const base = comps.slice(0, first).map(unescapeComponent).join('/');
  const baseItem = followItem(root, base);
  if (baseItem === undefined || !baseItem.stat.isDirectory()) return [];
  const out: SourceItem[] = [];
  matchBelow(root, baseItem.host, base, comps.slice(first), pattern, out);
  return out;
}

/** Follows `name` in-root; undefined when missing. */
function followItem(root: SourceRoot, name: string): SourceItem | undefined {
  const host = resolveInRootSync(root.dir, name);
  const stat = lstatOrUndefined(host);
  if (stat === undefined) return undefined;
  return { name, host, real: path.relative(path.resolve(root.dir), host), stat };
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
    if (st === undefined) continue;
    if (rest.length > 1) {
      // Like filepath.Walk, intermediate matches are not followed when they are symlinks.
      if (st.isDirectory()) matchBelow(root, `${dirHost}/${n}`, name, rest.slice(1), pattern, out);
      continue;
    }
    const item = followItem(root, name);
    if (item === undefined) throw notFound(root, name, symlinkHint(root, name)); // BuildKit: a dangling match fails
    out.push(item);
  }
}

/** A hint for a source that is a symlink whose in-root target is missing. */
function symlinkHint(root: SourceRoot, name: string): string | undefined {
  const parent = resolveInRootSync(root.dir, path.posix.dirname(name));
  const leaf = `${parent}/${path.posix.basename(name)}`;
  if (lstatOrUndefined(leaf)?.isSymbolicLink() !== true) return undefined;
  return `${name} is a symlink to ${JSON.stringify(readlinkSync(leaf))}; symlinks are resolved inside the ${root.label} and never leave it`;
}
