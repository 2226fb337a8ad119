// RUN --mount → the runner's MountSpecs, plus the setup and teardown around one run. The whole public
// surface of src/mounts/ (see docs/copy.md, "RUN --mount").
//
// The executor, for one RUN with mounts:
//   1. mounts an overlay view of the step's rootfs (lowers + the step's upper dir) with the runner's
//      MountSession and passes it as `rootView` (targets are resolved there, through the image's
//      symlinks in-root; missing targets are created there, so the stubs land in the upper dir);
//   2. unmounts that view, runs the step with `prepared.mounts` and `prepared.env`;
//   3. once no process of the step is left, calls `prepared.release()`: stubs are removed from the
//      upper dir (CVE-2024-23652-safe), cache locks released, copies and secret files deleted.
//   With a plain-directory rootfs, pass the same dir as `rootView` and `upperDir`.
import path from 'node:path';
import type { MountSpec } from '@tsbuild/runner';
import { BuildError } from '../errors.js';
import type { ExclusionRules } from '../context/index.js';
import type { RunMount } from '../instructions/types.js';
import { openBindSource, seedCache } from './bind.js';
import { openCacheMount } from './cache.js';
import { openSecret, type SecretSource } from './secret.js';
import { prepareTarget, removeStubs, type Stub } from './stubs.js';

export { cacheDirOf } from './cache.js';
export { prepareTarget, removeStubs, removeTargetStubs, type Stub, type PreparedTarget } from './stubs.js';
export type { SecretSource } from './secret.js';

export interface MountEnv {
  /** Host path of a view of the step's rootfs (overlay merged view, or the rootfs dir itself). */
  rootView: string;
  /** Where stubs are removed after the run: the step's overlay upper dir (default: rootView). */
  upperDir?: string;
  /** The stage's WORKDIR: relative targets are relative to it. */
  workdir: string;
  contextDir: string;
  /** The context's .dockerignore rules: ignored files are invisible to context bind mounts too. */
  contextIgnore?: ExclusionRules;
  /** Host dir of the filesystem of a stage or image named by `from=` (a snapshot or merged view). */
  rootOf(from: string): Promise<string>;
  /** The store's `stateDir('cache-mounts')`. */
  cacheDir: string;
  /** Scratch space for this step (rw bind copies, private cache dirs); removed by the work area. */
  scratchDir: string;
  /** `--secret` build options, and the environment `env=` secrets are read from. */
  secrets: readonly SecretSource[];
  env: Record<string, string | undefined>;
}

export interface PreparedMounts {
  /** For RunSpec.mounts: targets are real in-root paths (no image symlink left to follow). */
  mounts: MountSpec[];
  /** For RunSpec.env ("NAME=value" of `env=` secrets): never log or record these. */
  env: string[];
  /** Mount ids for the cache key (`mount:<n>` → spec without secret values). */
  keyInputs: Record<string, string>;
  /**
   * After the run, with no process of the step alive: removes the stubs created for targets, releases
   * cache locks, deletes copies and secret files. Returns the stubs left in place because the step
   * changed them (reported, never forced). Safe to call twice.
   */
  release(): Promise<Stub[]>;
}

/** The mount spec's key text: everything that changes what the step sees, minus secret bytes. */
export function mountKeyOf(m: RunMount): string {
  const { type, target, source, from, readOnly, id, sharing, mode, uid, gid, required, env, sizeBytes } = m;
  return JSON.stringify({ type, target, source, from, readOnly, id, sharing, mode, uid, gid, required, env, sizeBytes });
}

/**
 * Translates and sets up the mounts of one RUN. On failure everything already set up is released.
 * Throws BuildError RUN_MOUNT_* / RUN_SECRET_* codes.
 */
export async function prepareRunMounts(specs: readonly RunMount[], env: MountEnv): Promise<PreparedMounts> {
  const mounts: MountSpec[] = [];
  const envEntries: string[] = [];
  const stubs: Stub[] = [];
  const releases: Array<() => Promise<void> | void> = [];
  const keyInputs: Record<string, string> = {};
  let released: Promise<Stub[]> | undefined;
  const release = (): Promise<Stub[]> =>
    (released ??= (async () => {
      const kept = removeStubs(env.upperDir ?? env.rootView, stubs);
      for (const r of releases.reverse()) await r();
      return kept;
    })());
  try {
    specs.forEach((m, i) => (keyInputs[`mount:${i}`] = mountKeyOf(m)));
    for (const m of specs) {
      const target = m.target === undefined ? undefined : path.posix.resolve('/', env.workdir || '/', m.target);
      const at = (kind: 'dir' | 'file'): string => {
        if (target === undefined) throw new BuildError('RUN_MOUNT_TARGET', `RUN --mount=type=${m.type} needs a target`);
        const p = prepareTarget(env.rootView, target, kind);
        stubs.push(...p.stubs);
        return p.target;
      };
      switch (m.type) {
        case 'cache': {
          const c = await openCacheMount(env.cacheDir, env.scratchDir, m, target ?? '');
          releases.push(c.release);
          // BuildKit: `from=`/`source=` give a new cache its first contents.
          if (c.created && m.from !== undefined) await seedCache(c.dir, m, env);
          mounts.push({ type: 'bind', source: c.dir, target: at('dir'), readonly: m.readOnly });
          break;
        }
        case 'bind': {
          const b = await openBindSource(m, env);
          releases.push(b.release);
          mounts.push({ type: 'bind', source: b.source, target: at(b.kind), readonly: m.readOnly });
          break;
        }
        case 'tmpfs':
          mounts.push({ type: 'tmpfs', target: at('dir'), ...(m.sizeBytes !== undefined ? { sizeBytes: m.sizeBytes } : {}), ...(m.mode !== undefined ? { mode: m.mode } : {}) });
          break;
        case 'secret': {
          const s = openSecret(m, env.secrets, env.env, env.scratchDir);
          if (s === undefined) break;
          releases.push(s.release);
          if (s.envEntry !== undefined) envEntries.push(s.envEntry);
          if (s.file !== undefined) mounts.push({ type: 'bind', source: s.file, target: at('file'), readonly: true });
          break;
        }
        case 'ssh':
          throw new BuildError('RUN_MOUNT_SSH_UNSUPPORTED', 'RUN --mount=type=ssh is not supported: tsbuild does not forward SSH agents', {
            hint: 'fetch private sources before the build (into the context), or use a secret mount with a deploy key',
          });
      }
    }
  } catch (e) {
    await release().catch(() => undefined);
    throw e;
  }
  return { mounts, env: envEntries, keyInputs, release };
}
