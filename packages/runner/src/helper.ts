// Where the native helper lives, and the spec checks shared by run() and the mount session.
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RunnerError } from './errors.js';

let checked: string | undefined;

/** dist/src/helper.js -> ../../native/tsbuild-sandbox (built by `npm install` / `make -C native`). */
export function helperPath(): string {
  if (checked) return checked;
  const p = process.env.TSBUILD_SANDBOX_HELPER ?? fileURLToPath(new URL('../../native/tsbuild-sandbox', import.meta.url));
  try {
    accessSync(p, constants.X_OK);
  } catch (e) {
    throw new RunnerError('RUNNER_HELPER_MISSING', `sandbox helper ${p} is missing: run "make -C packages/runner/native"`, { cause: e });
  }
  return (checked = p);
}

/** Overlay options are ',' and ':' separated and we pass them unescaped, so such paths are refused. */
export function checkLayerPath(p: string, what: string): void {
  if (!p.startsWith('/') || /[,:\\\n\0]/.test(p)) {
    throw new RunnerError('RUNNER_INVALID_SPEC', `${what} ${JSON.stringify(p)} must be absolute and free of ',', ':', '\\', newlines and NUL`);
  }
}

/**
 * overlayfs refuses a lower dir given twice (ELOOP). An image can hold the same layer twice (two
 * steps that wrote the same bytes, a repeated empty layer), so only the topmost occurrence is kept:
 * the lower one is entirely shadowed by it (the same entries and the same whiteouts above it).
 */
export function distinctLowers(lowerDirs: readonly string[]): string[] {
  return [...new Set(lowerDirs)];
}

/** NUL-terminated key/value strings, the helper's config format. */
export function encodeRecords(pairs: [string, string][]): Buffer {
  const parts: string[] = [];
  for (const [k, v] of pairs) {
    if (v.includes('\0')) throw new RunnerError('RUNNER_INVALID_SPEC', `${k} contains a NUL byte`);
    parts.push(k, v);
  }
  parts.push('end');
  return Buffer.from(parts.join('\0') + '\0');
}
