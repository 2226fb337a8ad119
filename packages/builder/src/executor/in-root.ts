// Small in-root queries over a merged rootfs view, using the layer store's in-root resolution.
import { lstat } from 'node:fs/promises';
import { resolveInRoot } from '@tsbuild/layerstore';

/** True when `p` (rootfs-absolute) exists in `root`, following the image's symlinks in-root. */
export async function existsInRoot(root: string, p: string): Promise<boolean> {
  const host = await resolveInRoot(root, p);
  return (await lstat(host).catch(() => undefined)) !== undefined;
}
