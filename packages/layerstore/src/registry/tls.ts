// TLS trust for one registry: Node's roots, the system bundle (or SSL_CERT_FILE), NODE_EXTRA_CA_CERTS,
// an explicit caFile, and docker's per-host folder <certsDir>/<host[:port]>/ (*.crt CAs, *.cert/*.key
// client pairs). Passing `ca` to Node replaces its default roots, which is why all of them are listed here.
import { readFile, readdir } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import { StoreError } from '../errors.js';

export const DEFAULT_CERTS_DIR = '/etc/docker/certs.d';
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface TlsSettings {
  ca: string[];
  cert?: string;
  key?: string;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function readRequired(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new StoreError('ETLS', `cannot read ${what} ${path}`, { cause: e, details: { path } });
  }
}

/** The host folder's files, in docker's naming: CA certs end in .crt, client pairs are X.cert + X.key. */
async function readHostDir(dir: string): Promise<{ ca: string[]; cert?: string; key?: string }> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ca: [] };
    throw e;
  }
  const ca: string[] = [];
  let cert: string | undefined;
  let key: string | undefined;
  for (const name of names) {
    if (name.endsWith('.crt')) ca.push(await readRequired(join(dir, name), 'CA certificate'));
    if (name.endsWith('.cert')) {
      const keyName = `${name.slice(0, -'.cert'.length)}.key`;
      if (!names.includes(keyName)) {
        throw new StoreError('ETLS', `client certificate ${join(dir, name)} has no matching ${keyName}`, { details: { path: dir } });
      }
      cert = await readRequired(join(dir, name), 'client certificate');
      key = await readRequired(join(dir, keyName), 'client key');
    }
  }
  return { ca, cert, key };
}

/**
 * NODE_EXTRA_CA_CERTS, as the user set it. The `tsbuild` launcher (packages/builder/bin/tsbuild) passes it
 * on as TSBUILD_NODE_EXTRA_CA_CERTS so that Node does not parse it at every start-up.
 */
export function extraCaFile(): string | undefined {
  return process.env.NODE_EXTRA_CA_CERTS || process.env.TSBUILD_NODE_EXTRA_CA_CERTS || undefined;
}

/** Collects the trust settings for `hostPort` ("host" or "host:port", as in docker's certs.d names). */
export async function loadTlsSettings(hostPort: string, opts: { certsDir?: string; caFile?: string }): Promise<TlsSettings> {
  const ca: string[] = [...rootCertificates];
  const systemBundle = await readOptional(process.env.SSL_CERT_FILE ?? SYSTEM_BUNDLE);
  if (systemBundle !== undefined) ca.push(systemBundle);
  const extraFile = extraCaFile();
  if (extraFile) {
    const extra = await readOptional(extraFile);
    if (extra !== undefined) ca.push(extra);
  }
  if (opts.caFile !== undefined) ca.push(await readRequired(opts.caFile, 'CA file'));
  const hostDir = await readHostDir(join(opts.certsDir ?? DEFAULT_CERTS_DIR, hostPort.replace(/[/\\]/g, '_')));
  ca.push(...hostDir.ca);
  return { ca, cert: hostDir.cert, key: hostDir.key };
}
