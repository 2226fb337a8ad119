// A real docker-registry for the cross-package tests, and the tsbuild CLI as a child process.
// The registry helpers are the layer store's own (packages/layerstore/test/registry/helpers), loaded
// from its compiled output: test/ compiles to test/dist, so a static relative import cannot name the
// same file from both places (the same reason helpers.ts loads build.js by path).
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import type * as RegistryProcessModule from '../packages/layerstore/test/registry/helpers/registry-process.js';
import type * as CertsModule from '../packages/layerstore/test/registry/helpers/certs.js';
import { REPO } from './helpers.js';

export type { RegistryProcess } from '../packages/layerstore/test/registry/helpers/registry-process.js';
export type { TestCerts } from '../packages/layerstore/test/registry/helpers/certs.js';

const HELPERS = path.join(REPO, 'packages/layerstore/dist/test/registry/helpers');
const registryProcess = (await import(path.join(HELPERS, 'registry-process.js'))) as typeof RegistryProcessModule;
const certs = (await import(path.join(HELPERS, 'certs.js'))) as typeof CertsModule;

export const { startRegistry, skopeoInspect, haveCommand, REGISTRY_BIN } = registryProcess;
export const { makeCerts } = certs;

/** Where startRegistry keeps the registry's storage (its config names it after the port). */
export function registryDataDir(dir: string, port: number): string {
  return path.join(dir, `data-${port}`);
}

/** Missing tools are a CI setup error, not a reason to pass quietly: the test fails naming the packages. */
export async function needRegistryTools(t: ExecutionContext): Promise<boolean> {
  const ok = (await haveCommand(REGISTRY_BIN)) && (await haveCommand('/usr/bin/skopeo'));
  if (!ok) t.fail('install the Debian packages docker-registry and skopeo to run the registry build tests');
  return ok;
}

export const CLI = path.join(REPO, 'packages/builder/bin/tsbuild.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `tsbuild --root ROOT ARGS...` to completion. `env` is added to a copy of ours; DOCKER_CONFIG
 * should always be a temp dir so the machine's ~/.docker never takes part.
 */
export function tsbuild(root: string, args: string[], opts: { env?: Record<string, string>; stdin?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--root', root, ...args], {
      env: { ...process.env, CI: '1', ...opts.env },
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
