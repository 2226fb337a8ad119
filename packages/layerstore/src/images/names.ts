// Image names as the store records them. A tag is always the full normalized docker reference
// ("busybox" → "docker.io/library/busybox:latest", "localhost/busybox:latest" stays), and that
// exact string is both the OCI `org.opencontainers.image.ref.name` and the containerd
// `io.containerd.image.name` annotation of its index.json entry, so
// `skopeo inspect oci:<root>:localhost/busybox:latest` finds it.
import { StoreError } from '../errors.js';
import { parseReference } from '../registry/reference.js';

export const REF_NAME = 'org.opencontainers.image.ref.name';
export const CONTAINERD_NAME = 'io.containerd.image.name';

/** Normalizes a tag name; throws EREFERENCE for invalid names and for digest references. */
export function normalizeTag(name: string): string {
  const ref = parseReference(name);
  if (ref.digest !== undefined || ref.tag === undefined) {
    throw new StoreError('EREFERENCE', `"${name}" names a digest, not a tag`, { details: { reason: 'digest-not-tag', reference: name } });
  }
  return `${ref.name}:${ref.tag}`;
}

/** Like normalizeTag but returns undefined instead of throwing. */
export function tryNormalizeTag(name: string): string | undefined {
  try {
    return normalizeTag(name);
  } catch {
    return undefined;
  }
}

/** The short form docker prints and writes into RepoTags ("docker.io/library/x:1" → "x:1"). */
export function familiarName(full: string): string {
  if (full.startsWith('docker.io/library/')) return full.slice('docker.io/library/'.length);
  if (full.startsWith('docker.io/')) return full.slice('docker.io/'.length);
  return full;
}

/** Splits "name:tag" at the tag's colon (host:port colons come before the last '/'). */
export function splitTag(full: string): { repository: string; tag: string } {
  const i = full.lastIndexOf(':');
  if (i <= full.lastIndexOf('/')) return { repository: full, tag: 'latest' };
  return { repository: full.slice(0, i), tag: full.slice(i + 1) };
}
