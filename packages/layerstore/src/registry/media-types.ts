// Media types the registry client speaks, and the limits it enforces on what it reads.

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';
export const DOCKER_SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
export const DOCKER_FOREIGN_LAYER = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
export const OCI_NONDIST_TAR = 'application/vnd.oci.image.layer.nondistributable.v1.tar';
export const OCI_NONDIST_GZIP = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';
export const OCI_NONDIST_ZSTD = 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd';

export const MANIFEST_TYPES = [OCI_MANIFEST, DOCKER_MANIFEST] as const;
export const INDEX_TYPES = [OCI_INDEX, DOCKER_LIST] as const;
export const CONFIG_TYPES = [OCI_CONFIG, DOCKER_CONFIG] as const;
export const LAYER_TYPES = [
  OCI_LAYER_TAR, OCI_LAYER_GZIP, OCI_LAYER_ZSTD, DOCKER_LAYER_GZIP,
  DOCKER_FOREIGN_LAYER, OCI_NONDIST_TAR, OCI_NONDIST_GZIP, OCI_NONDIST_ZSTD,
] as const;
export const FOREIGN_LAYER_TYPES = [DOCKER_FOREIGN_LAYER, OCI_NONDIST_TAR, OCI_NONDIST_GZIP, OCI_NONDIST_ZSTD] as const;

/** Accept header for manifest requests: every type we can read, images and indexes. */
export const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(', ');

export function isIndexType(t: string): boolean {
  return (INDEX_TYPES as readonly string[]).includes(t);
}
export function isManifestType(t: string): boolean {
  return (MANIFEST_TYPES as readonly string[]).includes(t);
}

/** Caps on what is buffered, so a hostile registry cannot exhaust memory (SECURITY.md §1.6, REG-03). */
export const LIMITS = {
  /** containerd's MaxManifestSize (4 × 1048 × 1048, the 1048 as in its source). */
  manifestBytes: 4 * 1048 * 1048,
  configBytes: 8 * 1024 * 1024,
  /** A token endpoint's JSON answer. */
  tokenBytes: 1024 * 1024,
  /** An error body we read to build a message. */
  errorBodyBytes: 64 * 1024,
  /** Index entries and manifest layers: far above any real image, far below a memory problem. */
  indexEntries: 10_000,
  manifestLayers: 10_000,
} as const;
