// docker-credential-<name> helpers (docker-credential-helpers protocol): `get` reads the server URL on
// stdin and prints {ServerURL, Username, Secret}; `store` reads that JSON; `erase` reads the URL.
// A helper that is configured but missing or failing is a hard error (CVE-2021-41092: never fall back
// to sending something else somewhere else). "credentials not found" means anonymous.
import { spawn } from 'node:child_process';
import { StoreError } from '../errors.js';
import type { Credentials } from './options.js';

const HELPER_NAME = /^[A-Za-z0-9._-]+$/;
const NOT_FOUND = /credentials not found/i;
const TIMEOUT_MS = 30_000;

function run(helper: string, action: 'get' | 'store' | 'erase', input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!HELPER_NAME.test(helper)) {
    return Promise.reject(new StoreError('ECREDHELPER', `invalid credential helper name "${helper}"`, { details: { helper } }));
  }
  const bin = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [action], { stdio: ['pipe', 'pipe', 'pipe'], timeout: TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { if (stdout.length < 1 << 20) stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { if (stderr.length < 1 << 16) stderr += c.toString(); });
    child.on('error', (e: NodeJS.ErrnoException) => {
      const missing = e.code === 'ENOENT';
      reject(new StoreError('ECREDHELPER', missing
        ? `credential helper ${bin} is configured but not installed`
        : `credential helper ${bin} failed to start (${e.code ?? 'error'})`, { cause: e, details: { helper, missing } }));
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** Asks a helper for a server's credentials; undefined when it has none. */
export async function helperGet(helper: string, serverUrl: string): Promise<Credentials | undefined> {
  const { code, stdout } = await run(helper, 'get', serverUrl);
  if (code !== 0) {
    if (NOT_FOUND.test(stdout)) return undefined;
    // The output may echo secrets; it is not included.
    throw new StoreError('ECREDHELPER', `credential helper docker-credential-${helper} failed (exit ${code})`, { details: { helper, exitCode: code } });
  }
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch {
    throw new StoreError('ECREDHELPER', `credential helper docker-credential-${helper} printed invalid JSON`, { details: { helper } });
  }
  const username = typeof parsed.Username === 'string' ? parsed.Username : '';
  const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
  if (secret === '') return undefined;
  return username === '<token>' ? { identityToken: secret } : { username, password: secret };
}

export async function helperStore(helper: string, serverUrl: string, username: string, secret: string): Promise<void> {
  const { code } = await run(helper, 'store', JSON.stringify({ ServerURL: serverUrl, Username: username, Secret: secret }));
  if (code !== 0) throw new StoreError('ECREDHELPER', `credential helper docker-credential-${helper} could not store credentials (exit ${code})`, { details: { helper, exitCode: code } });
}

export async function helperErase(helper: string, serverUrl: string): Promise<void> {
  const { code, stdout } = await run(helper, 'erase', serverUrl);
  if (code !== 0 && !NOT_FOUND.test(stdout)) {
    throw new StoreError('ECREDHELPER', `credential helper docker-credential-${helper} could not erase credentials (exit ${code})`, { details: { helper, exitCode: code } });
  }
}
