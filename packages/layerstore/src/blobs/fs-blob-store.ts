// The blob store: blobs/sha256/<hex> of an OCI image layout. See BlobStore in ../types.ts for the
// contract. A put follows containerd's commit order: temp file (O_EXCL, in this process's tmp
// dir on the same filesystem) → stream with a hashing tap → fsync → verify size and digest →
// lease → rename without replace → fsync the folder. The temp file goes in `finally`.
import { createReadStream, statSync } from 'node:fs';
import { open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, pipeline } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { createHash, randomBytes } from 'node:crypto';
import { StoreError } from '../errors.js';
import { failpoint } from '../failpoints.js';
import { fsx } from '../native.js';
import type { BlobStore, Digest, Expected, PutResult } from '../types.js';
import { blobPath, parseDigest, validateDigest, validateSize } from './digest.js';
import { createHashTap, createVerifyStream } from './verify-stream.js';
import { fsyncDir } from './fsync-dir.js';

export interface BlobStoreDeps {
  /** <root>/blobs/sha256 */
  blobsDir: string;
  /** A folder on the same filesystem that only this process writes into. */
  tmpDir: string;
  /** Records digests as in use by this process before they become visible (GC roots). */
  lease?: (digests: Digest[]) => Promise<void>;
  /** Runs an operation under the store's shared gc lock, so prune cannot run in the middle. */
  guard?: <T>(fn: () => Promise<T>) => Promise<T>;
}

let counter = 0;

export class FsBlobStore implements BlobStore {
  private readonly guard: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The blobs folder fsynced once by this process (putBytes' already-stored path). */
  private dirSynced: Promise<void> | undefined;

  constructor(private readonly deps: BlobStoreDeps) {
    this.guard = deps.guard ?? ((fn) => fn());
  }

  async put(source: Readable | AsyncIterable<Uint8Array>, expected: Expected = {}): Promise<PutResult> {
    if (expected.digest !== undefined) parseDigest(expected.digest);
    if (expected.size !== undefined && !validateSize(expected.size)) {
      throw new StoreError('EINVALIDSIZE', `invalid expected size ${String(expected.size)}`);
    }
    return this.guard(() => this.putUnguarded(source, expected));
  }

  private async putUnguarded(source: Readable | AsyncIterable<Uint8Array>, expected: Expected): Promise<PutResult> {
    const tmp = join(this.deps.tmpDir, `ingest-${++counter}-${randomBytes(6).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o600);
    let closed = false;
    try {
      const tap = createHashTap(expected.size);
      await pipelineAsync(source, tap, async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) await writeAll(fh, chunk);
      });
      await failpoint('blobs.put.afterWrite');
      await fh.sync();
      await failpoint('blobs.put.afterFsync');
      await fh.chmod(0o444);
      await fh.close();
      closed = true;
      const result = { digest: tap.digest(), size: tap.bytes };
      checkExpected(result, expected);
      const final = blobPath(this.deps.blobsDir, result.digest);
      // The lease goes first: from the moment the blob is visible a concurrent prune must see it as in use.
      await this.deps.lease?.([result.digest]);
      await failpoint('blobs.put.beforeRename');
      if (!fsx.renameNoReplace(tmp, final)) await this.settleExisting(tmp, final, result.size);
      await failpoint('blobs.put.afterRename');
      await fsyncDir(this.deps.blobsDir);
      return result;
    } finally {
      if (!closed) await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
    }
  }

  /** Equal digests mean equal bytes, so an existing blob is success, unless it is visibly torn
   *  (wrong size after a power loss): then our verified copy replaces it. */
  private async settleExisting(tmp: string, final: string, size: number): Promise<void> {
    const st = await stat(final).catch(() => undefined);
    if (st && st.size === size) return;
    await rename(tmp, final);
  }

  async putBytes(data: Uint8Array, expected: Expected = {}): Promise<PutResult> {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    // Configs and manifests are small and often already stored (every cached rebuild writes its image
    // again): when the blob is there, at its size, nothing is written or fsynced. Equal digests are equal
    // bytes, and a put only ever renames verified content into place; a torn copy (wrong size after a
    // power loss) goes through the full put, which replaces it.
    const result = { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length };
    if (expected.digest === undefined || expected.digest === result.digest) {
      const stored = await this.guard(async () => {
        const st = statSync(blobPath(this.deps.blobsDir, result.digest), { throwIfNoEntry: false });
        if (!st?.isFile() || st.size !== result.size) return false;
        checkExpected(result, expected);
        await this.deps.lease?.([result.digest]);
        // The writer that renamed it may have died before its folder fsync: what this process goes
        // on to reference (a tag in index.json) must not outlive the blob's name in a power loss.
        // Once per process is enough, and cheap when nothing is pending.
        this.dirSynced ??= fsyncDir(this.deps.blobsDir);
        await this.dirSynced;
        return true;
      });
      if (stored) return result;
    }
    return this.put(Readable.from([bytes]), expected);
  }

  async get(digest: Digest, opts: { size?: number } = {}): Promise<Readable> {
    const path = blobPath(this.deps.blobsDir, digest);
    return this.guard(async () => {
      const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'ENOENT' ? notFound(digest) : e;
      });
      await this.deps.lease?.([digest]);
      const file = createReadStream('', { fd: fh, highWaterMark: 1024 * 1024 });
      // Callback pipeline returns the last stream; any failure (EINTEGRITY at the end) destroys it.
      return pipeline(file, createVerifyStream({ digest, size: opts.size }), () => undefined);
    });
  }

  async getBytes(digest: Digest, maxBytes: number): Promise<Buffer> {
    const path = blobPath(this.deps.blobsDir, digest);
    return this.guard(async () => {
      const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'ENOENT' ? notFound(digest) : e;
      });
      if (st.size > maxBytes) {
        throw new StoreError('ETOOLARGE', `blob ${digest} is ${st.size} bytes, more than the ${maxBytes} allowed here`, {
          details: { digest, size: st.size, limit: maxBytes },
        });
      }
      const data = await readFile(path);
      const actual = `sha256:${createHash('sha256').update(data).digest('hex')}`;
      if (actual !== digest) {
        throw new StoreError('EINTEGRITY', `blob ${digest} failed verification: content hashes to ${actual}`, { details: { digest } });
      }
      await this.deps.lease?.([digest]);
      return data;
    });
  }

  async stat(digest: Digest): Promise<{ size: number } | undefined> {
    // Synchronous: one stat is cheaper than a thread-pool round trip (every cached step asks).
    const st = statSync(blobPath(this.deps.blobsDir, digest), { throwIfNoEntry: false });
    return st?.isFile() ? { size: st.size } : undefined;
  }

  /** Removes a blob. Not guarded: prune calls it under the exclusive lock; others must know it is unused. */
  async delete(digest: Digest): Promise<void> {
    await unlink(blobPath(this.deps.blobsDir, digest)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }

  async *list(): AsyncIterable<Digest> {
    const names = await readdir(this.deps.blobsDir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const d = `sha256:${name}`;
      if (validateDigest(d)) yield d;
    }
  }

  /** Makes the path of a blob (for tools that need one, e.g. hardlinking into an export dir). */
  path(digest: Digest): string {
    return blobPath(this.deps.blobsDir, digest);
  }
}

function checkExpected(actual: PutResult, expected: Expected): void {
  if (expected.size !== undefined && actual.size !== expected.size) {
    throw new StoreError('EBADSIZE', `blob is ${actual.size} bytes, expected ${expected.size}`, {
      details: { expected: expected.size, actual: actual.size, digest: expected.digest },
    });
  }
  if (expected.digest !== undefined && actual.digest !== expected.digest) {
    throw new StoreError('EINTEGRITY', `blob content hashes to ${actual.digest}, expected ${expected.digest}`, {
      details: { expected: expected.digest, actual: actual.digest },
    });
  }
}

function notFound(digest: Digest): StoreError {
  return new StoreError('ENOTFOUND', `blob ${digest} is not in the store`, { details: { digest } });
}

async function writeAll(fh: import('node:fs/promises').FileHandle, chunk: Buffer): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}

