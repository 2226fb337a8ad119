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
import { ensureDirInRoot, lstatOrUndefined, resolveFollow, rootedOf, type NewDirMeta } from './dest.js';
import { compileExclusions } from './ignore.js';
import { resolveSourcePattern, type SourceItem } from './sources.js';
import { TreeCopier } from './tree.js';
import type { CopyEnv, CopyParams, CopyResult } from './types.js';

const REMOTE = /^(?:[a-z][a-z0-9+.-]*:\/\/|git@)/i;

/** The rooted destination and whether it names a directory. */
export function destOf(dest: string, workdir: string): { path: string; isDir: boolean } {
  const isDir = dest === '' || dest === '.' || dest.endsWith('/') || dest.endsWith('/.');
  const joined = dest.startsWith('/') ? dest : path.posix.join(workdir === '' ? '/' : workdir, dest);
  const clean = path.posix.normalize('/' + joined);
  return { path: clean.length > 1 ? clean.replace(/\/+$/, '') : clean, isDir };
}

function checkRemote(params: CopyParams): void {
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

async function copyUnwrapped(params: CopyParams, env: CopyEnv): Promise<CopyResult> {
  checkRemote(params);
  const destRoot = path.resolve(env.destRoot);
  const dest = destOf(params.dest, params.workdir);
  const contents = params.sourceContents ?? [];
  const owner: Owner | undefined =
    params.chown === undefined ? undefined : await resolveChown(destRoot, params.chown, env.lookupUser);
  const mtime = env.sourceDateEpoch === undefined ? undefined : new Date(env.sourceDateEpoch * 1000);
  const excludes = params.excludes !== undefined && params.excludes.length > 0 ? compileExclusions(params.excludes) : undefined;

  const matched: Array<{ pattern: string; items: SourceItem[] }> = params.sources.map((pattern) => ({
    pattern,
    items: resolveSourcePattern(env.source, pattern).filter((it) => excludes?.excludedBy(it.name, it.stat.isDirectory()) === undefined),
  }));
  const count = matched.reduce((n, m) => n + m.items.length, 0) + contents.length;
  if ((params.sources.length + contents.length > 1 || count > 1) && !dest.isDir) {
    throw new BuildError(
      'COPY_MULTI_DEST_NOT_DIR',
      `${params.kind} with more than one source file needs a directory destination ending in "/" (got ${JSON.stringify(params.dest)})`,
      { hint: `write ${JSON.stringify(params.dest + '/')}`, details: { dest: params.dest, sources: count } },
    );
  }

  const dirMeta: NewDirMeta = { mode: 0o755, ...(owner ? { owner } : {}), ...(mtime ? { mtime } : {}) };
  const copier = new TreeCopier(
    destRoot,
    {
      ...(owner ? { owner } : {}),
      keepSourceOwner: env.source.kind === 'rootfs',
      ...(params.chmod ? { chmod: modeRuleOf(params.chmod) } : {}),
      ...(mtime ? { mtime } : {}),
    },
    { ...(env.source.ignore ? { ignore: env.source.ignore } : {}), ...(excludes ? { exclude: excludes } : {}) },
  );
  // The destination directory (or the parent of a file destination) exists before anything is written.
  if (dest.isDir) ensureDirInRoot(destRoot, dest.path, dirMeta);
  else ensureDirInRoot(destRoot, path.posix.dirname(dest.path), dirMeta);

  const extracted: string[] = [];
  for (const { pattern, items } of matched) {
    for (const item of items) {
      if (params.kind === 'ADD' && params.unpack !== false && item.stat.isFile() && (await isArchive(item.host))) {
        await copier.flush();
        await extract(item, dest.path, destRoot, dirMeta, owner, env);
        extracted.push(dest.path);
        continue;
      }
      if (params.parents === true) copyWithParents(copier, env, item, pivotOf(pattern), dest.path, destRoot, dirMeta);
      else copyItem(copier, item, dest.path, destRoot, dirMeta);
    }
    await copier.flush();
  }
  for (const c of contents) {
    const target = fileTarget(destRoot, dest.path, path.posix.basename(c.path), dirMeta);
    copier.writeContent(target, c.data, new Date());
  }
  const stats = await copier.finish();
  return { stats, extracted, warnings: stats.skipped.map((s) => `${params.kind}: ${s}`) };
}

/**
 * Host path a file named `base` is written at: inside dest when dest is a directory, else dest itself
 * (its symlinks followed in-root, so the parent of where it leads is created if missing, as BuildKit).
 */
function fileTarget(destRoot: string, destPath: string, base: string, dirMeta: NewDirMeta): string {
  const host = resolveFollow(destRoot, destPath);
  if (lstatOrUndefined(host)?.isDirectory() === true) return `${host}/${base}`;
  ensureDirInRoot(destRoot, rootedOf(destRoot, path.dirname(host)), dirMeta);
  return host;
}

function copyItem(copier: TreeCopier, item: SourceItem, destPath: string, destRoot: string, dirMeta: NewDirMeta): void {
  if (item.stat.isDirectory()) {
    const host = resolveFollow(destRoot, destPath);
    const existing = lstatOrUndefined(host);
    if (existing === undefined) ensureDirInRoot(destRoot, rootedOf(destRoot, host), dirMeta);
    copier.copyEntry(item.host, item.stat, host, item.real, '', true);
    return;
  }
  const base = item.name === '' ? '' : path.posix.basename(item.name);
  copier.copyEntry(item.host, item.stat, fileTarget(destRoot, destPath, base, dirMeta), item.real, '', false);
}

/** --parents: dest/<path below the pivot>, intermediate directories made like their sources. */
function copyWithParents(
  copier: TreeCopier,
  env: CopyEnv,
  item: SourceItem,
  pivot: string,
  destPath: string,
  destRoot: string,
  dirMeta: NewDirMeta,
): void {
  const rel = pivot === '' ? item.name : item.name.startsWith(pivot + '/') ? item.name.slice(pivot.length + 1) : item.name;
  let host = ensureDirInRoot(destRoot, destPath, dirMeta);
  const comps = rel === '' ? [] : rel.split('/');
  for (let i = 0; i < comps.length - 1; i++) {
    const srcDir = [pivot, ...comps.slice(0, i + 1)].filter((c) => c !== '').join('/');
    const st = lstatOrUndefined(resolveFollow(env.source.dir, srcDir));
    if (st === undefined || !st.isDirectory()) throw new InternalError(`--parents: source parent ${srcDir} vanished`);
    // Resolve in-root again: the image may already have a symlink there.
    const target = resolveFollow(destRoot, rootedOf(destRoot, `${host}/${comps[i]}`));
    copier.makeDirLike(target, st);
    host = target;
  }
  if (comps.length === 0) {
    copier.copyEntry(item.host, item.stat, host, item.real, '', true);
    return;
  }
  const leaf = `${host}/${comps[comps.length - 1]}`;
  copier.copyEntry(item.host, item.stat, leaf, item.real, '', false);
}

async function extract(
  item: SourceItem,
  destPath: string,
  destRoot: string,
  dirMeta: NewDirMeta,
  owner: Owner | undefined,
  env: CopyEnv,
): Promise<void> {
  if (env.extractTar === undefined) throw new InternalError('ADD of an archive needs CopyEnv.extractTar');
  // BuildKit unpacks into dest as a directory, trailing slash or not.
  const dir = ensureDirInRoot(destRoot, destPath, dirMeta);
  try {
    await env.extractTar(createReadStream(item.host), dir, owner ? { chown: owner } : {});
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'EUNKNOWN';
    throw new BuildError('ADD_EXTRACT_FAILED', `ADD ${item.name}: cannot extract the archive into ${destPath}: ${(e as Error).message}`, {
      cause: e,
      details: { source: item.name, dest: destPath, code },
    });
  }
}
