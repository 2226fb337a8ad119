// Real overlay mounts for layer tests (root only). Every mount is undone by the caller's teardown.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export interface Overlay {
  merged: string;
  upper: string;
  unmount(): void;
}

/** Mounts lowers (topmost first) + upper; redirect_dir/metacopy off, as the runner must mount. */
export function mountOverlay(t: { teardown(fn: () => void): void }, lowers: string[], upper: string, scratch: string): Overlay {
  const work = path.join(scratch, 'work');
  const merged = path.join(scratch, 'merged');
  mkdirSync(work, { recursive: true });
  mkdirSync(merged, { recursive: true });
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o',
    `lowerdir=${lowers.join(':')},upperdir=${upper},workdir=${work},redirect_dir=off,metacopy=off,index=off`, merged]);
  let mounted = true;
  const unmount = (): void => {
    if (mounted) execFileSync('umount', [merged]);
    mounted = false;
  };
  t.teardown(unmount);
  return { merged, upper, unmount };
}

/** A read-only view of snapshot dirs (topmost first), e.g. to compare against a flattened image. */
export function mountReadOnly(t: { teardown(fn: () => void): void }, lowers: string[], scratch: string): Overlay {
  const merged = path.join(scratch, 'ro');
  mkdirSync(merged, { recursive: true });
  const lower = lowers.length === 1 ? [...lowers, lowers[0] as string] : lowers;
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${lower.join(':')}`, merged]);
  let mounted = true;
  const unmount = (): void => {
    if (mounted) execFileSync('umount', [merged]);
    mounted = false;
  };
  t.teardown(unmount);
  return { merged, upper: '', unmount };
}
