// ~/.docker/config.json, read and written the way the docker CLI does, so `docker login` and
// `tsbuild login` share credentials. Lookup order for a registry: credHelpers[registry], then credsStore,
// then auths (base64 "user:password", identitytoken, registrytoken).
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { StoreError } from '../errors.js';
import { helperGet } from './cred-helper.js';
import type { Credentials } from './options.js';
import { DEFAULT_REGISTRY } from './reference.js';

export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  [k: string]: unknown;
}

export interface DockerConfigFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [k: string]: unknown;
}

const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export function dockerConfigPath(dir?: string): string {
  return join(dir ?? process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

/** The key docker uses in `auths` and sends to helpers: docker.io keeps its historical index URL. */
export function serverKey(registry: string): string {
  return registry === DEFAULT_REGISTRY ? 'https://index.docker.io/v1/' : registry;
}

/** docker's ConvertToHostname: "https://host:5000/v1/" → "host:5000". */
function keyHost(key: string): string {
  const host = key.replace(/^https?:\/\//, '').split('/')[0] ?? '';
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? DEFAULT_REGISTRY : host;
}

export async function readDockerConfig(path: string): Promise<DockerConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new StoreError('ECONFIG', `cannot read ${path}`, { cause: e, details: { path } });
  }
  if (text.length > MAX_CONFIG_BYTES) throw new StoreError('ECONFIG', `${path} is too large`, { details: { path } });
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as DockerConfigFile;
  } catch (e) {
    throw new StoreError('ECONFIG', `${path} is not valid JSON`, { cause: e, details: { path } });
  }
}

/** Writes the file atomically with mode 0600 (it holds secrets), keeping fields we do not know. */
export async function writeDockerConfig(path: string, config: DockerConfigFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(config, null, '\t')}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

function entryCredentials(entry: AuthEntry, key: string): Credentials | undefined {
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') return { identityToken: entry.identitytoken };
  if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') return { registryToken: entry.registrytoken };
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new StoreError('ECONFIG', `the auth entry for ${key} in config.json is malformed`, { details: { key } });
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
  return undefined;
}

/** The credentials docker would use for `registry` ("docker.io", "host:port"), or undefined for anonymous. */
export async function lookupCredentials(registry: string, configDir?: string): Promise<Credentials | undefined> {
  const config = await readDockerConfig(dockerConfigPath(configDir));
  const helper = config.credHelpers?.[registry] ?? (registry === DEFAULT_REGISTRY ? config.credHelpers?.['index.docker.io'] : undefined);
  if (typeof helper === 'string' && helper !== '') return helperGet(helper, serverKey(registry));
  if (typeof config.credsStore === 'string' && config.credsStore !== '') return helperGet(config.credsStore, serverKey(registry));
  const auths = config.auths ?? {};
  const exact = auths[serverKey(registry)];
  if (exact) return entryCredentials(exact, serverKey(registry));
  for (const [key, entry] of Object.entries(auths)) {
    if (keyHost(key) === registry) return entryCredentials(entry, key);
  }
  return undefined;
}
