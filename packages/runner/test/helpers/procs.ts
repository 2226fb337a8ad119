// Host-side process and cgroup observations for the limit and cleanup tests.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Host pids whose argv is exactly `argv`. */
export function findProcesses(argv: string[]): number[] {
  const want = argv.join('\0') + '\0';
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8') === want) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(50);
  }
  return cond();
}

/** The v1 cgroup directory runs of this process are created under for a controller (null if v2 or absent). */
export function cgroupParent(controller: string): string | null {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
  return line ? `/sys/fs/cgroup/${controller}${line.split(':')[2].replace(/\/$/, '')}/tsbuild` : null;
}

export function pidsParent(): string | null {
  return cgroupParent('pids');
}

export function ownRunCgroups(parent: string): string[] {
  try {
    return readdirSync(parent).filter((e) => e.startsWith(`run-${process.pid}-`));
  } catch {
    return [];
  }
}

/**
 * Lines of host mountinfo `after` that are not in `before` and concern us: mounted under one of
 * `roots` or naming one of them. Other processes on the machine mount things too (other builds,
 * benches), so the tests compare only what could be ours instead of the whole table.
 */
export function ourNewMounts(before: string, after: string, roots: string[]): string[] {
  const old = new Set(before.split('\n'));
  return after.split('\n').filter((l) => l !== '' && !old.has(l) && roots.some((r) => l.includes(r)));
}
