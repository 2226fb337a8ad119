// COPY/ADD into a rootfs: dest rules, then each source through the tree copier (or ADD's extractor).
//
// Destination rules (Dockerfile reference; BuildKit where it is more precise):
// - dest is relative to WORKDIR; "dir/", "." and "" mean "a directory" (created, 0755, --chown owner);
// - more than one source (arguments, heredocs, or wildcard matches) needs a directory dest;
// - a file source onto an existing directory lands inside it, else it is written at dest (the dest
//   path's symlinks, the last one too, resolved in-root); an existing directory is never replaced by a
//   file (COPY_DEST_IS_DIR) nor a file by a directory (COPY_DEST_NOT_DIR);
// - a directory source copies its contents; a missing dest dir is created 0755 with the --chown owner.
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { BuildError, DockerfileError, InternalError, TsbuildError } from '../errors.js';
import { isArchive } from './archive.js';
import { modeRuleOf } from './chmod.js';
import { resolveChown, type Owner } from './chown.js';
import { ensureDirInRoot, lstatOrUndefined, resolveFollow, rootedOf, type DestLinks, type NewDirMeta } from './dest.js';
import { matchInRootfs, parseExcludePatterns, type ExclusionRules } from '../context/index.js';
import { metaOfStats, TreeCopier, type EntryMeta, type HostPath } from './tree.js';
import type { CopyEnv, CopyParams, CopyResult, CopySource } from './types.js';

const REMOTE = /^(?:[a-z][a-z0-9+.-]*:\/\/|git@)/i;

/** The rooted destination and whether it names a directory. */
export function destOf(dest: string, workdir: string): { path: string; isDir: boolean } {
  const isDir = dest === '' || dest === '.' || dest.endsWith('/') || dest.endsWith('/.');
  const joined = dest.startsWith('/') ? dest : path.posix.join(workdir === '' ? '/' : workdir, dest);
  const clean = path.posix.normalize('/' + joined);
  return { path: clean.length > 1 ? clean.replace(/\/+$/, '') : clean, isDir };
}

/**
 * Refuses what tsbuild cannot do before any matching: remote (URL, git) sources, --checksum on local
 * ones. Throws BuildError ADD_REMOTE_UNSUPPORTED, DockerfileError COPY_SOURCE_URL / ADD_CHECKSUM_LOCAL.
 */
export function checkRemote(params: CopyParams): void {
  for (const s of params.sources) {
    if (!REMOTE.test(s)) continue;
    if (params.kind === 'COPY') {
      throw new DockerfileError('COPY_SOURCE_URL', `COPY cannot fetch ${JSON.stringify(s)}: a source cannot be a URL`, {
        hint: 'use ADD for remote files (tsbuild needs them downloaded into the context, see below)',
      });
    }
    throw new BuildError('ADD_REMOTE_UNSUPPORTED', `ADD ${JSON.stringify(s)}: remote sources need network, not supported`, {
      hint: 'download the file (or clone the repository) into the build context and ADD or COPY it from there',
      details: { source: s },
    });
  }
  if (params.checksum !== undefined) {
    throw new DockerfileError('ADD_CHECKSUM_LOCAL', '--checksum only applies to remote (URL) sources', { details: { checksum: params.checksum } });
  }
}

/** Splits "--parents" sources at their "/./" pivot: what is kept below dest is what follows it. */
function pivotOf(pattern: string): string {
  const i = pattern.indexOf('/./');
  if (i < 0) return '';
  return path.posix.normalize('/' + pattern.slice(0, i)).replace(/^\/+/, '').replace(/\/+$/, '');
}

/**
 * Runs one COPY/ADD into `env.destRoot`. Throws BuildError/DockerfileError with COPY_* / ADD_* codes.
 * Nothing here follows a symlink out of `destRoot` or out of the source root.
 */
export async function copyInto(params: CopyParams, env: CopyEnv): Promise<CopyResult> {
  try {
    return await copyUnwrapped(params, env);
  } catch (e) {
    throw asBuildError(params, e);
  }
}

/** Our errors pass; a symlink loop and raw I/O errors become BuildErrors that say what failed. */
function asBuildError(params: CopyParams, e: unknown): unknown {
  if (e instanceof TsbuildError) return e;
  const code = (e as { code?: unknown }).code;
  if (code === 'ELOOP') {
    return new BuildError('COPY_SYMLINK_LOOP', `${params.kind}: too many levels of symlinks resolving a path (a symlink loop)`, { cause: e });
  }
  const syscall = (e as { syscall?: string }).syscall;
  return new BuildError('COPY_IO', `${params.kind} failed: ${typeof code === 'string' ? code : 'error'}${syscall ? ` in ${syscall}` : ''}: ${(e as Error).message}`, {
    cause: e,
    details: { errno: code },
  });
}

/** One matched source, whichever root it came from. */
interface Item {
  /** The source as written (its "/./" pivot matters for --parents). */
  pattern: string;
  /** Path in the source root with symlinks resolved ('' = the root). */
  path: string;
  /** Path as named or matched, before symlinks were resolved: what --parents keeps. */
  named: string;
  /** The name a file gets inside a directory destination (the unresolved base name). */
  name: string;
  host: HostPath;
  meta: EntryMeta;
  /** Context matches list what is below a directory (parents first); rootfs ones are walked. */
  below?: Array<{ host: HostPath; rel: string | Buffer; path: string; meta: EntryMeta }>;
}

/** `base/rel`, as bytes when either part is (names that are not valid UTF-8 stay byte-exact). */
function joinHost(base: HostPath, rel: string | Buffer): HostPath {
  if (typeof base === 'string' && typeof rel === 'string') return `${base}/${rel}`;
  return Buffer.concat([Buffer.from(base), Buffer.from('/'), Buffer.from(rel)]);
}

/** The items of every source, in order: the context's match, or the same matching in a rootfs. */
function itemsOf(source: CopySource, params: CopyParams, excludes: ExclusionRules | undefined): { items: Item[]; warnings: string[] } {
  if (source.kind === 'context') {
    const items = source.match.sources.map((ms): Item => {
      const [root, ...rest] = ms.entries;
      const rootBytes = root.pathBytes ?? Buffer.from(root.path);
      const relOf = (e: MatchedContextEntry): string | Buffer =>
        e.pathBytes === undefined ? e.rel : e.pathBytes.subarray(rootBytes.length + (rootBytes.length > 0 ? 1 : 0));
      return {
        pattern: ms.source,
        path: ms.path,
        named: ms.matchedPath,
        name: ms.name,
        host: root.host,
        meta: metaOfContextEntry(root),
        below: rest.map((e) => ({ host: e.host, rel: relOf(e), path: e.path, meta: metaOfContextEntry(e) })),
      };
    });
    return { items, warnings: source.match.warnings };
  }
  const { matches, warnings } = matchInRootfs(source.dir, source.label, params.sources, excludes ? { exclude: excludes } : {});
  const items = matches.map((m): Item => ({
    pattern: m.source,
    path: m.path,
    named: m.named,
    name: m.named === '' ? '' : path.posix.basename(m.named),
    host: m.host,
    meta: metaOfStats(m.stat),
  }));
  return { items, warnings };
}

function metaOfContextEntry(e: MatchedContextEntry): EntryMeta {
  const meta: EntryMeta = {
    type: e.type,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    mtime: new Date(e.mtimeMs),
    size: e.size,
    // The listing has no link count: every file is tracked by dev:ino, which is what finds hardlinks.
    nlink: 2,
    inode: e.statKey.split(':').slice(0, 2).join(':'),
  };
  if (e.linkTarget !== undefined) meta.linkTarget = e.linkTarget;
  return meta;
}

type MatchedContextEntry = Extract<CopySource, { kind: 'context' }>['match']['entries'][number];

async function copyUnwrapped(params: CopyParams, env: CopyEnv): Promise<CopyResult> {
  checkRemote(params);
  const destRoot = path.resolve(env.destRoot);
  const dest = destOf(params.dest, params.workdir);
  const contents = params.sourceContents ?? [];
  const owner: Owner | undefined =
    params.chown === undefined ? undefined : await resolveChown(destRoot, params.chown, env.lookupUser);
  const mtime = env.sourceDateEpoch === undefined ? undefined : new Date(env.sourceDateEpoch * 1000);
  const excludes = params.excludes !== undefined && params.excludes.length > 0 ? parseExcludePatterns(params.excludes) : undefined;

  const { items, warnings } = itemsOf(env.source, params, excludes);
  const count = items.length + contents.length;
  if ((params.sources.length + contents.length > 1 || count > 1) && !dest.isDir) {
    throw new BuildError(
      'COPY_MULTI_DEST_NOT_DIR',
      `${params.kind} with more than one source file needs a directory destination ending in "/" (got ${JSON.stringify(params.dest)})`,
      { hint: `write ${JSON.stringify(params.dest + '/')}`, details: { dest: params.dest, sources: count } },
    );
  }

  const dirMeta: NewDirMeta = { mode: 0o755, ...(owner ? { owner } : {}), ...(mtime ? { mtime } : {}) };
  const links: DestLinks = env.destIsUpper === true ? 'refuse' : 'follow';
  const copier = new TreeCopier(
    destRoot,
    {
      ...(owner ? { owner } : {}),
      keepSourceOwner: env.source.kind === 'rootfs',
      ...(params.chmod ? { chmod: modeRuleOf(params.chmod) } : {}),
      ...(mtime ? { mtime } : {}),
    },
    // Context listings are already filtered; a rootfs walk applies --exclude itself.
    env.source.kind === 'rootfs' && excludes ? { exclude: excludes } : {},
  );
  // The destination directory (or the parent of a file destination) exists before anything is written.
  if (dest.isDir) ensureDirInRoot(destRoot, dest.path, dirMeta, undefined, links);
  else ensureDirInRoot(destRoot, path.posix.dirname(dest.path), dirMeta, undefined, links);

  const w: Writer = { copier, destRoot, dirMeta, sourceDir: env.source.dir, links };
  const extracted: string[] = [];
  for (const item of items) {
    if (params.kind === 'ADD' && params.unpack !== false && item.meta.type === 'file' && (await isArchive(item.host))) {
      await copier.flush();
      await extract(item, dest.path, w, owner, env);
      extracted.push(dest.path);
      continue;
    }
    if (params.parents === true) copyWithParents(w, item, pivotOf(item.pattern), dest.path);
    else copyItem(w, item, dest.path);
    await copier.flush(); // a later source may overwrite what this one wrote
  }
  for (const c of contents) {
    const target = fileTarget(w, dest.path, path.posix.basename(c.path));
    copier.writeContent(target, c.data, new Date());
  }
  const stats = await copier.finish();
  return { stats, extracted, warnings: [...warnings, ...stats.skipped].map((s) => `${params.kind}: ${s}`) };
}

interface Writer {
  copier: TreeCopier;
  destRoot: string;
  dirMeta: NewDirMeta;
  /** The source root dir (for --parents' intermediate directories). */
  sourceDir: string;
  /** Whether destination paths may follow symlinks (see CopyEnv.destIsUpper). */
  links: DestLinks;
}

/**
 * Host path a file named `base` is written at: inside dest when dest is a directory, else dest itself
 * (its symlinks followed in-root, so the parent of where it leads is created if missing, as BuildKit).
 */
function fileTarget(w: Writer, destPath: string, base: string): string {
  const host = resolveFollow(w.destRoot, destPath, w.links);
  if (lstatOrUndefined(host)?.isDirectory() === true) return `${host}/${base}`;
  ensureDirInRoot(w.destRoot, rootedOf(w.destRoot, path.dirname(host)), w.dirMeta, undefined, w.links);
  return host;
}

/** Writes one item (and what is below it) at host `target`. */
function writeItem(w: Writer, item: Item, target: string, contentsOnly: boolean): void {
  if (item.below === undefined) {
    const st = lstatOrUndefined(item.host);
    if (st === undefined || typeof item.host !== 'string') {
      throw new BuildError('COPY_SOURCE_NOT_FOUND', `${JSON.stringify(item.pattern)} vanished while copying`);
    }
    w.copier.copyEntry(item.host, st, target, item.path, '', contentsOnly);
    return;
  }
  w.copier.copyListed(item.host, item.meta, target, item.path, contentsOnly);
  for (const e of item.below) w.copier.copyListed(e.host, e.meta, joinHost(target, e.rel), e.path, false);
}

function copyItem(w: Writer, item: Item, destPath: string): void {
  if (item.meta.type === 'dir') {
    const host = resolveFollow(w.destRoot, destPath, w.links);
    if (lstatOrUndefined(host) === undefined) ensureDirInRoot(w.destRoot, rootedOf(w.destRoot, host), w.dirMeta, undefined, w.links);
    writeItem(w, item, host, true);
    return;
  }
  writeItem(w, item, fileTarget(w, destPath, item.name), false);
}

/** --parents: dest/<path below the pivot>, intermediate directories made like their sources. */
function copyWithParents(w: Writer, item: Item, pivot: string, destPath: string): void {
  const rel = pivot === '' ? item.named : item.named.startsWith(pivot + '/') ? item.named.slice(pivot.length + 1) : item.named;
  let host = ensureDirInRoot(w.destRoot, destPath, w.dirMeta, undefined, w.links);
  const comps = rel === '' ? [] : rel.split('/');
  for (let i = 0; i < comps.length - 1; i++) {
    const srcDir = [pivot, ...comps.slice(0, i + 1)].filter((c) => c !== '').join('/');
    const st = lstatOrUndefined(resolveFollow(w.sourceDir, srcDir));
    if (st === undefined || !st.isDirectory()) throw new InternalError(`--parents: source parent ${srcDir} vanished`);
    // Resolved in-root again: the image may already have a symlink there.
    const target = resolveFollow(w.destRoot, rootedOf(w.destRoot, `${host}/${comps[i]}`), w.links);
    w.copier.makeDirLike(target, metaOfStats(st));
    host = target;
  }
  if (comps.length === 0) writeItem(w, item, host, true);
  else writeItem(w, item, `${host}/${comps[comps.length - 1]}`, false);
}

async function extract(item: Item, destPath: string, w: Writer, owner: Owner | undefined, env: CopyEnv): Promise<void> {
  if (env.extractTar === undefined) throw new InternalError('ADD of an archive needs CopyEnv.extractTar');
  // BuildKit unpacks into dest as a directory, trailing slash or not.
  const dir = ensureDirInRoot(w.destRoot, destPath, w.dirMeta, undefined, w.links);
  try {
    await env.extractTar(createReadStream(item.host), dir, owner ? { chown: owner } : {});
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'EUNKNOWN';
    throw new BuildError('ADD_EXTRACT_FAILED', `ADD ${item.path || '.'}: cannot extract the archive into ${destPath}: ${(e as Error).message}`, {
      cause: e,
      details: { source: item.path, dest: destPath, code },
    });
  }
}
