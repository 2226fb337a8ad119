// Pure edits of an image config, one per Dockerfile metadata instruction, with Docker's rules
// (ENV replaces a name in place, ENTRYPOINT drops an inherited CMD, WORKDIR is relative to the last).
import path from 'node:path/posix';
import type { ContainerConfig, HealthConfig, HistoryEntry, ImageConfig, Platform } from '@tsbuild/layerstore';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The config of `FROM scratch`: BuildKit gives it the default PATH. */
export function scratchConfig(platform: Platform): ImageConfig {
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Env: [`PATH=${DEFAULT_PATH}`] },
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
}

/** A deep copy, so a stage never edits its base's (or a cached) config object. */
export function cloneConfig(c: ImageConfig): ImageConfig {
  return structuredClone(c);
}

/** The value of NAME in an Env list ("NAME=value"), or undefined. */
export function getEnv(env: readonly string[] | undefined, name: string): string | undefined {
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if ((i < 0 ? e : e.slice(0, i)) === name) return i < 0 ? '' : e.slice(i + 1);
  }
  return undefined;
}

/** Sets NAME=value, replacing an existing NAME where it stands (Docker keeps the order). */
export function setEnv(cc: ContainerConfig, name: string, value: string): void {
  const env = cc.Env ?? [];
  const i = env.findIndex((e) => e === name || e.startsWith(`${name}=`));
  if (i >= 0) env[i] = `${name}=${value}`;
  else env.push(`${name}=${value}`);
  cc.Env = env;
}

export function setLabels(cc: ContainerConfig, labels: [string, string][]): void {
  cc.Labels = { ...(cc.Labels ?? {}) };
  for (const [k, v] of labels) cc.Labels[k] = v;
}

/** EXPOSE 80 → "80/tcp"; "53/udp" kept; protocol lower-cased like Docker. */
export function addExposedPorts(cc: ContainerConfig, ports: string[]): void {
  cc.ExposedPorts = { ...(cc.ExposedPorts ?? {}) };
  for (const p of ports) {
    const [port, proto] = p.split('/');
    cc.ExposedPorts[`${port}/${(proto ?? 'tcp').toLowerCase()}`] = {};
  }
}

export function addVolumes(cc: ContainerConfig, volumes: string[]): void {
  cc.Volumes = { ...(cc.Volumes ?? {}) };
  for (const v of volumes) cc.Volumes[v] = {};
}

/** WORKDIR: relative paths join the current one; the result is clean and absolute. */
export function resolveWorkdir(current: string | undefined, dir: string): string {
  return path.resolve(current || '/', dir);
}

/** ENTRYPOINT resets an inherited CMD unless a CMD was set earlier in the same stage (BuildKit). */
export function setEntrypoint(cc: ContainerConfig, entrypoint: string[], cmdSetInStage: boolean): void {
  cc.Entrypoint = entrypoint;
  if (!cmdSetInStage) cc.Cmd = null;
}

export function setHealthcheck(cc: ContainerConfig, hc: HealthConfig): void {
  cc.Healthcheck = hc;
}

export function addOnBuild(cc: ContainerConfig, trigger: string): void {
  cc.OnBuild = [...(cc.OnBuild ?? []), trigger];
}

/** Appends a history entry; `emptyLayer` entries carry no layer. */
export function addHistory(c: ImageConfig, entry: HistoryEntry): void {
  c.history = [...(c.history ?? []), entry];
}

/** The shell a shell-form instruction runs through: SHELL, else /bin/sh -c. */
export function shellOf(cc: ContainerConfig): string[] {
  return cc.Shell && cc.Shell.length > 0 ? cc.Shell : ['/bin/sh', '-c'];
}
