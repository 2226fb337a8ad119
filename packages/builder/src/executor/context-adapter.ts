// The build context as the executor's COPY and bind-mount steps need it, over the context module:
// .dockerignore rules, and content digests of what a source names through the store-kept stat cache,
// so an unchanged context is never read twice. Counts file reads, so a no-op rebuild can show none.
import { nodeFs, openContext, type ContextFs, type OpenContextOptions } from '../context/index.js';
import type { ExclusionRules } from '../copy/index.js';
import type { CopyContext } from './dispatch-copy.js';

export interface OpenedContext extends CopyContext {
  /** The Dockerfile as read (path and text); `-f -` gives the caller's text. */
  dockerfile: { path: string; text: string };
  /** Digest of a file or a whole tree (for RUN --mount=type=bind keys). */
  digestPath(rel: string): Promise<string>;
  /** The .dockerignore rules (what RUN --mount binds of the context must not show either). */
  ignore: ExclusionRules;
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
  return {
    dir: ctx.dir,
    dockerfile: { path: ctx.dockerfile.path, text: ctx.dockerfile.text },
    ignore: ctx.ignore,
    get filesRead() {
      return filesRead;
    },
    match: (sources, o) => ctx.match(sources, o),
    sourceSet: (entries) => ctx.sourceSet(entries),
    async digestPath(rel) {
      return ctx.digestPath(rel);
    },
    async close() {},
  };
}

