// The build context as the executor's COPY and bind-mount steps need it, over the context module:
// .dockerignore rules, and content digests of what a source names through the store-kept stat cache,
// so an unchanged context is never read twice. Counts file reads, so a no-op rebuild can show none.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { InternalError } from '../errors.js';
import { nodeFs, openContext, type ContextFs, type OpenContextOptions } from '../context/index.js';
import { copyInto, type UserLookup } from '../copy/index.js';
import type { CopyContext } from './dispatch-copy.js';

export interface OpenedContext extends CopyContext {
  /** The Dockerfile as read (path and text); `-f -` gives the caller's text. */
  dockerfile: { path: string; text: string };
  /** Digest of a file or a whole tree (for RUN --mount=type=bind keys). */
  digestPath(rel: string): Promise<string>;
  /** A context path as a bind-mount source: the path itself, or a filtered copy at `copyDir`. */
  bindSource(rel: string, copyDir: string, writable: boolean): Promise<string>;
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
    get filesRead() {
      return filesRead;
    },
    match: (sources, o) => ctx.match(sources, o),
    entryDigests: (entries) => ctx.entryDigests(entries),
    async digestPath(rel) {
      return ctx.digestPath(rel);
    },
    async bindSource(rel, copyDir, writable) {
      const match = ctx.match([rel]);
      const first = match.sources[0];
      if (!writable && ctx.ignore.patterns.length === 0 && first) return first.entries[0]?.host.toString() ?? ctx.dir;
      // Through the copy module: the same matching (ignore rules, in-context symlinks) as COPY.
      await mkdir(copyDir, { recursive: true });
      const isFile = first !== undefined && first.type !== 'dir';
      const dest = isFile ? `/${first.name}` : '/';
      await copyInto(
        { kind: 'COPY', sources: [rel], dest, workdir: '/' },
        { destRoot: copyDir, source: { kind: 'context', dir: ctx.dir, match }, lookupUser: noUsers },
      );
      return isFile ? path.join(copyDir, first.name) : copyDir;
    },
    async close() {},
  };
}

/** Bind-mount copies keep no --chown: a user lookup is never needed. */
const noUsers: UserLookup = async () => {
  throw new InternalError('a bind-mount copy looked a user up');
};
