// Running the real CLI in tests, and getting the busybox base image into a fresh store.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../../../..');
export const bin = path.join(repoRoot, 'packages/builder/bin/tsbuild.js');
const sharedBase = path.resolve(repoRoot, '../shared/conformance/bases/busybox.oci.tar');

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

export function cli(root: string, args: string[], opts: { input?: string; cwd?: string } = {}): CliResult {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [bin, '--root', root, ...args], {
    encoding: 'utf8',
    input: opts.input,
    cwd: opts.cwd,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/**
 * A fresh store holding localhost/busybox:latest: loaded from the shared conformance archive when it is
 * there, else built by tsbuild from the host's static busybox (fixtures/bases).
 */
export function storeWithBase(): string {
  const root = tempDir('tsb-store-');
  if (existsSync(sharedBase)) {
    const r = cli(root, ['load', '-q', '-i', sharedBase, 'localhost/busybox:latest']);
    if (r.code !== 0) throw new Error(`load failed: ${r.err}`);
    return root;
  }
  const ctx = tempDir('tsb-basectx-');
  const mk = spawnSync('bash', [path.join(repoRoot, 'fixtures/bases/make-busybox-context.sh'), ctx], { encoding: 'utf8' });
  if (mk.status !== 0) throw new Error(`make-busybox-context failed: ${mk.stderr}`);
  const r = cli(root, ['build', '-q', '-t', 'localhost/busybox:latest', ctx]);
  if (r.code !== 0) throw new Error(`base build failed: ${r.err}`);
  return root;
}
