// The store's index.json: the OCI layout's list of images. One entry per (manifest, tag), plus at
// most one entry without a name for an image that lost its last tag to a newer build (docker's
// "<none>" image). Writers take <root>/locks/index.lock exclusively and replace the file by
// write-temp → fsync → rename → fsync-dir, so readers (which take no lock) always see a whole file.
import { readFile, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { StoreError } from '../errors.js';
import { failpoint } from '../failpoints.js';
import { FileLock, Mutex } from '../lock/file-lock.js';
import { fsyncDir } from '../blobs/fsync-dir.js';
import { validateDigest, validateSize } from '../blobs/digest.js';
import { LIMITS, isObject, parseJSON, stringifyManifest } from '../json.js';
import { OCI_INDEX } from '../registry/media-types.js';
import type { Descriptor } from '../types.js';
import { CONTAINERD_NAME, REF_NAME } from './names.js';

export interface OciIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export function emptyIndex(): OciIndex {
  return { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
}

/** Validates an index document's shape and every descriptor's digest and size. */
export function checkIndex(doc: unknown, what: string): OciIndex {
  if (!isObject(doc) || doc.schemaVersion !== 2 || !Array.isArray(doc.manifests)) {
    throw new StoreError('EBADINDEX', `${what} is not an OCI image index`, { details: { what } });
  }
  for (const d of doc.manifests as unknown[]) checkDescriptor(d, what);
  return doc as unknown as OciIndex;
}

export function checkDescriptor(d: unknown, what: string): Descriptor {
  if (!isObject(d) || typeof d.mediaType !== 'string' || !validateDigest(d.digest) || !validateSize(d.size)) {
    throw new StoreError('EBADDESCRIPTOR', `${what} has an invalid descriptor`, { details: { what, digest: isObject(d) ? String(d.digest).slice(0, 80) : undefined } });
  }
  if (d.annotations !== undefined && !isObject(d.annotations)) throw new StoreError('EBADDESCRIPTOR', `${what} has invalid annotations`, { details: { what } });
  return d as unknown as Descriptor;
}

/** The tag of an entry, if it has one. */
export function entryName(d: Descriptor): string | undefined {
  return d.annotations?.[REF_NAME];
}

export function namedEntry(manifest: Descriptor, name: string): Descriptor {
  return {
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.size,
    annotations: { [CONTAINERD_NAME]: name, [REF_NAME]: name },
  };
}

export function unnamedEntry(manifest: Descriptor): Descriptor {
  return { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size };
}

/** Deterministic order: named entries by name, then unnamed ones by digest. */
export function sortEntries(entries: Descriptor[]): Descriptor[] {
  const key = (d: Descriptor) => `${entryName(d) === undefined ? '1' : '0'}${entryName(d) ?? ''}\u0000${d.digest}`;
  return [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export class IndexFile {
  private readonly mutex = new Mutex();
  /** The root folder fsynced once by this process (an update that found nothing to change). */
  private rootSynced: Promise<void> | undefined;

  constructor(
    private readonly root: string,
    private readonly tmpDir: string,
  ) {}

  get path(): string {
    return join(this.root, 'index.json');
  }

  /** Reads index.json (no lock needed: it is only ever replaced whole). */
  async read(): Promise<OciIndex> {
    return (await this.readWithText()).index;
  }

  /** The index and the text it was read from (undefined when there is no file yet). */
  private async readWithText(): Promise<{ index: OciIndex; text?: string }> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { index: emptyIndex() };
      throw e;
    }
    return { index: checkIndex(parseJSON(bytes, LIMITS.index, 'index.json'), 'index.json'), text: bytes.toString('utf8') };
  }

  /** Read-modify-write under the exclusive index lock; `change` returns the new entry list. */
  async update(change: (entries: Descriptor[]) => Descriptor[] | Promise<Descriptor[]>): Promise<OciIndex> {
    return this.mutex.run(async () => {
      const lock = await FileLock.open(join(this.root, 'locks', 'index.lock'));
      try {
        await lock.lock('exclusive');
        const { index: current, text } = await this.readWithText();
        const next: OciIndex = { ...current, manifests: sortEntries(await change(current.manifests)) };
        // A rebuild that re-tags the same image changes nothing: the file already holds these exact
        // bytes, so there is no write and no fsync.
        if (stringifyManifest(next) !== text) await this.writeAtomically(next);
        // Unchanged: the writer that renamed it into place may have died before its folder fsync.
        else await (this.rootSynced ??= fsyncDir(this.root));
        return next;
      } finally {
        await lock.close();
      }
    });
  }

  private async writeAtomically(index: OciIndex): Promise<void> {
    const tmp = join(this.tmpDir, `index-${randomBytes(6).toString('hex')}.json`);
    try {
      const fh = await open(tmp, 'wx', 0o644);
      try {
        await fh.writeFile(stringifyManifest(index));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await failpoint('index.write.beforeRename');
      await rename(tmp, this.path);
      await fsyncDir(this.root);
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }
}
