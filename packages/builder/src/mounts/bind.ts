// RUN --mount=type=bind sources. The source path is resolved inside its root (the context dir, or a
// stage's/image's rootfs for `from=`) with every symlink followed in-root, so `source=link` with
// `link -> /` binds that root, never the host's (CVE-2024-1753). Read-only binds use the source as is,
// unless .dockerignore hides something below it (then a filtered copy, since ignored files do not
// exist for the build); `rw` binds get a throwaway copy so the step's writes are discarded (BuildKit).
import { mkdtempSync, readdirSync, rmSync, type Stats } from 'node:fs';
import path from 'node:path';
import { resolveInRootSync } from '@tsbuild/layerstore';
import { BuildError } from '../errors.js';
import { lstatOrUndefined } from '../copy/dest.js';
import type { ExclusionRules } from '../context/index.js';
import { TreeCopier } from '../copy/tree.js';
import type { RunMount } from '../instructions/types.js';

export interface BindSource {
  /** Host path to bind. */
  source: string;
  kind: 'dir' | 'file';
  /** Removes a copy made for the step. Safe to call twice. */
  release(): void;
}

export interface BindRoots {
  contextDir: string;
  contextIgnore?: ExclusionRules;
  rootOf(from: string): Promise<string>;
  scratchDir: string;
}

/** True when some path below `rel` (a directory of the context) is excluded by the rules. */
function hidesSomething(dirHost: string, rel: string, rules: ExclusionRules): boolean {
  for (const d of readdirSync(dirHost, { withFileTypes: true })) {
    const r = rel === '' ? d.name : `${rel}/${d.name}`;
    if (rules.excludedBy(r, d.isDirectory()) !== undefined) return true;
    if (d.isDirectory() && hidesSomething(`${dirHost}/${d.name}`, r, rules)) return true;
  }
  return false;
}

export async function openBindSource(m: RunMount, roots: BindRoots): Promise<BindSource> {
  const fromContext = m.from === undefined;
  const root = path.resolve(fromContext ? roots.contextDir : await roots.rootOf(m.from as string));
  const wanted = m.source ?? '/';
  const ignore = fromContext ? roots.contextIgnore : undefined;
  const host = resolveInRootSync(root, wanted);
  const real = path.relative(root, host);
  const st = lstatOrUndefined(host);
  const hit = ignore?.excludedBy(real, st?.isDirectory() ?? false);
  if (st === undefined || hit !== undefined) {
    const where = fromContext ? 'the build context' : JSON.stringify(m.from);
    throw new BuildError('RUN_MOUNT_SOURCE_NOT_FOUND', `RUN --mount source ${JSON.stringify(wanted)} not found in ${where}${hit ? ` (excluded by .dockerignore line ${hit.line})` : ''}`, {
      details: { source: wanted, ...(m.from !== undefined ? { from: m.from } : {}) },
    });
  }
  const kind = st.isDirectory() ? 'dir' : 'file';
  const filtered = kind === 'dir' && ignore !== undefined && hidesSomething(host, real, ignore);
  if (m.readOnly && !filtered) return { source: host, kind, release: () => undefined };
  return copyForStep(host, st, real, kind, roots.scratchDir, ignore);
}

async function copyForStep(host: string, st: Stats, real: string, kind: 'dir' | 'file', scratchDir: string, ignore?: ExclusionRules): Promise<BindSource> {
  const dir = mkdtempSync(`${scratchDir}/bind-`);
  const release = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const copier = new TreeCopier(dir, { keepSourceOwner: true }, ignore ? { ignore } : {});
    copier.copyEntry(host, st, `${dir}/tree`, real, '', false);
    await copier.finish();
    return { source: `${dir}/tree`, kind, release };
  } catch (e) {
    release();
    throw e;
  }
}

/** Copies `from=`'s `source=` (default its root) into a newly created cache dir, owners kept. */
export async function seedCache(cacheDir: string, m: RunMount, roots: Pick<BindRoots, 'rootOf'>): Promise<void> {
  const root = path.resolve(await roots.rootOf(m.from as string));
  const host = resolveInRootSync(root, m.source ?? '/');
  const st = lstatOrUndefined(host);
  if (st === undefined || !st.isDirectory()) {
    throw new BuildError('RUN_MOUNT_SOURCE_NOT_FOUND', `cache mount source ${JSON.stringify(m.source ?? '/')} is not a directory in ${JSON.stringify(m.from)}`, {
      details: { source: m.source ?? '/', from: m.from },
    });
  }
  const copier = new TreeCopier(cacheDir, { keepSourceOwner: true });
  copier.copyEntry(host, st, cacheDir, path.relative(root, host), '', true);
  await copier.finish();
}
