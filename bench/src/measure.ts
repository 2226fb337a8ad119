// Timing whole commands the way a user meets them: wall time and peak RSS from GNU time.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Sample {
  seconds: number;
  /** Peak resident set of the command's largest process, in MiB. */
  maxRssMiB: number;
}

export interface CommandSpec {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs `cmd` under /usr/bin/time; throws with the command's output when it fails. */
export function measure(cmd: CommandSpec): Sample {
  const out = path.join(os.tmpdir(), `tsbuild-bench-time-${process.pid}`);
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', '-o', out, ...cmd.argv], {
    cwd: cmd.cwd,
    env: { ...process.env, ...cmd.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  // TSBUILD_BENCH_LOG=dir keeps every timed command's output (progress lines say where time went).
  const logDir = process.env.TSBUILD_BENCH_LOG;
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    appendFileSync(path.join(logDir, 'commands.log'), `$ ${cmd.argv.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}\n`);
  }
  if (r.status !== 0) {
    rmSync(out, { force: true });
    throw new Error(`benchmark command failed (exit ${r.status}): ${cmd.argv.join(' ')}\n${(r.stdout ?? '').slice(-2000)}\n${(r.stderr ?? '').slice(-4000)}`);
  }
  const [secs, rssKiB] = readFileSync(out, 'utf8').trim().split(/\s+/).slice(-2).map(Number) as [number, number];
  rmSync(out, { force: true });
  return { seconds: secs, maxRssMiB: rssKiB / 1024 };
}

/** Runs a setup command whose time does not count. */
export function sh(argv: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: { ...process.env, ...opts.env }, encoding: 'utf8', input: opts.input, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`setup command failed (exit ${r.status}): ${argv.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export interface Stats {
  median: number;
  min: number;
  max: number;
}

export function stats(values: number[]): Stats {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]! };
}
