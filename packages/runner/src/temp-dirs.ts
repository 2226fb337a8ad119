// Per-run and per-session temp dirs, named with tsbuild's pid so that what a SIGKILLed tsbuild left
// behind (plain files and empty mountpoint dirs: the mounts lived in namespaces that died with it)
// is swept by the next process. Never a recursive rm: if a mount ever leaked onto a mountpoint dir,
// that would walk into a rootfs. Synchronous on purpose: these are a handful of microsecond syscalls,
// cheaper than thread-pool round trips on the per-run path.
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const swept = new Set<string>();
let base: string | undefined;

/** A tmpfs when there is one (/dev/shm): the per-run files and mountpoint then cost no disk journal
 * writes, which on a busy disk took milliseconds per run. mkdtemp keeps a shared sticky dir safe. */
export function tempBase(): string {
  if (base) return base;
  const env = process.env.TSBUILD_RUNNER_TMPDIR;
  if (env) return (base = env);
  try {
    if (statSync('/dev/shm').isDirectory()) {
      accessSync('/dev/shm', constants.W_OK);
      return (base = '/dev/shm');
    }
  } catch {
    // no usable /dev/shm
  }
  return (base = tmpdir());
}

export function makeTempDir(kind: 'run' | 'mnt'): string {
  if (!swept.has(kind)) {
    swept.add(kind);
    try {
      sweepStale(kind);
    } catch {
      // best effort: a leftover costs disk space, not correctness
    }
  }
  return mkdtempSync(path.join(tempBase(), `tsbuild-${kind}-${process.pid}-`));
}

/** Removes files and then empty directories one level down, then the dir itself. */
export function removeTempDir(dir: string): void {
  let entries: import('node:fs').Dirent[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) quietly(() => (e.isDirectory() ? rmdirSync : unlinkSync)(path.join(dir, e.name)));
  quietly(() => rmdirSync(dir));
}

function sweepStale(kind: string): void {
  const prefix = `tsbuild-${kind}-`;
  for (const name of readdirSync(tempBase())) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    removeTempDir(path.join(tempBase(), name));
  }
}

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // already gone, or not ours to remove
  }
}

/** A zombie counts as dead: it can no longer use what it left behind. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
