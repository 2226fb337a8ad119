// A cross-process reader/writer lock on one lock file, shareable by many concurrent operations
// of one process. Shared holders are counted: the first takes LOCK_SH, the last drops it, so
// concurrent operations never unlock each other (flock locks belong to the open file, not to
// the operation). The exclusive side opens its own file so it also excludes this process's
// shared holders.
import { FileLock, Mutex } from './file-lock.js';

export class RwLock {
  private readonly gate = new Mutex();
  private readonly exclusiveGate = new Mutex();
  private holders = 0;
  private sharedFile: FileLock | undefined;

  constructor(readonly path: string) {}

  /** Runs fn while this process holds the lock shared. */
  async shared<T>(fn: () => Promise<T>): Promise<T> {
    await this.gate.run(async () => {
      if (this.holders === 0) {
        this.sharedFile ??= await FileLock.open(this.path);
        // Uncontended (no prune running) the lock is free: take it without a thread-pool round trip.
        if (!this.sharedFile.tryLock('shared')) await this.sharedFile.lock('shared');
      }
      this.holders++;
    });
    try {
      return await fn();
    } finally {
      await this.gate.run(async () => {
        this.holders--;
        if (this.holders === 0) this.sharedFile?.unlock();
      });
    }
  }

  /** Runs fn while holding the lock exclusively (waits for every shared holder, in any process). */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.exclusiveGate.run(async () => {
      const file = await FileLock.open(this.path);
      try {
        await file.lock('exclusive');
        return await fn();
      } finally {
        await file.close();
      }
    });
  }

  async close(): Promise<void> {
    await this.gate.run(async () => {
      await this.sharedFile?.close();
      this.sharedFile = undefined;
      this.holders = 0;
    });
  }
}
