// Applies a hand-built tar into a sandbox root and reports the typed error code, if any.
import { lstatSync, statSync } from 'node:fs';
import { extractTarInto, isStoreError, resolveInRootSync, type ExtractOptions } from '../../../src/index.js';
import { streamOf } from './raw-tar.js';

export async function applyTar(root: string, bytes: Buffer, opts: ExtractOptions = {}): Promise<string | undefined> {
  try {
    await extractTarInto(streamOf(bytes), root, opts);
    return undefined;
  } catch (e) {
    if (!isStoreError(e)) throw e; // only typed errors are acceptable
    return e.code;
  }
}

/** containerd's sameFile: both names resolved in-root (symlinks followed) name one inode. */
export function sameFile(root: string, a: string, b: string): boolean {
  const sa = statSync(resolveInRootSync(root, a));
  const sb = statSync(resolveInRootSync(root, b));
  return sa.dev === sb.dev && sa.ino === sb.ino;
}

export function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
