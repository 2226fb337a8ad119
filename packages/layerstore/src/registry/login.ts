// login/logout: check credentials against the registry, then keep them where docker keeps them
// (credHelpers / credsStore helper, else config.json `auths`, written 0600 and atomically).
import { StoreError } from '../errors.js';
import { RegistryClient } from './client.js';
import { helperErase, helperStore } from './cred-helper.js';
import { dockerConfigPath, readDockerConfig, serverKey, writeDockerConfig, type DockerConfigFile } from './docker-config.js';
import { discard } from './http.js';
import type { LoginOptions, TransportOptions } from './options.js';
import { DEFAULT_REGISTRY } from './reference.js';

/** "https://index.docker.io/v1/" → "docker.io"; "https://host:5000/x" → "host:5000". */
export function normalizeRegistry(input: string): string {
  const host = input.trim().replace(/^https?:\/\//, '').split('/')[0] ?? '';
  if (host === '' || /[\s@]/.test(host)) {
    throw new StoreError('EREFERENCE', `"${input}" is not a registry host`, { details: { reason: 'invalid-domain' } });
  }
  return ['index.docker.io', 'registry-1.docker.io', DEFAULT_REGISTRY].includes(host) ? DEFAULT_REGISTRY : host.toLowerCase();
}

function helperFor(config: DockerConfigFile, registry: string): string | undefined {
  const helper = config.credHelpers?.[registry] ?? config.credsStore;
  return typeof helper === 'string' && helper !== '' ? helper : undefined;
}

function keysFor(config: DockerConfigFile, registry: string): string[] {
  return Object.keys(config.auths ?? {}).filter((k) => normalizeRegistry(k) === registry);
}

/** Verifies the credentials (GET /v2/ with them, token flow included) unless opts.verify is false, then saves them. */
export async function login(registry: string, username: string, password: string, opts: LoginOptions = {}): Promise<void> {
  const reg = normalizeRegistry(registry);
  if (username === '' || password === '') throw new StoreError('EAUTH', 'a username and a password are required', { details: { reason: 'no-credentials' } });
  if (opts.verify !== false) {
    const client = new RegistryClient(reg, { ...opts, auth: { username, password } });
    const res = await client.request({ method: 'GET', target: '/v2/', scopes: [], expect: [200], what: 'login' });
    await discard(res.body);
  }
  const path = dockerConfigPath(opts.dockerConfigDir);
  const config = await readDockerConfig(path);
  const helper = helperFor(config, reg);
  if (helper !== undefined) {
    await helperStore(helper, serverKey(reg), username, password);
    // docker leaves an empty entry so `docker info` lists the registry; keep that habit.
    config.auths = { ...config.auths, [serverKey(reg)]: {} };
  } else {
    const auths = { ...config.auths };
    for (const k of keysFor(config, reg)) delete auths[k];
    auths[serverKey(reg)] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
    config.auths = auths;
  }
  await writeDockerConfig(path, config);
}

/** Forgets the registry's credentials; returns false when there were none. */
export async function logout(registry: string, opts: Pick<TransportOptions, 'dockerConfigDir'> = {}): Promise<boolean> {
  const reg = normalizeRegistry(registry);
  const path = dockerConfigPath(opts.dockerConfigDir);
  const config = await readDockerConfig(path);
  const helper = helperFor(config, reg);
  if (helper !== undefined) await helperErase(helper, serverKey(reg));
  const keys = keysFor(config, reg);
  if (keys.length === 0) return helper !== undefined;
  const auths = { ...config.auths };
  for (const k of keys) delete auths[k];
  config.auths = auths;
  await writeDockerConfig(path, config);
  return true;
}
