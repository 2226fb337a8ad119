// A fresh store root per test, removed afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { openStore, type OpenedStore, type OpenStoreOptions } from '../../src/store.js';

export async function tempDir(t: ExecutionContext, prefix = 'tsbuild-store-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens a store on a fresh root; closed at teardown. */
export async function tempStore(t: ExecutionContext, opts?: OpenStoreOptions): Promise<OpenedStore> {
  const root = join(await tempDir(t), 'root');
  const store = await openStore(root, opts);
  t.teardown(() => store.close());
  return store;
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHashHex(data)}`;
}

import { createHash } from 'node:crypto';
function createHashHex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads a stream fully. */
export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}
