// Mount stubs leave no trace in the step's diff: the helper removes the stubs themselves, but creating
// one inside a directory that only existed in a lower layer made overlayfs copy that directory up.
// The helper reports such directories; once the overlay is gone we remove each one from the upper
// dir again if it is still an empty real directory whose owner and mode equal the lower one's
// (so a step that wrote into it, or chmod/chowned it, keeps its change).
import { promises as fs } from 'node:fs';
import path from 'node:path';

export async function dropCopyUps(upperDir: string, lowerDirs: string[], rels: string[]): Promise<void> {
  // deepest first, so a parent can become empty after its child went
  const sorted = [...new Set(rels)].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const rel of sorted) {
    const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.length === 0 || parts.includes('..')) continue;
    const upper = await realDir(upperDir, parts);
    if (!upper) continue;
    const entries = await fs.readdir(upper).catch(() => ['?']);
    if (entries.length > 0) continue;
    const lower = await firstLower(lowerDirs, parts);
    if (!lower) continue;
    const [u, l] = await Promise.all([fs.lstat(upper), fs.lstat(lower)]);
    if (u.mode !== l.mode || u.uid !== l.uid || u.gid !== l.gid) continue;
    await fs.rmdir(upper).catch(() => undefined);
  }
}

/** base/parts... if every component is a real directory (no symlink anywhere), else null. */
async function realDir(base: string, parts: string[]): Promise<string | null> {
  let p = base;
  for (const c of parts) {
    p = path.join(p, c);
    const st = await fs.lstat(p).catch(() => null);
    if (!st || !st.isDirectory()) return null;
  }
  return p;
}

async function firstLower(lowerDirs: string[], parts: string[]): Promise<string | null> {
  for (const l of lowerDirs) {
    const p = await realDir(l, parts);
    if (p) return p;
  }
  return null;
}
