// Mount targets and the stubs they need. A mount needs its target to exist in the rootfs; when it does
// not, we create it (directories 0755, files empty 0644) through the step's rootfs view, so it lands in
// the overlay upper dir, and after the run we remove exactly what we created so no stub reaches the
// layer. The removal is the CVE-2024-23652 hazard: the step may have replaced a parent of the stub with
// a symlink to a host path. So each stub's parent is re-resolved in-root in the upper dir and must
// still be the very same real directory (BuildKit's `realPath == parent` check), the stub must still be
// what we made (an empty dir / an empty regular file), and nothing is ever followed or force-removed.
import { closeSync, constants, openSync, rmdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { cleanInRoot, resolveInRootSync } from '@tsbuild/layerstore';
import { BuildError } from '../errors.js';
import { ensureDirInRoot, lstatOrUndefined, rootedOf } from '../copy/dest.js';

/** A path we created for a mount, relative to the rootfs (symlink-free at creation time). */
export interface Stub {
  rel: string;
  /** 'any': an empty dir or an empty file, whichever is there (stubs someone else made). */
  kind: 'dir' | 'file' | 'any';
}

export interface PreparedTarget {
  /** The target as a real rooted path (image symlinks already resolved in-root): give this to the runner. */
  target: string;
  /** What was created for it, parents first. */
  stubs: Stub[];
}

/**
 * Makes sure the rooted `target` exists in `rootView` as a directory (`kind: 'dir'`) or a file, creating
 * what is missing. Throws BuildError RUN_MOUNT_TARGET when it exists with the other type.
 */
export function prepareTarget(rootView: string, target: string, kind: 'dir' | 'file'): PreparedTarget {
  const root = path.resolve(rootView);
  const host = resolveInRootSync(root, target);
  const st = lstatOrUndefined(host);
  const rooted = rootedOf(root, host);
  if (st !== undefined) {
    if (st.isDirectory() !== (kind === 'dir')) {
      throw new BuildError('RUN_MOUNT_TARGET', `cannot mount a ${kind === 'dir' ? 'directory' : 'file'} on ${target}: ${rooted} exists in the image as a ${st.isDirectory() ? 'directory' : 'file'}`, {
        details: { target, resolved: rooted },
      });
    }
    return { target: rooted, stubs: [] };
  }
  const created: string[] = [];
  const parent = ensureDirInRoot(root, kind === 'dir' ? rooted : path.posix.dirname(rooted), { mode: 0o755 }, created);
  const stubs: Stub[] = created.map((h) => ({ rel: path.relative(root, h), kind: 'dir' as const }));
  if (kind === 'file') {
    const file = `${parent}/${path.posix.basename(rooted)}`;
    closeSync(openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644));
    stubs.push({ rel: path.relative(root, file), kind: 'file' });
    return { target: rootedOf(root, file), stubs };
  }
  return { target: rootedOf(root, parent), stubs };
}

/**
 * Removes stubs from `root` (the step's upper dir, or the rootfs dir itself), deepest first, each one
 * only when its parent still resolves in-root to the same real path and it is still an empty dir or an
 * empty regular file. Returns the stubs left in place (changed by the step, or unsafe to touch).
 * Call only when no process of the step is alive.
 */
export function removeStubs(root: string, stubs: readonly Stub[]): Stub[] {
  const rootAbs = path.resolve(root);
  const kept: Stub[] = [];
  const ordered = [...stubs].sort((a, b) => b.rel.split('/').length - a.rel.split('/').length);
  for (const s of ordered) {
    const rel = cleanInRoot(s.rel);
    if (rel === '') continue;
    const parentRel = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    const expected = parentRel === '' ? rootAbs : `${rootAbs}/${parentRel}`;
    let parent: string;
    try {
      parent = resolveInRootSync(rootAbs, parentRel);
    } catch {
      kept.push(s);
      continue;
    }
    if (parent !== expected) {
      kept.push(s); // a component became a symlink: never touch what it points at
      continue;
    }
    const pst = lstatOrUndefined(parent);
    if (pst === undefined) continue; // gone, with its parent
    if (!pst.isDirectory()) {
      kept.push(s);
      continue;
    }
    const leaf = `${expected}/${path.posix.basename(rel)}`;
    const st = lstatOrUndefined(leaf);
    if (st === undefined) continue;
    try {
      if (s.kind !== 'file' && st.isDirectory()) rmdirSync(leaf); // fails (kept) when not empty
      else if (s.kind !== 'dir' && st.isFile() && st.size === 0) unlinkSync(leaf);
      else kept.push(s);
    } catch {
      kept.push(s);
    }
  }
  return kept;
}

/**
 * True when `rel` may exist in a lower layer. A lower whose path to `rel` goes through a symlink counts
 * as "may exist": we never follow it (it is a host path) and never remove what we cannot prove is ours.
 */
function inSomeLower(lowerDirs: readonly string[], rel: string): boolean {
  for (const lower of lowerDirs) {
    const root = path.resolve(lower);
    const parentRel = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    const expected = parentRel === '' ? root : `${root}/${parentRel}`;
    let parent: string;
    try {
      parent = resolveInRootSync(root, parentRel);
    } catch {
      return true;
    }
    if (parent !== expected) return true;
    if (lstatOrUndefined(`${expected}/${path.posix.basename(rel)}`) !== undefined) return true;
  }
  return false;
}

/**
 * For stubs someone else created (the runtime's mount points: /etc/resolv.conf, /etc/hosts, mount
 * targets): removes each rooted target, then its parents, from `upperDir` while the entry exists in no
 * lower dir and is an empty dir or empty file, with removeStubs' CVE-2024-23652 checks (parent
 * re-resolved in-root, nothing followed). Returns the targets it left in place.
 */
export function removeTargetStubs(upperDir: string, lowerDirs: readonly string[], targets: readonly string[]): string[] {
  const kept: string[] = [];
  for (const target of targets) {
    let rel = cleanInRoot(target);
    while (rel !== '') {
      if (inSomeLower(lowerDirs, rel)) break;
      if (removeStubs(upperDir, [{ rel, kind: 'any' }]).length > 0) {
        kept.push('/' + rel);
        break;
      }
      rel = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    }
  }
  return kept;
}
