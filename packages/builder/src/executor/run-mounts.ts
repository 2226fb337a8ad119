// RUN --mount specs → the runner's bind/tmpfs mounts. Cache mounts live in the store (state dir
// "cache-mounts", one dir per id) so they survive builds and never enter a layer; bind mounts of the
// context or of another stage's files are read-only views (a `rw` bind gets a throwaway copy, so
// writes are discarded as BuildKit does); secrets are files bound read-only and never cached.
import { createHash } from 'node:crypto';
import { chmod, chown, cp, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveInRoot } from '@tsbuild/layerstore';
import type { MountSpec } from '@tsbuild/runner';
import { BuildError } from '../errors.js';
import type { RunMount } from '../instructions/types.js';

export interface SecretSource {
  id: string;
  src?: string;
  env?: string;
}

export interface MountResources {
  /**
   * A host path showing context path `rel` for a bind mount: the context itself when nothing is
   * ignored and the mount is read-only, else a copy at `copyDir` (ignored files left out; writes to
   * a rw mount discarded with it). Throws when `rel` does not exist in the context.
   */
  contextSource(rel: string, copyDir: string, writable: boolean): Promise<string>;
  cacheMountsDir: string;
  scratchDir: string;
  /** A host dir holding the whole filesystem of a stage or image named by `from`. */
  rootOf(from: string): Promise<string>;
  secrets: readonly SecretSource[];
  env: Record<string, string | undefined>;
  /** Serialises `sharing=locked` cache mounts of one id within this process. */
  lockCache(id: string): Promise<() => void>;
}

export interface TranslatedMounts {
  mounts: MountSpec[];
  /** Environment variables to add (secret `env=`). Never recorded anywhere. */
  env: string[];
  /** Mount targets, for removing the stubs the runtime created. */
  targets: string[];
  release(): void;
}

export async function translateMounts(specs: readonly RunMount[], res: MountResources, cwd: string): Promise<TranslatedMounts> {
  const mounts: MountSpec[] = [];
  const env: string[] = [];
  const targets: string[] = [];
  const releases: (() => void)[] = [];
  let n = 0;
  try {
    for (const m of specs) {
      const target = m.target === undefined ? undefined : path.posix.resolve(cwd, m.target);
      if (target) targets.push(target);
      switch (m.type) {
        case 'cache': {
          const id = m.id ?? target ?? '';
          const dir = path.join(res.cacheMountsDir, createHash('sha256').update(id).digest('hex').slice(0, 32));
          await ensureCacheDir(dir, m);
          if (m.sharing === 'locked') releases.push(await res.lockCache(id));
          mounts.push({ type: 'bind', source: dir, target: target as string, readonly: m.readOnly });
          break;
        }
        case 'bind': {
          const copy = path.join(res.scratchDir, `bind-${n++}`);
          if (m.from === undefined) {
            // The context as the build sees it: .dockerignore'd files are not there (fail closed).
            const source = await res.contextSource(m.source ?? '/', copy, !m.readOnly);
            mounts.push({ type: 'bind', source, target: target as string, readonly: m.readOnly });
            break;
          }
          const source = await resolveInRoot(await res.rootOf(m.from), m.source ?? '/');
          await stat(source).catch(() => {
            throw new BuildError('RUN_MOUNT_SOURCE', `--mount source "${m.source ?? '/'}" does not exist in "${m.from}"`);
          });
          // Another stage's files are only visible in the mount session's namespace, which the
          // runner's namespace cannot bind from: they are given as a copy (writes discarded with it).
          await cp(source, copy, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
          mounts.push({ type: 'bind', source: copy, target: target as string, readonly: m.readOnly });
          break;
        }
        case 'tmpfs':
          mounts.push({ type: 'tmpfs', target: target as string, ...(m.sizeBytes ? { sizeBytes: m.sizeBytes } : {}) });
          break;
        case 'secret': {
          const data = await readSecret(m, res);
          if (data === undefined) break;
          if (m.env) env.push(`${m.env}=${data.toString('utf8')}`);
          if (target) {
            const file = path.join(res.scratchDir, `secret-${n++}`);
            await writeFile(file, data, { mode: m.mode ?? 0o400 });
            await chown(file, m.uid ?? 0, m.gid ?? 0);
            mounts.push({ type: 'bind', source: file, target, readonly: true });
          }
          break;
        }
        case 'ssh':
          if (m.required) throw new BuildError('RUN_MOUNT_SSH', 'RUN --mount=type=ssh is not supported by tsbuild yet');
          break;
      }
    }
  } catch (e) {
    for (const r of releases) r();
    throw e;
  }
  return { mounts, env, targets, release: () => releases.forEach((r) => r()) };
}

async function ensureCacheDir(dir: string, m: RunMount): Promise<void> {
  const existed = await stat(dir).then(() => true, () => false);
  if (existed) return;
  await mkdir(dir, { recursive: true });
  await chmod(dir, m.mode ?? 0o755);
  await chown(dir, m.uid ?? 0, m.gid ?? 0);
}

async function readSecret(m: RunMount, res: MountResources): Promise<Buffer | undefined> {
  const id = m.id ?? '';
  const spec = res.secrets.find((s) => s.id === id);
  let data: Buffer | undefined;
  if (spec?.src) data = await readFile(spec.src);
  else if (spec?.env !== undefined && res.env[spec.env] !== undefined) data = Buffer.from(res.env[spec.env] as string);
  else if (spec && res.env[id] !== undefined) data = Buffer.from(res.env[id] as string);
  if (data === undefined && m.required) {
    throw new BuildError('RUN_SECRET_MISSING', `secret "${id}" is required by RUN --mount but was not given (--secret id=${id},src=FILE)`);
  }
  return data;
}
