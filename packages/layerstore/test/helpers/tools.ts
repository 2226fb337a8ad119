// External consumers (skopeo, umoci, oci-image-tool, python3 ocitool.py): found on PATH or not.
// Tests that need one are registered with test.skip when it is missing, with the reason in the title.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import test from 'ava';
import { execFileSync as execFileSyncForBase } from 'node:child_process';
import { fileURLToPath as fileURLToPathForBase } from 'node:url';

const run = promisify(execFile);

export function hasTool(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(`${dir}/${name}`));
}

/** The shared conformance reader (only where ../shared sits beside the clone). */
export const OCITOOL = fileURLToPathForBase(new URL('../../../../../../shared/conformance/lib/ocitool.py', import.meta.url));
/** A busybox base OCI archive: the shared conformance one, else built by tsbuild (fixtures/bases/base-archive.sh). */
export const BUSYBOX = execFileSyncForBase('bash', [fileURLToPathForBase(new URL('../../../../../fixtures/bases/base-archive.sh', import.meta.url))], { encoding: 'utf8' }).trim();

export async function tool(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
}

/** `test` when every tool is on PATH, else `test.skip` with the reason appended to the title. */
export function withTools(...names: string[]): { run: typeof import('ava').default; title: (t: string) => string } {
  const missing = names.filter((n) => !hasTool(n) && !existsSync(n));
  return missing.length === 0
    ? { run: test, title: (t) => t }
    : { run: test.skip as unknown as typeof test, title: (t) => `${t} (skipped: ${missing.join(', ')} not installed)` };
}
