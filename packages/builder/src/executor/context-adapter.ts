// The build context as the executor's COPY and bind-mount steps need it: .dockerignore rules, and
// content digests of what a source pattern names, through a stat cache kept in the store
// (dev, ino, size, mtime, mode → sha256) so an unchanged context is never read twice.
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Store } from '@tsbuild/layerstore';
import {
  compileExclusions,
  contextSourceRoot,
  resolveSourcePattern,
  type ExclusionRules,
  type SourceDigest,
} from '../copy/index.js';
import type { CopyContext } from './dispatch-copy.js';

const SMALL_FILE = 4 * 1024 * 1024;

export interface OpenedContext extends CopyContext {
  /** Digest of a file or a whole tree (for RUN --mount=type=bind keys). */
  digestPath(rel: string): Promise<string>;
  /** Files whose content was read (not answered by the stat cache) since open. */
  readonly filesRead: number;
  /** Writes the stat cache back to the store. */
  close(): Promise<void>;
}

type CacheEntry = [dev: number, ino: number, size: number, mtimeNs: string, mode: number, digest: string];

export async function openCopyContext(dir: string, dockerfile: string, store: Store): Promise<OpenedContext> {
  const ignore = await readIgnore(dir, dockerfile);
  const stateDir = await store.stateDir('context');
  const cacheFile = path.join(stateDir, `${createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 32)}.json`);
  const stats = new Map<string, CacheEntry>(
    Object.entries(await readFile(cacheFile, 'utf8').then((t) => JSON.parse(t) as Record<string, CacheEntry>, () => ({}))),
  );
  let dirty = false;
  let filesRead = 0;

  const digestFile = async (rel: string, host: string, st: Stats): Promise<string> => {
    const mtimeNs = String(st.mtimeMs);
    const hit = stats.get(rel);
    if (hit && hit[0] === st.dev && hit[1] === st.ino && hit[2] === st.size && hit[3] === mtimeNs && hit[4] === st.mode) return hit[5];
    filesRead++;
    const digest = st.size <= SMALL_FILE ? sha256(readFileSync(host)) : await sha256Stream(host);
    stats.set(rel, [st.dev, st.ino, st.size, mtimeNs, st.mode, digest]);
    dirty = true;
    return digest;
  };

  const entryDigest = async (rel: string, host: string, st: Stats): Promise<string> => {
    if (st.isFile()) return digestFile(rel, host, st);
    if (st.isSymbolicLink()) return sha256(Buffer.from(readlinkSync(host)));
    if (st.isDirectory()) return 'dir';
    return `special:${st.mode}`;
  };

  // Every entry below (and including) a matched item, .dockerignore and --exclude applied.
  const walk = async (rel: string, host: string, st: Stats, excludes: ExclusionRules | undefined, out: SourceDigest[]): Promise<void> => {
    out.push({ path: rel, digest: await entryDigest(rel, host, st), mode: st.mode });
    if (!st.isDirectory()) return;
    for (const d of readdirSync(host, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const childRel = rel === '' ? d.name : `${rel}/${d.name}`;
      const isDir = d.isDirectory();
      const ignored = ignore?.excludedBy(childRel, isDir) ?? excludes?.excludedBy(childRel, isDir);
      if (ignored && !(isDir && (ignore?.hasExceptions() || excludes?.hasExceptions()))) continue;
      const childHost = path.join(host, d.name);
      const cst = lstatSync(childHost);
      if (ignored) {
        await walk(childRel, childHost, cst, excludes, []); // only for re-included descendants
        continue;
      }
      await walk(childRel, childHost, cst, excludes, out);
    }
  };

  const root = contextSourceRoot(dir, ignore);
  return {
    dir,
    ...(ignore ? { ignore } : {}),
    get filesRead() {
      return filesRead;
    },
    async digestSources(patterns, excludes) {
      const ex = excludes.length > 0 ? compileExclusions(excludes) : undefined;
      const out: SourceDigest[] = [];
      for (const p of patterns) {
        for (const item of resolveSourcePattern(root, p)) {
          if (ex?.excludedBy(item.name, item.stat.isDirectory())) continue;
          await walk(item.real, item.host, item.stat, ex, out);
        }
      }
      return out;
    },
    async digestPath(rel) {
      const out: SourceDigest[] = [];
      for (const item of resolveSourcePattern(root, rel)) await walk(item.real, item.host, item.stat, undefined, out);
      return sha256(Buffer.from(JSON.stringify(out.map((s) => [s.path, s.digest, s.mode]))));
    },
    async close() {
      if (!dirty) return;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(Object.fromEntries(stats)));
      await rename(tmp, cacheFile);
    },
  };
}

/** `<Dockerfile>.dockerignore` beside the Dockerfile wins over the context's `.dockerignore`. */
async function readIgnore(dir: string, dockerfile: string): Promise<ExclusionRules | undefined> {
  const candidates = dockerfile === '-' ? [] : [`${dockerfile}.dockerignore`];
  candidates.push(path.join(dir, '.dockerignore'));
  for (const file of candidates) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const lines = text.split(/\r?\n/);
    return exactDirectories(compileExclusions(lines, lines.map((_, i) => i + 1)), dir);
  }
  return undefined;
}

/**
 * Rules whose answer for a directory is final: an excluded directory that still holds a re-included
 * path (`build/*` + `!build/keep/`) is reported as included (its other children are excluded one by
 * one), and one without is excluded outright. So no walker needs `hasExceptions()` to descend into
 * excluded trees, and an excluded directory is never created empty (BuildKit copies it only when
 * something inside is re-included).
 */
function exactDirectories(base: ExclusionRules, dir: string): ExclusionRules {
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

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

async function sha256Stream(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}
