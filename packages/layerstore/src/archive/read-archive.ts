// Streams an image archive (plain or gzip-compressed tar) into the store. Entry names are only
// ever map keys, never paths (EXP-02): blobs/sha256/<hex> entries are put with that digest
// expected (verified), every other file is put with its digest computed, and the few JSON
// documents the formats define are buffered under a size cap. Links become key aliases.
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { StoreError } from '../errors.js';
import { LIMITS } from '../json.js';
import type { BlobStore, Digest } from '../types.js';

export const DOCUMENTS = ['index.json', 'manifest.json', 'oci-layout', 'repositories'] as const;
const MAX_ENTRIES = 100_000;
const BLOB_KEY = /^blobs\/sha256\/([0-9a-f]{64})$/;

export interface ArchiveContents {
  /** key → the blob its bytes were stored as */
  files: Map<string, { digest: Digest; size: number }>;
  /** index.json, manifest.json, oci-layout, repositories */
  documents: Map<string, Buffer>;
  /** key → key it links to */
  links: Map<string, string>;
}

function archiveError(message: string, details: Record<string, unknown> = {}): StoreError {
  return new StoreError('EARCHIVE', message, { details });
}

/** "./a//b/" → "a/b"; "" for names that are nothing. A map key, not a path. */
export function entryKey(name: string): string {
  return posix.normalize(`/${name}`).replace(/^\/+/, '').replace(/\/+$/, '');
}

/** Follows link aliases (bounded) to the key whose content was stored. */
export function lookupFile(c: ArchiveContents, key: string): { digest: Digest; size: number } | undefined {
  let k = entryKey(key);
  for (let hops = 0; hops < 16; hops++) {
    const f = c.files.get(k);
    if (f) return f;
    const next = c.links.get(k);
    if (next === undefined) return undefined;
    k = next;
  }
  return undefined;
}

/** The tar parser's own errors (bad header, truncated entry) say the archive is broken, not tsbuild. */
function asArchiveError(e: unknown): unknown {
  if (e instanceof StoreError || !(e instanceof Error)) return e;
  if (/tar|header|unexpected end|gzip|zlib|incorrect header check|premature close/i.test(e.message) || (e as { code?: string }).code?.startsWith('Z_')) {
    return new StoreError('EARCHIVE', `the archive is not a readable tar: ${e.message}`, { cause: e });
  }
  return e;
}

export async function readArchive(source: Readable, blobs: BlobStore): Promise<ArchiveContents> {
  const contents: ArchiveContents = { files: new Map(), documents: new Map(), links: new Map() };
  const extract = tar.extract();
  const feeding = pipeline(source, gunzipIfNeeded, extract);
  // Awaited after the entries are consumed; until then a truncated input must not be an unhandled rejection.
  feeding.catch(() => undefined);
  let count = 0;
  const seen = new Set<string>();
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const key = entryKey(h.name);
      if (++count > MAX_ENTRIES) throw archiveError(`archive has more than ${MAX_ENTRIES} entries`, { limit: MAX_ENTRIES });
      if (h.type === 'directory' || key === '') {
        entry.resume();
        continue;
      }
      if (seen.has(key)) throw archiveError(`archive has two entries named ${JSON.stringify(key)}`, { name: key });
      seen.add(key);
      if (h.type === 'symlink' || h.type === 'link') {
        const target = h.type === 'symlink' ? posix.join(posix.dirname(key), h.linkname ?? '') : h.linkname ?? '';
        contents.links.set(key, entryKey(target));
        entry.resume();
        continue;
      }
      if (h.type !== 'file' && h.type !== 'contiguous-file') throw archiveError(`archive entry ${JSON.stringify(key)} has type ${h.type}`, { name: key, type: h.type });
      if ((DOCUMENTS as readonly string[]).includes(key)) {
        contents.documents.set(key, await readCapped(entry as unknown as Readable, h.size ?? 0, LIMITS.index, key));
        continue;
      }
      const m = BLOB_KEY.exec(key);
      const expected = m ? { digest: `sha256:${m[1]}`, size: h.size } : { size: h.size };
      contents.files.set(key, await blobs.put(entry as unknown as Readable, expected));
    }
    await feeding;
  } catch (e) {
    extract.destroy();
    await feeding.catch(() => undefined);
    throw asArchiveError(e);
  }
  return contents;
}

async function readCapped(entry: Readable, size: number, cap: number, what: string): Promise<Buffer> {
  if (size > cap) {
    entry.resume();
    throw new StoreError('ETOOLARGE', `${what} in the archive is ${size} bytes, more than the ${cap} allowed`, { details: { what, size, limit: cap } });
  }
  const chunks: Buffer[] = [];
  for await (const c of entry) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Passes a tar through, gunzipping it first when it starts with the gzip magic (`docker save | gzip`). */
async function* gunzipIfNeeded(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  async function* all(): AsyncGenerator<Buffer> {
    yield first.value;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  }
  if (first.value[0] !== 0x1f || first.value[1] !== 0x8b) {
    yield* all();
    return;
  }
  const gunzip = createGunzip();
  const feeding = pipeline(Readable.from(all()), gunzip);
  feeding.catch(() => undefined); // observed by the await below, or by the loop's own error
  for await (const chunk of gunzip) yield chunk as Buffer;
  await feeding;
}
