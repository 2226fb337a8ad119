// fsync of a folder makes a rename in it durable (containerd syncDir): without it a power loss
// after rename can lose the directory entry.
import { open } from 'node:fs/promises';

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
