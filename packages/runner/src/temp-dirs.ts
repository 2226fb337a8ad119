// Per-run and per-session temp dirs, named with tsbuild's pid so that what a SIGKILLed tsbuild left
// behind (plain files and empty mountpoint dirs: the mounts lived in namespaces that died with it)
// is swept by the next process. Never a recursive rm: if a mount ever leaked onto a mountpoint dir,
// that would walk into a rootfs.
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const swept = new Set<string>();

export async function makeTempDir(kind: 'run' | 'mnt'): Promise<string> {
  if (!swept.has(kind)) {
    swept.add(kind);
    await sweepStale(kind).catch(() => undefined);
  }
  return fs.mkdtemp(path.join(tmpdir(), `tsbuild-${kind}-${process.pid}-`));
}

/** Removes files and then empty directories one level down, then the dir itself. */
export async function removeTempDir(dir: string): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  await Promise.all(entries.map((e) => (e.isDirectory() ? fs.rmdir(path.join(dir, e.name)) : fs.unlink(path.join(dir, e.name))).catch(() => undefined)));
  await fs.rmdir(dir).catch(() => undefined);
}

async function sweepStale(kind: string): Promise<void> {
  const prefix = `tsbuild-${kind}-`;
  for (const name of await fs.readdir(tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue;
    await removeTempDir(path.join(tmpdir(), name));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
