// RUN --mount=type=secret: the secret's bytes (from `--secret id=x,src=FILE` or `env=VAR` build options)
// are written to a file in a private 0700 directory on tmpfs (/dev/shm when present) and bound read-only
// at the target (default /run/secrets/<id>); `env=NAME` exposes them as an environment variable instead
// or as well. The bytes never enter a layer, a cache key, a log or an error message: messages name the
// id and the option only.
import { chmodSync, chownSync, closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { BuildError } from '../errors.js';
import type { RunMount } from '../instructions/types.js';

/** A `--secret` build option. */
export interface SecretSource {
  id: string;
  /** Host file holding the secret. */
  src?: string;
  /** Environment variable (of the tsbuild process) holding the secret. */
  env?: string;
}

export interface SecretFile {
  /** Host file to bind read-only, or undefined when only `env=` was asked. */
  file?: string;
  /** "NAME=value" for `env=`. */
  envEntry?: string;
  /** Removes the file and its directory. Safe to call twice. */
  release(): void;
}

function tmpfsBase(scratchDir: string): string {
  try {
    if (statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    // no /dev/shm: fall back below
  }
  return scratchDir || tmpdir();
}

/** The secret's bytes, or undefined when it was not given. Docker's fallback: env var named like the id. */
function readSecret(id: string, secrets: readonly SecretSource[], env: Record<string, string | undefined>): Buffer | undefined {
  const spec = secrets.find((s) => s.id === id);
  if (spec?.src !== undefined) {
    try {
      return readFileSync(spec.src);
    } catch (e) {
      throw new BuildError('RUN_SECRET_UNREADABLE', `secret "${id}": cannot read the file given with --secret id=${id},src=...`, {
        cause: e,
        details: { id },
      });
    }
  }
  const name = spec?.env ?? (spec !== undefined ? id : undefined);
  if (name !== undefined && env[name] !== undefined) return Buffer.from(env[name] as string);
  return undefined;
}

/**
 * Materializes secret mount `m`. Returns undefined when the secret is absent and not required
 * (BuildKit skips such mounts). Throws BuildError RUN_SECRET_MISSING when a required one is absent.
 */
export function openSecret(
  m: RunMount,
  secrets: readonly SecretSource[],
  env: Record<string, string | undefined>,
  scratchDir: string,
): SecretFile | undefined {
  const id = m.id ?? '';
  const data = readSecret(id, secrets, env);
  if (data === undefined) {
    if (m.required === true) {
      throw new BuildError('RUN_SECRET_MISSING', `secret "${id}" is required by RUN --mount but was not given`, {
        hint: `pass it with --secret id=${id},src=FILE or --secret id=${id},env=VAR`,
        details: { id },
      });
    }
    return undefined;
  }
  const envEntry = m.env !== undefined ? `${m.env}=${data.toString('utf8')}` : undefined;
  if (m.target === undefined) return { ...(envEntry !== undefined ? { envEntry } : {}), release: () => undefined };
  const dir = mkdtempSync(`${tmpfsBase(scratchDir)}/tsbuild-secret-`);
  const file = `${dir}/secret`;
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o400);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  chownSync(file, m.uid ?? 0, m.gid ?? 0);
  chmodSync(file, m.mode ?? 0o400); // after chown, which may clear bits; the file is ours (O_EXCL, private dir)
  let released = false;
  return {
    file,
    ...(envEntry !== undefined ? { envEntry } : {}),
    release: () => {
      if (released) return;
      released = true;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
