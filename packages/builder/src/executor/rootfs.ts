// The root filesystem of a step: an image's layers as overlay lower dirs (the store's snapshots),
// and the cleanup that keeps runtime artefacts (mount-point stubs) out of the step's layer.
import { lstat, mkdir, readdir, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { LayerRef, Store } from '@tsbuild/layerstore';

/**
 * Lower dirs for `layers` (bottom first, as in an image), topmost first as overlayfs wants them.
 * Overlay needs at least one lower: an image without layers (scratch) gets an empty dir.
 */
export async function lowerDirsFor(store: Store, layers: readonly LayerRef[], scratchDir: string): Promise<string[]> {
  if (layers.length === 0) {
    const empty = path.join(scratchDir, 'empty-lower');
    await mkdir(empty, { recursive: true });
    return [empty];
  }
  const dirs = await Promise.all(layers.map((l) => store.layers.snapshot(l)));
  return dirs.reverse();
}

/** The paths (absolute in the rootfs) a run may have created only to mount something on. */
export const RUNTIME_STUBS = ['/etc/hosts', '/etc/resolv.conf', '/etc/hostname', '/proc', '/sys', '/dev'];

/**
 * Removes what the runtime created in `upperDir` only to have a mount point: empty dirs and empty
 * files that no lower dir has, from each target up to the first parent that is real. A mount target
 * that existed in the image stays; anything with content stays (the step wrote it).
 */
export async function removeMountStubs(upperDir: string, lowerDirs: readonly string[], targets: readonly string[]): Promise<void> {
  for (const target of targets) {
    let rel = path.posix.normalize(`/${target}`).slice(1);
    while (rel !== '' && rel !== '.') {
      if (!(await removeIfStub(path.join(upperDir, rel), lowerDirs, rel))) break;
      rel = path.posix.dirname(rel);
      if (rel === '.') break;
    }
  }
}

async function removeIfStub(p: string, lowerDirs: readonly string[], rel: string): Promise<boolean> {
  const st = await lstat(p).catch(() => undefined);
  if (!st) return false;
  for (const lower of lowerDirs) {
    if (await lstat(path.join(lower, rel)).catch(() => undefined)) return false;
  }
  if (st.isDirectory()) {
    if ((await readdir(p)).length > 0) return false;
    await rmdir(p);
    return true;
  }
  if (st.isFile() && st.size === 0) {
    await unlink(p);
    return true;
  }
  return false;
}
