// Where blobs were seen: "sha256:…" → ["registry/repository", …], kept in the store's state folder so a
// later push to another repository of the same registry can ask for a cross-repository mount instead of
// uploading. It is a hint only: a lost update costs an upload, never correctness. Bounded in size.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest, Store } from '../types.js';

const FILE = 'blob-sources.json';
const MAX_DIGESTS = 20_000;
const MAX_SOURCES_PER_DIGEST = 8;

type Sources = Record<Digest, string[]>;

// One writer at a time within this process; other processes may race, which only loses hints.
let queue: Promise<unknown> = Promise.resolve();

async function load(path: string): Promise<Sources> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as Sources : {};
  } catch {
    return {};
  }
}

async function filePath(store: Pick<Store, 'stateDir'>): Promise<string> {
  return join(await store.stateDir('registry'), FILE);
}

/** Records that `digests` exist in registry/repository. */
export function recordBlobSources(store: Pick<Store, 'stateDir'>, registry: string, repository: string, digests: Digest[]): Promise<void> {
  const source = `${registry}/${repository}`;
  const run = queue.then(async () => {
    const path = await filePath(store);
    const sources = await load(path);
    for (const d of digests) {
      const list = (sources[d] ?? []).filter((s) => s !== source);
      list.unshift(source);
      sources[d] = list.slice(0, MAX_SOURCES_PER_DIGEST);
    }
    const keys = Object.keys(sources);
    // Oldest insertions go first when the record is full.
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_DIGESTS))) delete sources[k];
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(sources), { mode: 0o600 });
      await rename(tmp, path);
    } finally {
      await rm(tmp, { force: true });
    }
  });
  queue = run.catch(() => undefined);
  return run;
}

/** A repository of `registry` other than `repository` where `digest` was seen, if any. */
export async function findMountSource(store: Pick<Store, 'stateDir'>, registry: string, repository: string, digest: Digest): Promise<string | undefined> {
  const sources = await load(await filePath(store));
  const prefix = `${registry}/`;
  const hit = (sources[digest] ?? []).find((s) => s.startsWith(prefix) && s !== `${registry}/${repository}`);
  return hit?.slice(prefix.length);
}
