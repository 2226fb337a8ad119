// The root filesystem of a step: an image's layers as overlay lower dirs (the store's snapshots),
// and the cleanup that keeps runtime artefacts (mount-point stubs) out of the step's layer.
import { mkdir } from 'node:fs/promises';
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

/** The paths (absolute in the rootfs) the runtime may have created only to mount something on. */
export const RUNTIME_STUBS = ['/etc/hosts', '/etc/resolv.conf', '/etc/hostname', '/proc', '/sys', '/dev'];
