// A real distribution registry (Debian's docker-registry package: /usr/bin/docker-registry) on a free
// loopback port with a config of our own: storage in a temp dir, optionally TLS and htpasswd auth.
// Started per test and always stopped in teardown (by pid, SIGTERM then SIGKILL).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';

const run = promisify(execFile);
export const REGISTRY_BIN = '/usr/bin/docker-registry';

export async function haveCommand(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export interface RegistryProcess {
  host: string;
  port: number;
  url: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A bcrypt htpasswd line: htpasswd -B (apache2-utils), else Python's crypt with libxcrypt's bcrypt. */
export async function htpasswdLine(user: string, password: string): Promise<string> {
  if (await haveCommand('/usr/bin/htpasswd')) {
    const { stdout } = await run('/usr/bin/htpasswd', ['-Bbn', user, password]);
    return stdout.trim();
  }
  const { stdout } = await run('python3', ['-c', 'import crypt,sys; print(sys.argv[1] + ":" + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH)))', user, password]);
  return stdout.trim();
}

function probe(url: string, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https') ? https : http;
    const req = mod.get(url, { ca, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
  });
}

export async function startRegistry(t: ExecutionContext, dir: string, opts: {
  tls?: { certPath: string; keyPath: string; ca: string };
  htpasswd?: { user: string; password: string };
} = {}): Promise<RegistryProcess> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const lines = [
      'version: 0.1',
      'log:', '  level: error', '  accesslog:', '    disabled: true',
      'storage:', '  filesystem:', `    rootdirectory: ${join(dir, `data-${port}`)}`, '  delete:', '    enabled: true',
      'http:', `  addr: 127.0.0.1:${port}`, `  secret: ${randomBytes(16).toString('hex')}`,
    ];
    if (opts.tls) lines.push('  tls:', `    certificate: ${opts.tls.certPath}`, `    key: ${opts.tls.keyPath}`);
    if (opts.htpasswd) {
      const file = join(dir, 'htpasswd');
      await writeFile(file, `${await htpasswdLine(opts.htpasswd.user, opts.htpasswd.password)}\n`);
      lines.push('auth:', '  htpasswd:', '    realm: tsbuild-test', `    path: ${file}`);
    }
    const config = join(dir, `config-${port}.yml`);
    await writeFile(config, `${lines.join('\n')}\n`);
    const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    t.teardown(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    });
    const url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const status = await probe(`${url}/v2/`, opts.tls?.ca);
        if (status === 200 || status === 401) return { host: `127.0.0.1:${port}`, port, url };
      } catch (e) {
        lastError = e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    lastError = new Error(`docker-registry did not start: ${stderr.slice(-2000)}`);
    child.kill('SIGKILL');
  }
  throw lastError;
}

/** `skopeo inspect` of a reference; returns its JSON. */
export async function skopeoInspect(ref: string, creds?: { user: string; password: string }): Promise<{ Digest: string }> {
  const args = ['inspect', '--tls-verify=false', ...(creds ? ['--creds', `${creds.user}:${creds.password}`] : []), `docker://${ref}`];
  const { stdout } = await run('skopeo', args, { timeout: 60_000 });
  return JSON.parse(stdout) as { Digest: string };
}
