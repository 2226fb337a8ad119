// A real store (openStore) on a fresh root per test, closed and removed at teardown.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { openStore, type OpenedStore } from '../../../src/store.js';

export async function tempDir(t: ExecutionContext, prefix = 'tsbuild-reg-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function testStore(t: ExecutionContext): Promise<OpenedStore> {
  const root = join(await tempDir(t), 'root');
  const store = await openStore(root);
  t.teardown(() => store.close());
  return store;
}

/** Every blob digest in the store. */
export async function listBlobs(store: OpenedStore): Promise<string[]> {
  const out: string[] = [];
  for await (const d of store.blobs.list()) out.push(d);
  return out.sort();
}
