// flock(2) on a file in <root>/locks/. Kernel locks are released when their holder dies (even
// by SIGKILL), which is what lets recovery tell a dead process's leftovers from a live one's.
// A blocking flock runs on the libuv thread pool (never the event loop); callers keep at most
// one blocking wait per lock file per process (see Mutex) so they cannot exhaust that pool.
import { open, type FileHandle } from 'node:fs/promises';
import { fsx } from '../native.js';

export type LockMode = 'shared' | 'exclusive';

function opOf(mode: LockMode): number {
  return mode === 'shared' ? fsx.LOCK_SH : fsx.LOCK_EX;
}

/** One open lock file. flock locks belong to this open file description. */
export class FileLock {
  private constructor(readonly path: string, private readonly fh: FileHandle) {}

  /** Opens (creating) the lock file; takes no lock yet. */
  static async open(path: string): Promise<FileLock> {
    return new FileLock(path, await open(path, 'a', 0o600));
  }

  /** Opens an existing lock file (ENOENT when absent); used to probe other processes' locks. */
  static async openExisting(path: string): Promise<FileLock> {
    return new FileLock(path, await open(path, 'r'));
  }

  /** Waits for the lock (off the event loop). Converting shared↔exclusive is not atomic. */
  async lock(mode: LockMode): Promise<void> {
    await fsx.flock(this.fh.fd, opOf(mode));
  }

  /** Takes the lock if free; false when another open file holds a conflicting one. */
  tryLock(mode: LockMode): boolean {
    return fsx.flockSync(this.fh.fd, opOf(mode) | fsx.LOCK_NB);
  }

  unlock(): void {
    fsx.flockSync(this.fh.fd, fsx.LOCK_UN);
  }

  /** Closing releases any lock held through it. */
  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** An in-process async mutex: serializes callers so only one of them ever waits in flock. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
