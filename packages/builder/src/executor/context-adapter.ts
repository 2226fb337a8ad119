// The build context as the executor's COPY and bind-mount steps need it, over the context module:
// .dockerignore rules, and content digests of what a source names through the store-kept stat cache,
// so an unchanged context is never read twice. Counts file reads, so a no-op rebuild can show none.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { nodeFs, openContext, type ContextFs, type OpenContextOptions } from '../context/index.js';
import type { ExclusionRules } from '../copy/index.js';
import type { CopyContext } from './dispatch-copy.js';

export interface OpenedContext extends CopyContext {
  /** The Dockerfile as read (path and text); `-f -` gives the caller's text. */
  dockerfile: { path: string; text: string };
  /** Digest of a file or a whole tree (for RUN --mount=type=bind keys). */
  digestPath(rel: string): Promise<string>;
  /** Context files opened for reading (hashing) since open: 0 when the stat cache answered all. */
  readonly filesRead: number;
  close(): Promise<void>;
}

export function openCopyContext(
  dir: string,
  opts: { dockerfile?: string; dockerfileText?: string; stateDir: string; extra?: Partial<OpenContextOptions> },
): OpenedContext {
  let filesRead = 0;
  const countingFs: ContextFs = {
    ...nodeFs,
    openRead(p) {
      filesRead++;
      return nodeFs.openRead(p);
    },
  };
  const ctx = openContext(dir, {
    ...(opts.dockerfile !== undefined ? { dockerfile: opts.dockerfile } : {}),
    ...(opts.dockerfileText !== undefined ? { dockerfileText: opts.dockerfileText } : {}),
    stateDir: opts.stateDir,
    fs: countingFs,
    ...opts.extra,
  });
  const ignore = exactDirectories(ctx.ignore, ctx.dir);
  return {
    dir: ctx.dir,
    dockerfile: { path: ctx.dockerfile.path, text: ctx.dockerfile.text },
    ignore,
    get filesRead() {
      return filesRead;
    },
    async digestSources(patterns, excludes) {
      return ctx.entryDigests(ctx.match(patterns, excludes.length > 0 ? { excludes } : {}).entries);
    },
    async digestPath(rel) {
      return ctx.digestPath(rel);
    },
    async close() {},
  };
}

/**
 * Rules whose answer for a directory is final: an excluded directory that still holds a re-included
 * path (`build/*` + `!build/keep/`) is reported as included (its other children are excluded one by
 * one), and one without is excluded outright. So no walker needs `hasExceptions()` to descend into
 * excluded trees, and an excluded directory is never created empty (BuildKit copies it only when
 * something inside is re-included).
 */
export function exactDirectories(base: ExclusionRules, dir: string): ExclusionRules {
  if (!base.hasExceptions()) return base;
  const memo = new Map<string, boolean>();
  const holdsIncluded = (rel: string): boolean => {
    let known = memo.get(rel);
    if (known !== undefined) return known;
    known = false;
    let entries: import('node:fs').Dirent[] = [];
    try {
      entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      entries = [];
    }
    for (const d of entries) {
      const child = `${rel}/${d.name}`;
      const isDir = d.isDirectory();
      if (base.excludedBy(child, isDir) === undefined || (isDir && holdsIncluded(child))) {
        known = true;
        break;
      }
    }
    memo.set(rel, known);
    return known;
  };
  return {
    excludedBy(rel, isDir) {
      const hit = base.excludedBy(rel, isDir);
      if (hit === undefined || !isDir) return hit;
      return holdsIncluded(rel) ? undefined : hit;
    },
    hasExceptions: () => false,
  };
}
