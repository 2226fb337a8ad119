// openMountSession(): a helper process in its own mount namespace mounts overlays on request.
// The host reaches them through /proc/<helper>/root/<mountpoint>; no host mount table shows them,
// and they vanish with the helper, which dies with tsbuild (PDEATHSIG).
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { RunnerError } from './errors.js';
import { checkLayerPath, distinctLowers, helperPath } from './helper.js';
import { makeTempDir } from './temp-dirs.js';
import type { MountedRoot, MountSession } from './types.js';
import { clearVolatileMarker } from './volatile.js';

interface Pending { resolve: () => void; reject: (e: Error) => void }

export async function openMountSession(): Promise<MountSession> {
  const helper = helperPath();
  const tmp = makeTempDir('mnt');
  const child = spawn(helper, ['session'], { stdio: ['pipe', 'pipe', 'inherit'], env: {} });
  child.stdin.on('error', () => undefined);
  const pending = new Map<string, Pending>();
  const mounted = new Set<string>();
  let seq = 0;
  let closed = false;
  let ready: (() => void) | undefined;
  let failed: ((e: Error) => void) | undefined;
  const started = new Promise<void>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });

  const fail = (why: string): void => {
    closed = true;
    const err = new RunnerError('RUNNER_MOUNT_SESSION', why);
    failed?.(err);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  child.on('error', (e) => fail(`mount session helper: ${e.message}`));
  child.on('exit', (code, signal) => fail(`mount session helper exited (${code ?? signal})`));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const m = /^(ok|err) (\S+) ?(.*)$/.exec(line);
    if (line === 'ready') return ready?.();
    const p = m ? pending.get(m[2]) : undefined;
    if (!m || !p) return;
    pending.delete(m[2]);
    if (m[1] === 'ok') p.resolve();
    else p.reject(new RunnerError('RUNNER_MOUNT_SESSION', `mount session: ${m[3]}`));
  });
  await started;
  const pid = child.pid as number;

  const request = (words: string[]): Promise<void> => {
    if (closed) return Promise.reject(new RunnerError('RUNNER_MOUNT_SESSION', 'mount session is closed'));
    const id = words[1];
    return new Promise<void>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.stdin.write(words.join('\0') + '\0\0');
    });
  };

  return {
    async mountOverlay(lowerDirs: string[], upperDir: string, workDir: string): Promise<MountedRoot> {
      if (closed) throw new RunnerError('RUNNER_MOUNT_SESSION', 'mount session is closed');
      if (lowerDirs.length === 0) throw new RunnerError('RUNNER_INVALID_SPEC', 'an overlay needs at least one lower dir');
      for (const d of lowerDirs) checkLayerPath(d, 'lower dir');
      checkLayerPath(upperDir, 'upper dir');
      checkLayerPath(workDir, 'work dir');
      const id = String(++seq);
      const mountpoint = path.join(tmp, id);
      await fs.mkdir(mountpoint);
      try {
        await request(['mount', id, mountpoint, upperDir, workDir, ...distinctLowers(lowerDirs)]);
      } catch (e) {
        await fs.rmdir(mountpoint).catch(() => undefined);
        throw e;
      }
      mounted.add(mountpoint);
      let done = false;
      return {
        path: `/proc/${pid}/root${mountpoint}`,
        async unmount(): Promise<void> {
          if (done) return;
          done = true;
          if (!closed) {
            await request(['umount', `u${id}`, mountpoint]);
            clearVolatileMarker(workDir);
          }
          mounted.delete(mountpoint);
          await fs.rmdir(mountpoint).catch(() => undefined);
        },
      };
    },
    async close(): Promise<void> {
      if (!closed) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        closed = true;
        child.stdin.end(); // EOF ends the helper; its namespace and every mount in it go with it
        if (child.exitCode === null && child.signalCode === null) await exited;
      }
      // host-side mountpoints are plain empty dirs: the mounts never existed in our namespace
      for (const m of mounted) await fs.rmdir(m).catch(() => undefined);
      mounted.clear();
      await fs.rmdir(tmp).catch(() => undefined);
    },
  };
}
