// One cgroup per run: limits, OOM detection, and the guarantee that nothing of the step survives.
// cgroup v2 when the unified hierarchy has memory and pids for us, else v1 memory/pids/cpu/devices,
// each under "<our own cgroup>/tsbuild/<run>" so runs stay inside whatever contains tsbuild itself.
// Only the step's payload process joins (see native/init.c), before it can fork.
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RunnerError } from './errors.js';
import type { Limits } from './types.js';
import { isAlive } from './temp-dirs.js';

export interface Hierarchy { version: 1 | 2; controllers: string[]; dir: string }

export interface StepCgroup {
  /** Directories the step's init must join. */
  readonly dirs: string[];
  oomKilled(): Promise<boolean>;
  /** SIGKILL everything in the cgroup until it is empty. */
  kill(): Promise<void>;
  remove(): Promise<void>;
}

let layout: Hierarchy[] | undefined;
let counter = 0;

/** Where our cgroups are, read from /proc/self/mountinfo and /proc/self/cgroup (pure, for tests). */
export interface CgroupPlan {
  /** The unified hierarchy's mount point and our own cgroup's directory in it. */
  v2?: { mountPoint: string; ownDir: string };
  /** v1 memory/pids/cpu/devices, each at "<our cgroup>/tsbuild". */
  v1: Hierarchy[];
}

export function planCgroups(mountinfo: string, procCgroup: string): CgroupPlan {
  const mounts = mountinfo.split('\n').map((l) => l.split(' '));
  const own = new Map<string, string>();
  for (const line of procCgroup.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m) for (const c of m[1] === '' ? ['unified'] : m[1].split(',')) own.set(c, m[2]);
  }
  const mountOf = (pred: (fstype: string, opts: string[]) => boolean): { root: string; point: string } | undefined => {
    for (const f of mounts) {
      const sep = f.indexOf('-');
      if (sep < 0 || !pred(f[sep + 1], (f[sep + 3] ?? '').split(','))) continue;
      return { root: f[3], point: f[4] };
    }
    return undefined;
  };
  // a hierarchy mounted from below its root (containers) shows our path relative to that root
  const join = (m: { root: string; point: string }, cg: string): string =>
    path.join(m.point, m.root !== '/' && cg.startsWith(m.root) ? cg.slice(m.root.length) : cg).replace(/(.)\/+$/, '$1');

  const plan: CgroupPlan = { v1: [] };
  const v2 = mountOf((t) => t === 'cgroup2');
  const unified = own.get('unified');
  if (v2 && unified !== undefined) plan.v2 = { mountPoint: v2.point, ownDir: join(v2, unified) };
  for (const c of ['memory', 'pids', 'cpu', 'devices']) {
    const m = mountOf((t, opts) => t === 'cgroup' && opts.includes(c));
    const cg = own.get(c);
    if (m && cg !== undefined) plan.v1.push({ version: 1, controllers: [c], dir: path.join(join(m, cg), 'tsbuild') });
  }
  return plan;
}

/** The runs' parent under v2: a sibling of our own cgroup, or "/tsbuild" when we are at the root. */
export function v2Parent(mountPoint: string, ownDir: string): string {
  return path.resolve(ownDir) === path.resolve(mountPoint) ? mountPoint : path.dirname(ownDir);
}

/** The hierarchies a step cgroup is made of, found once per process. */
export function detectCgroups(): Hierarchy[] {
  if (layout) return layout;
  const plan = planCgroups(readFileSync('/proc/self/mountinfo', 'utf8'), readFileSync('/proc/self/cgroup', 'utf8'));
  if (plan.v2) {
    const available = safeRead(path.join(plan.v2.ownDir, 'cgroup.controllers')).split(/\s+/);
    if (available.includes('memory') && available.includes('pids')) {
      const controllers = ['memory', 'pids', ...(available.includes('cpu') ? ['cpu'] : [])];
      const dir = enableV2(v2Parent(plan.v2.mountPoint, plan.v2.ownDir), controllers);
      if (dir) return (layout = [{ version: 2, controllers, dir }]);
    }
  }
  return (layout = plan.v1);
}

/**
 * v2's "no internal processes" rule: controllers can only be enabled for the children of a cgroup
 * that has no processes of its own, and tsbuild's own cgroup has one (tsbuild). So the runs' parent
 * is a sibling, "<parent of our cgroup>/tsbuild", where our controllers are already available
 * (they are in our cgroup.controllers because the parent delegates them), or "/tsbuild" at the root.
 * Returns that directory, or null when the controllers cannot be delegated there.
 */
function enableV2(parent: string, controllers: string[]): string | null {
  const dir = path.join(parent, 'tsbuild');
  const want = controllers.map((c) => `+${c}`).join(' ');
  try {
    writeFileSync(path.join(parent, 'cgroup.subtree_control'), want);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'cgroup.subtree_control'), want);
    return dir;
  } catch {
    return null;
  }
}

export async function createStepCgroup(limits: Limits = {}): Promise<StepCgroup> {
  const hs = detectCgroups();
  const names = new Set(hs.flatMap((h) => h.controllers));
  if (!names.has('memory') || !names.has('pids')) {
    throw new RunnerError('RUNNER_CGROUP', 'no usable cgroup hierarchy with the memory and pids controllers (v2 or v1)');
  }
  if (counter === 0) await removeStale(hs).catch(() => undefined);
  const name = `run-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  const dirs: string[] = [];
  const cg: StepCgroup = {
    dirs,
    oomKilled: () => readOom(hs, dirs),
    kill: () => killAll(dirs, hs),
    remove: async () => {
      await killAll(dirs, hs);
      for (const d of dirs) await rmdirRetry(d);
    },
  };
  // synchronous: cgroupfs calls are quick in-kernel work, cheaper than thread-pool round trips
  try {
    for (const h of hs) {
      mkdirSync(h.dir, { recursive: true });
      const dir = path.join(h.dir, name);
      mkdirSync(dir);
      dirs.push(dir);
      applyLimits(h, dir, limits);
    }
  } catch (e) {
    await cg.remove().catch(() => undefined);
    throw e instanceof RunnerError ? e : new RunnerError('RUNNER_CGROUP', `cannot create the step's cgroup: ${(e as Error).message}`, { cause: e });
  }
  return cg;
}

function applyLimits(h: Hierarchy, dir: string, l: Limits): void {
  const set = (file: string, value: string | number): void => writeFileSync(path.join(dir, file), String(value));
  const optional = (fn: () => void, otherwise: () => void = () => undefined): void => {
    try {
      fn();
    } catch {
      otherwise();
    }
  };
  for (const c of h.controllers) {
    if (c === 'memory' && l.memoryBytes !== undefined) {
      const bytes = Math.floor(l.memoryBytes);
      if (h.version === 2) {
        set('memory.max', bytes);
        optional(() => set('memory.swap.max', 0)); // absent without swap accounting
      } else {
        set('memory.limit_in_bytes', bytes);
        // memsw = memory + swap: equal to the memory limit means no swap at all
        optional(() => set('memory.memsw.limit_in_bytes', bytes), () => set('memory.swappiness', 0));
      }
    }
    if (c === 'devices') restrictDevices(dir);
    if (c === 'pids' && l.pids !== undefined) set('pids.max', Math.max(1, Math.floor(l.pids)));
    if (c === 'cpu' && l.cpus !== undefined) {
      const quota = Math.max(1000, Math.round(l.cpus * 100000));
      if (h.version === 2) set('cpu.max', `${quota} 100000`);
      else {
        set('cpu.cfs_period_us', 100000);
        set('cpu.cfs_quota_us', quota);
      }
    }
  }
}

/** Docker's default device allow-list (v1 devices controller): with CAP_MKNOD a step can create any
 * node, so what it may open is decided here; the host's disks, /dev/mem, ... stay closed. */
const ALLOWED_DEVICES = [
  'c *:* m', 'b *:* m', // mknod of anything, so images can still ship device files
  'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', // null zero full random urandom
  'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', // tty console ptmx pts
  'c 10:200 rwm', // tun
];

function restrictDevices(dir: string): void {
  writeFileSync(path.join(dir, 'devices.deny'), 'a');
  for (const rule of ALLOWED_DEVICES) writeFileSync(path.join(dir, 'devices.allow'), rule);
}

async function readOom(hs: Hierarchy[], dirs: string[]): Promise<boolean> {
  for (let i = 0; i < hs.length; i++) {
    if (!hs[i].controllers.includes('memory') || !dirs[i]) continue;
    // v2: memory.events; v1: memory.oom_control (oom_kill since Linux 4.13)
    const file = hs[i].version === 2 ? 'memory.events' : 'memory.oom_control';
    const m = /^oom_kill (\d+)$/m.exec(safeRead(path.join(dirs[i], file)));
    if (m && Number(m[1]) > 0) return true;
  }
  return false;
}

async function killAll(dirs: string[], hs: Hierarchy[]): Promise<void> {
  for (let round = 0; round < 500; round++) {
    let alive = 0;
    for (let i = 0; i < dirs.length; i++) {
      if (hs[i]?.version === 2 && round === 0) {
        try {
          writeFileSync(path.join(dirs[i], 'cgroup.kill'), '1');
        } catch {
          // before Linux 5.14: the pid loop below does it
        }
      }
      const procs = safeRead(path.join(dirs[i], 'cgroup.procs')).split('\n').filter(Boolean);
      for (const pid of procs) {
        alive++;
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    if (alive === 0) return;
    await sleep(round < 20 ? 2 : 20);
  }
  throw new RunnerError('RUNNER_CGROUP', `processes of the step survive SIGKILL in ${dirs.join(', ')}`);
}

async function rmdirRetry(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || i >= 100) throw new RunnerError('RUNNER_CGROUP', `cannot remove cgroup ${dir}: ${code}`, { cause: e });
      await sleep(10);
    }
  }
}

/** Cgroups of tsbuild processes that were SIGKILLed (their pid is gone): emptied and removed. */
async function removeStale(hs: Hierarchy[]): Promise<void> {
  for (const h of hs) {
    let entries: string[] = [];
    try {
      entries = readdirSync(h.dir);
    } catch {
      continue;
    }
    for (const e of entries) {
      const m = /^run-(\d+)-/.exec(e);
      if (!m || isAlive(Number(m[1]))) continue;
      const dir = path.join(h.dir, e);
      await killAll([dir], [h]).catch(() => undefined);
      await rmdirRetry(dir).catch(() => undefined);
    }
  }
}


function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
