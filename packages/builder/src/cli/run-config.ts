// How docker turns an image config and `run` flags into the process to start (pure).
import type { ContainerConfig } from '@tsbuild/layerstore';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** ENTRYPOINT + (the given command, else CMD); --entrypoint replaces ENTRYPOINT and drops CMD. */
export function containerArgv(cfg: ContainerConfig, command: string[], entrypoint?: string): string[] {
  if (entrypoint !== undefined) return [...(entrypoint === '' ? [] : [entrypoint]), ...command];
  return [...(cfg.Entrypoint ?? []), ...(command.length > 0 ? command : (cfg.Cmd ?? []))];
}

/** The image Env with `overrides` applied, and PATH defaulted as docker does. */
export function containerEnv(imageEnv: string[], overrides: Record<string, string>): string[] {
  const env = new Map<string, string>();
  for (const kv of imageEnv) {
    const eq = kv.indexOf('=');
    env.set(eq < 0 ? kv : kv.slice(0, eq), eq < 0 ? '' : kv.slice(eq + 1));
  }
  for (const [k, v] of Object.entries(overrides)) env.set(k, v);
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  return [...env].map(([k, v]) => `${k}=${v}`);
}
