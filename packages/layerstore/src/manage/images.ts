// Image management for the CLI: `images`, `inspect`, `history`, `tag`, `rmi`. Output shapes
// follow docker's where docker has one (inspect keys, history order newest first).
import { StoreError } from '../errors.js';
import { familiarName, normalizeTag, splitTag, tryNormalizeTag } from '../images/names.js';
import type { OpenedStore } from '../store.js';
import type { ContainerConfig, Digest, ImageRecord } from '../types.js';

export interface ImageSummary {
  /** The image id: its config digest. */
  id: Digest;
  /** Full normalized names ("docker.io/library/busybox:latest"). */
  names: string[];
  manifestDigest: Digest;
  created?: string;
  /** Bytes of the layer blobs as stored (compressed ones count compressed). */
  size: number;
}

/** Every image, newest first (by created), untagged ones included with names = []. */
export async function listImages(store: OpenedStore): Promise<ImageSummary[]> {
  const out = (await store.images.list()).map(summarize);
  return out.sort((a, b) => (b.created ?? '').localeCompare(a.created ?? '') || a.id.localeCompare(b.id));
}

function summarize(r: ImageRecord): ImageSummary {
  return { id: r.configDigest, names: r.names, manifestDigest: r.manifestDigest, created: r.config.created, size: sizeOf(r) };
}

function sizeOf(r: ImageRecord): number {
  return r.layers.reduce((n, l) => n + l.blob.size, 0);
}

export interface InspectResult {
  Id: Digest;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created?: string;
  Author?: string;
  Config: ContainerConfig;
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  RootFS: { Type: 'layers'; Layers: Digest[] };
  Descriptor: { mediaType: string; digest: Digest; size?: number };
  Metadata: { LastTagTime?: string };
}

async function mustResolve(store: OpenedStore, ref: string): Promise<ImageRecord> {
  const r = await store.images.resolve(ref);
  if (!r) throw new StoreError('ENOTFOUND', `no image ${ref} in the store`, { details: { reference: ref } });
  return r;
}

/** docker-inspect-like JSON of one image. */
export async function inspectImage(store: OpenedStore, ref: string): Promise<InspectResult> {
  const r = await mustResolve(store, ref);
  const size = await store.blobs.stat(r.manifestDigest);
  return {
    Id: r.configDigest,
    RepoTags: r.names.map(familiarName),
    RepoDigests: [...new Set(r.names.map((n) => `${familiarName(splitTag(n).repository)}@${r.manifestDigest}`))],
    Parent: '',
    Comment: r.config.history?.at(-1)?.comment ?? '',
    Created: r.config.created,
    Author: r.config.author,
    Config: r.config.config,
    Architecture: r.config.architecture,
    ...(r.config.variant ? { Variant: r.config.variant } : {}),
    Os: r.config.os,
    Size: sizeOf(r),
    RootFS: { Type: 'layers', Layers: r.config.rootfs.diff_ids },
    Descriptor: { mediaType: r.manifest.mediaType, digest: r.manifestDigest, size: size?.size },
    Metadata: {},
  };
}

export interface HistoryRow {
  /** The layer's diffID, or "<missing>" for an empty_layer step (docker prints the same). */
  id: string;
  created?: string;
  createdBy: string;
  /** Bytes of the layer blob; 0 for empty_layer steps. */
  size: number;
  comment: string;
  emptyLayer: boolean;
}

/** docker-history-like rows, newest first. History entries without empty_layer consume layers in order. */
export async function imageHistory(store: OpenedStore, ref: string): Promise<HistoryRow[]> {
  const r = await mustResolve(store, ref);
  const rows: HistoryRow[] = [];
  let next = 0;
  for (const h of r.config.history ?? []) {
    const layer = h.empty_layer ? undefined : r.layers[next++];
    rows.push({
      id: layer?.diffID ?? '<missing>',
      created: h.created,
      createdBy: h.created_by ?? '',
      size: layer?.blob.size ?? 0,
      comment: h.comment ?? '',
      emptyLayer: !!h.empty_layer,
    });
  }
  // Layers no history entry accounts for (images built by tools that skip history).
  for (; next < r.layers.length; next++) rows.push({ id: r.layers[next]!.diffID, createdBy: '', size: r.layers[next]!.blob.size, comment: '', emptyLayer: false });
  return rows.reverse();
}

export async function tagImage(store: OpenedStore, ref: string, name: string): Promise<string> {
  const full = normalizeTag(name);
  await store.images.tag(ref, full);
  return full;
}

export interface RemoveResult {
  untagged: string[];
  /** Manifest digests whose last reference went away; their blobs are freed by the next prune. */
  deleted: Digest[];
}

/**
 * rmi: by name, removes that tag (and the image once it has no tag left); by id or digest,
 * removes the image, which needs `force` when it has more than one name (as docker does).
 */
export async function removeImage(store: OpenedStore, ref: string, opts: { force?: boolean } = {}): Promise<RemoveResult> {
  const r = await mustResolve(store, ref);
  const asName = tryNormalizeTag(ref);
  const groups = await store.images.groups();
  const topDigest = [...groups.keys()].find((d) => d === r.manifestDigest) ?? [...groups].find(([, names]) => asName !== undefined && names.includes(asName))?.[0] ?? r.manifestDigest;
  if (asName !== undefined && r.names.includes(asName)) {
    await store.images.untag(asName);
    const left = (await store.images.groups()).get(topDigest);
    return { untagged: [asName], deleted: left === undefined ? [topDigest] : [] };
  }
  if (r.names.length > 1 && !opts.force) {
    throw new StoreError('ECONFLICT', `image ${r.configDigest.slice(7, 19)} is referenced by ${r.names.length} names; remove them by name or use force`, {
      details: { names: r.names },
    });
  }
  const untagged = await store.images.removeManifest(topDigest);
  return { untagged, deleted: [topDigest] };
}
