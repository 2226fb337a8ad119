// RunSpec checks and its translation into the helper's config records.
import { RunnerError } from './errors.js';
import { checkLayerPath, distinctLowers } from './helper.js';
import type { EtcFiles } from './etc-files.js';
import type { RunSpec } from './types.js';

export function validateSpec(spec: RunSpec): void {
  const bad = (msg: string): never => {
    throw new RunnerError('RUNNER_INVALID_SPEC', msg);
  };
  if (!Array.isArray(spec.argv) || spec.argv.length === 0 || spec.argv[0] === '') bad('argv must name a command');
  if (!spec.cwd.startsWith('/')) bad(`cwd ${JSON.stringify(spec.cwd)} must be absolute`);
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$/.test(spec.hostname)) bad(`hostname ${JSON.stringify(spec.hostname)} is not a valid host name`);
  if (spec.network !== 'none' && spec.network !== 'host') bad(`network must be "none" or "host"`);
  for (const h of spec.extraHosts ?? []) if (/[\n\0]/.test(h)) bad('extraHosts lines cannot contain newlines');
  for (const e of spec.env) if (!e.includes('=')) bad(`env entry ${JSON.stringify(e)} is not KEY=VALUE`);
  const r = spec.rootfs;
  if (r.type === 'overlay') {
    if (r.lowerDirs.length === 0) bad('an overlay rootfs needs at least one lower dir');
    for (const d of r.lowerDirs) checkLayerPath(d, 'lower dir');
    checkLayerPath(r.upperDir, 'upper dir');
    checkLayerPath(r.workDir, 'work dir');
  } else if (r.type === 'dir') {
    if (!r.path.startsWith('/')) bad('rootfs path must be absolute');
  } else {
    bad('unknown rootfs type');
  }
  for (const m of spec.mounts ?? []) {
    if (!m.target.startsWith('/') || m.target.replace(/\/+$/, '') === '') bad(`mount target ${JSON.stringify(m.target)} must be an absolute path below /`);
    if (m.type === 'bind' && !m.source.startsWith('/')) bad(`bind source ${JSON.stringify(m.source)} must be absolute`);
  }
  const l = spec.limits ?? {};
  for (const [k, v] of Object.entries(l)) if (v !== undefined && (typeof v !== 'number' || !(v > 0))) bad(`limit ${k} must be a positive number`);
}

export function configRecords(spec: RunSpec, mountpoint: string, etc: EtcFiles, cgroups: string[]): [string, string][] {
  const rec: [string, string][] = [['ppid', String(process.pid)], ['mountpoint', mountpoint]];
  const r = spec.rootfs;
  if (r.type === 'overlay') {
    rec.push(['rootfs', 'overlay'], ...distinctLowers(r.lowerDirs).map((d): [string, string] => ['lower', d]), ['upper', r.upperDir], ['work', r.workDir]);
  } else {
    rec.push(['rootfs', 'dir'], ['dir', r.path], ['readonly', r.readonly ? '1' : '0']);
  }
  rec.push(['network', spec.network], ['hostname', spec.hostname]);
  rec.push(['hosts', etc.hosts], ['resolv', etc.resolv], ['hostnamefile', etc.hostname]);
  for (const d of cgroups) rec.push(['cgroup', d]);
  for (const m of spec.mounts ?? []) {
    if (m.type === 'bind') rec.push(['mount', 'bind'], ['msrc', m.source], ['mtgt', trimTarget(m.target)], ['mro', m.readonly ? '1' : '0']);
    else {
      const opts = [`mode=${(m.mode ?? 0o1777).toString(8)}`, ...(m.sizeBytes ? [`size=${Math.floor(m.sizeBytes)}`] : [])];
      rec.push(['mount', 'tmpfs'], ['mtgt', trimTarget(m.target)], ['mopts', opts.join(',')]);
    }
  }
  rec.push(['cwd', spec.cwd]);
  if (spec.tty) rec.push(['tty', '1']);
  for (const a of spec.argv) rec.push(['arg', a]);
  // Without a HOME of its own, the step gets the user's, sent with the credentials (run.ts); an empty
  // HOME entry is then dropped, as runc does.
  const ownHome = hasHome(spec.env);
  for (const e of spec.env) if (ownHome || !e.startsWith('HOME=')) rec.push(['env', e]);
  return rec;
}

/**
 * Whether `env` sets HOME, by runc's rule (libcontainer/env.go prepareEnv): its last HOME entry is
 * not empty. Otherwise the process gets HOME from the user's /etc/passwd entry, "/" without one.
 */
export function hasHome(env: readonly string[]): boolean {
  const last = env.findLast((e) => e.startsWith('HOME='));
  return last !== undefined && last !== 'HOME=';
}

function trimTarget(t: string): string {
  return t.replace(/\/+$/, '');
}
