// A real registry (Debian's docker-registry) on a free loopback port, storage in a temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface LocalRegistry {
  host: string;
  restartEmpty(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.end();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`registry did not listen on 127.0.0.1:${port}`);
}

export async function startRegistry(dir: string): Promise<LocalRegistry> {
  const port = await freePort();
  const storage = path.join(dir, 'storage');
  const config = path.join(dir, 'config.yml');
  mkdirSync(dir, { recursive: true });
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    rmSync(storage, { recursive: true, force: true });
    mkdirSync(storage, { recursive: true });
    child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
    await waitForPort(port, 10_000);
  };
  const stop = async (): Promise<void> => {
    if (!child || child.exitCode !== null) return;
    const c = child;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await start();
  return {
    host: `127.0.0.1:${port}`,
    restartEmpty: async () => {
      await stop();
      await start();
    },
    stop,
  };
}
