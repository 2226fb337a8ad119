// Marking for prune and verify: everything reachable from the roots (tags, cache records,
// leases of live processes) through manifests, indexes and configs. Reads blob files directly
// (not through the guarded BlobStore): the caller already holds the gc lock exclusively.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { blobPath, validateDigest } from '../blobs/digest.js';
import { LIMITS, isObject } from '../json.js';
import type { Digest } from '../types.js';

/** Reads a small blob and returns its JSON if it verifies and parses; otherwise undefined. */
export async function readJsonBlob(blobsDir: string, digest: Digest, maxBytes: number = LIMITS.config): Promise<unknown> {
  const path = blobPath(blobsDir, digest);
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile() || st.size > maxBytes || st.size < 2) return undefined;
  const bytes = await readFile(path).catch(() => undefined);
  if (!bytes || bytes[0] !== 0x7b /* { */) return undefined;
  if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== digest) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The digests a JSON document (manifest, index, config) refers to. */
export function referencesOf(doc: unknown): Digest[] {
  if (!isObject(doc)) return [];
  const out: Digest[] = [];
  const take = (d: unknown) => {
    if (isObject(d) && validateDigest(d.digest)) out.push(d.digest);
  };
  if (Array.isArray(doc.manifests)) doc.manifests.forEach(take);
  if (Array.isArray(doc.layers)) doc.layers.forEach(take);
  take(doc.config);
  take(doc.subject);
  if (isObject(doc.rootfs) && Array.isArray(doc.rootfs.diff_ids)) for (const d of doc.rootfs.diff_ids) if (validateDigest(d)) out.push(d);
  return out;
}

/** The closure of `roots` over references found in JSON blobs. */
export async function markLive(blobsDir: string, roots: Iterable<Digest>): Promise<Set<Digest>> {
  const live = new Set<Digest>();
  const queue = [...roots].filter(validateDigest);
  while (queue.length > 0) {
    const d = queue.pop()!;
    if (live.has(d)) continue;
    live.add(d);
    queue.push(...referencesOf(await readJsonBlob(blobsDir, d)));
  }
  return live;
}
