// The on-disk layout of a store root, and creating it. The root is an OCI image layout
// (oci-layout, index.json, blobs/sha256/) that skopeo/umoci read as it stands; the other
// folders are ours and ignored by those tools.
import { chmod, mkdir, open, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDir } from './blobs/fsync-dir.js';
import { fsx } from './native.js';
import { stringifyManifest } from './json.js';
import { emptyIndex } from './images/oci-index.js';

export interface StorePaths {
  root: string;
  blobs: string;
  tmp: string;
  snapshots: string;
  layers: string;
  cache: string;
  state: string;
  locks: string;
  procs: string;
  quarantine: string;
}

export function storePaths(root: string): StorePaths {
  return {
    root,
    blobs: join(root, 'blobs', 'sha256'),
    tmp: join(root, 'tmp'),
    snapshots: join(root, 'snapshots'),
    layers: join(root, 'layers'),
    cache: join(root, 'cache'),
    state: join(root, 'state'),
    locks: join(root, 'locks'),
    procs: join(root, 'locks', 'procs'),
    quarantine: join(root, 'quarantine'),
  };
}

/** --root, else TSBUILD_ROOT, else /var/lib/tsbuild for root, else $XDG_DATA_HOME/tsbuild. */
export function defaultRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TSBUILD_ROOT) return env.TSBUILD_ROOT;
  if (process.getuid?.() === 0) return '/var/lib/tsbuild';
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'tsbuild');
}

/** Creates whatever of the layout is missing. Safe to run in many processes at once. */
export async function ensureLayout(p: StorePaths): Promise<void> {
  await mkdir(p.root, { recursive: true, mode: 0o700 });
  // STO-01: nobody but the owner may enter the store (setuid binaries live in snapshots).
  const st = await stat(p.root);
  if ((st.mode & 0o777) !== 0o700) await chmod(p.root, 0o700);
  for (const dir of [p.blobs, p.tmp, p.snapshots, p.layers, p.cache, p.state, p.procs]) await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeIfMissing(p, 'oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeIfMissing(p, 'index.json', stringifyManifest(emptyIndex()));
}

/** Creates root/<name> atomically unless it exists (link-free: rename onto a missing name only). */
async function writeIfMissing(p: StorePaths, name: string, content: string): Promise<void> {
  const target = join(p.root, name);
  if (await stat(target).then(() => true, () => false)) return;
  const tmp = join(p.tmp, `${name}-${randomBytes(6).toString('hex')}`);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    fsx.renameNoReplace(tmp, target);
    await fsyncDir(p.root);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
