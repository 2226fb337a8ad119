// External consumers (skopeo, umoci, oci-image-tool, python3 ocitool.py): found on PATH or not.
// Tests that need one are registered with test.skip when it is missing, with the reason in the title.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import test from 'ava';

const run = promisify(execFile);

export function hasTool(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(`${dir}/${name}`));
}

export const OCITOOL = '/work/shared/conformance/lib/ocitool.py';
export const BUSYBOX = '/work/shared/conformance/bases/busybox.oci.tar';

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
