// Images: tags in index.json pointing at manifests in blobs/. See Images in ../types.ts.
// Every operation that finds an image leases its digests while holding the shared gc lock, so a
// concurrent prune either sees the lease or ran entirely before the lookup.
import { StoreError } from '../errors.js';
import { failpoint } from '../failpoints.js';
import { LIMITS, parseJSON, stringifyImageConfig, stringifyManifest } from '../json.js';
import { OCI_CONFIG, OCI_MANIFEST } from '../registry/media-types.js';
import { parseReference } from '../registry/reference.js';
import { validateDigest } from '../blobs/digest.js';
import type { BlobStore, Descriptor, Digest, ImageManifest, ImageRecord, Images, WriteImageOptions } from '../types.js';
import { normalizeTag } from './names.js';
import { IndexFile, entryName, namedEntry, unnamedEntry } from './oci-index.js';
import { imageDigests, readImage } from './records.js';

export interface ImagesDeps {
  blobs: BlobStore;
  index: IndexFile;
  lease: (digests: Digest[]) => Promise<void>;
  guard: <T>(fn: () => Promise<T>) => Promise<T>;
}

const ID_PREFIX = /^(?:sha256:)?([0-9a-f]{4,64})$/;

export class StoreImages implements Images {
  constructor(private readonly deps: ImagesDeps) {}

  async resolve(ref: string): Promise<ImageRecord | undefined> {
    return this.deps.guard(async () => {
      const record = await this.find(ref);
      if (record) await this.deps.lease(imageDigests(record));
      return record;
    });
  }

  async list(): Promise<ImageRecord[]> {
    return this.deps.guard(async () => {
      const groups = await this.groups();
      const out: ImageRecord[] = [];
      for (const [digest, names] of groups) {
        const record = await readImage(this.deps.blobs, digest, names);
        await this.deps.lease(imageDigests(record));
        out.push(record);
      }
      return out;
    });
  }

  async write(opts: WriteImageOptions): Promise<ImageRecord> {
    const tags = (opts.tags ?? []).map(normalizeTag);
    for (const l of opts.layers) {
      if (!validateDigest(l.diffID)) throw new StoreError('EINVALIDDIGEST', `layer diffID ${JSON.stringify(String(l.diffID).slice(0, 80))} is not a digest`);
      // A manifest must never name a blob the store does not have.
      if (!(await this.deps.blobs.stat(l.blob.digest))) {
        throw new StoreError('ENOTFOUND', `layer blob ${l.blob.digest} is not in the store`, { details: { digest: l.blob.digest } });
      }
    }
    const diffIDs = opts.layers.map((l) => l.diffID);
    const config = { ...opts.config, rootfs: { type: 'layers' as const, diff_ids: diffIDs } };
    const configBytes = Buffer.from(stringifyImageConfig(config));
    const cfg = await this.deps.blobs.putBytes(configBytes);
    await failpoint('images.write.afterConfig');
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: cfg.digest, size: cfg.size },
      layers: opts.layers.map((l) => ({ mediaType: l.blob.mediaType, digest: l.blob.digest, size: l.blob.size, ...(l.blob.annotations ? { annotations: l.blob.annotations } : {}) })),
      ...(opts.annotations && Object.keys(opts.annotations).length > 0 ? { annotations: opts.annotations } : {}),
    };
    const m = await this.deps.blobs.putBytes(Buffer.from(stringifyManifest(manifest)));
    await this.deps.lease(diffIDs);
    const desc: Descriptor = { mediaType: OCI_MANIFEST, digest: m.digest, size: m.size };
    await failpoint('images.write.beforeTag');
    await this.setTags(desc, tags);
    return { names: tags, manifestDigest: m.digest, manifest, configDigest: cfg.digest, config, layers: opts.layers };
  }

  async add(manifestDigest: Digest, tags: string[]): Promise<ImageRecord> {
    const names = tags.map(normalizeTag);
    return this.deps.guard(async () => {
      const record = await readImage(this.deps.blobs, manifestDigest, names);
      for (const l of record.layers) {
        if (!(await this.deps.blobs.stat(l.blob.digest))) {
          throw new StoreError('ENOTFOUND', `layer ${l.blob.digest} of image ${manifestDigest} is not in the store`, { details: { digest: l.blob.digest } });
        }
      }
      await this.deps.lease([manifestDigest, ...imageDigests(record)]);
      // The entry describes the top document (an index when manifestDigest is one).
      const top = await this.deps.blobs.getBytes(manifestDigest, LIMITS.manifest);
      const doc = parseJSON<{ mediaType?: unknown }>(top, LIMITS.manifest, `manifest ${manifestDigest}`);
      const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : OCI_MANIFEST;
      await this.setTags({ mediaType, digest: manifestDigest, size: top.length }, names);
      return record;
    });
  }

  async tag(ref: string, name: string): Promise<void> {
    const full = normalizeTag(name);
    await this.deps.guard(async () => {
      const record = await this.find(ref);
      if (!record) throw notFound(ref);
      const desc = await this.topDescriptor(ref, record);
      await this.setTags(desc, [full]);
    });
  }

  async untag(name: string): Promise<void> {
    const full = normalizeTag(name);
    let found = false;
    await this.deps.index.update((entries) => {
      found = entries.some((e) => entryName(e) === full);
      return entries.filter((e) => entryName(e) !== full);
    });
    if (!found) throw notFound(name);
  }

  /** Removes every index entry of a manifest (rmi by id). Returns the names it had. */
  async removeManifest(manifestDigest: Digest): Promise<string[]> {
    const names: string[] = [];
    await this.deps.index.update((entries) =>
      entries.filter((e) => {
        if (e.digest !== manifestDigest) return true;
        const n = entryName(e);
        if (n !== undefined) names.push(n);
        return false;
      }),
    );
    return names;
  }

  /** Index entries grouped by manifest digest, names sorted. */
  async groups(): Promise<Map<Digest, string[]>> {
    const index = await this.deps.index.read();
    const groups = new Map<Digest, string[]>();
    for (const e of index.manifests) {
      const names = groups.get(e.digest) ?? [];
      const n = entryName(e);
      if (n !== undefined) names.push(n);
      groups.set(e.digest, names);
    }
    for (const names of groups.values()) names.sort();
    return groups;
  }

  /** Points each tag at `desc`. An image that loses its last tag stays as an unnamed entry. */
  private async setTags(desc: Descriptor, tags: string[]): Promise<void> {
    await this.deps.index.update((entries) => {
      let next = entries.filter((e) => !(e.digest === desc.digest && entryName(e) === undefined));
      const moved = new Set<Digest>();
      next = next.filter((e) => {
        const n = entryName(e);
        if (n === undefined || !tags.includes(n)) return true;
        if (e.digest !== desc.digest) moved.add(e.digest);
        return false;
      });
      next.push(...(tags.length === 0 ? [unnamedEntry(desc)] : tags.map((t) => namedEntry(desc, t))));
      for (const d of moved) {
        const old = entries.find((e) => e.digest === d)!;
        if (!next.some((e) => e.digest === d)) next.push(unnamedEntry(old));
      }
      return next;
    });
  }

  private async topDescriptor(ref: string, record: ImageRecord): Promise<Descriptor> {
    const index = await this.deps.index.read();
    const byName = index.manifests.find((e) => e.digest === record.manifestDigest) ?? index.manifests.find((e) => entryName(e) === ref);
    if (byName) return { mediaType: byName.mediaType, digest: byName.digest, size: byName.size };
    const st = await this.deps.blobs.stat(record.manifestDigest);
    return { mediaType: record.manifest.mediaType ?? OCI_MANIFEST, digest: record.manifestDigest, size: st!.size };
  }

  /** Lookup order: exact index name, normalized tag, name@digest, full digest, id prefix. */
  private async find(ref: string): Promise<ImageRecord | undefined> {
    const groups = await this.groups();
    const byName = (name: string) => [...groups].find(([, names]) => names.includes(name))?.[0];
    const exact = byName(ref);
    if (exact) return readImage(this.deps.blobs, exact, groups.get(exact));
    if (validateDigest(ref)) return this.findByDigest(ref, groups);
    let parsed: ReturnType<typeof parseReference> | undefined;
    try {
      parsed = parseReference(ref);
    } catch {
      parsed = undefined;
    }
    if (parsed?.digest) return this.findByDigest(parsed.digest, groups);
    if (parsed?.tag) {
      const d = byName(`${parsed.name}:${parsed.tag}`);
      if (d) return readImage(this.deps.blobs, d, groups.get(d));
    }
    const m = ID_PREFIX.exec(ref);
    if (m) return this.findByIdPrefix(m[1]!, groups);
    return undefined;
  }

  private async findByDigest(digest: Digest, groups: Map<Digest, string[]>): Promise<ImageRecord | undefined> {
    if (groups.has(digest)) return readImage(this.deps.blobs, digest, groups.get(digest));
    for (const [d, names] of groups) {
      const r = await readImage(this.deps.blobs, d, names);
      if (r.configDigest === digest || r.manifestDigest === digest) return r;
    }
    if (await this.deps.blobs.stat(digest)) return readImage(this.deps.blobs, digest).catch(() => undefined);
    return undefined;
  }

  private async findByIdPrefix(hex: string, groups: Map<Digest, string[]>): Promise<ImageRecord | undefined> {
    const matches = new Map<Digest, ImageRecord>();
    for (const [d, names] of groups) {
      const r = await readImage(this.deps.blobs, d, names);
      if (r.configDigest.slice(7).startsWith(hex) || d.slice(7).startsWith(hex)) matches.set(r.configDigest, r);
    }
    if (matches.size > 1) {
      throw new StoreError('EAMBIGUOUS', `image id prefix ${hex} matches ${matches.size} images`, { details: { prefix: hex, count: matches.size } });
    }
    return [...matches.values()][0];
  }
}

function notFound(ref: string): StoreError {
  return new StoreError('ENOTFOUND', `no image ${ref} in the store`, { details: { reference: ref } });
}
