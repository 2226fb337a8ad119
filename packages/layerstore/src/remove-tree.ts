// Removing scratch trees (work areas, a dead process's tmp dir) without ever crossing into a
// mount. A work area may hold an overlay mount or a bind mount of a host folder (`run -v`) that a
// crashed process left behind; `rm -rf` would walk into it and delete host files. So mounts under
// the tree are detached first (umount --lazy; we are root), and if any remains nothing is removed.
import { spawnSync } from 'node:child_process';
import { readFile, realpath, rm } from 'node:fs/promises';
import { StoreError } from './errors.js';

/** Mount points at or under `dir` (this mount namespace), deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const real = await realpath(dir).catch(() => undefined);
  if (real === undefined) return [];
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const prefix = real.endsWith('/') ? real : `${real}/`;
  const points = text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined && p !== '')
    // mountinfo escapes space, tab, newline and backslash as octal.
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === real || p.startsWith(prefix));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** rm -rf that refuses to cross mounts: detaches them first, fails EBUSY if any stays. */
export async function removeTree(dir: string): Promise<void> {
  let mounts = await mountsUnder(dir);
  if (mounts.length > 0) {
    for (const mp of mounts) spawnSync('umount', ['--lazy', mp], { stdio: 'ignore' });
    mounts = await mountsUnder(dir);
    if (mounts.length > 0) {
      throw new StoreError('EBUSY', `${dir} still has ${mounts.length} mount(s) under it; not removing it`, { details: { dir, mounts } });
    }
  }
  await rm(dir, { recursive: true, force: true });
}
