// The layer store's public contract. builder (executor, CLI) and the registry code code against
// these types. Implementations may add members; changing a meaning needs every caller changed too.
import type { Readable, Writable } from 'node:stream';

/** "sha256:<64 lowercase hex>". Validate with `parseDigest` before building any path from it. */
export type Digest = string;

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The `config` object of an image config, with the Docker extensions the OCI spec has no field for. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  /** Docker extensions (kept in both formats; other tools ignore unknown fields). */
  Healthcheck?: HealthConfig;
  OnBuild?: string[] | null;
  Shell?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config: ContainerConfig;
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: HistoryEntry[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** A layer as the store knows it: its diffID (uncompressed digest) and the blob that stores it. */
export interface LayerRef {
  diffID: Digest;
  /** The blob in blobs/ (uncompressed tar for built layers, as pulled/loaded for others). */
  blob: Descriptor;
}

/** An image in the store. */
export interface ImageRecord {
  /** Tag names pointing at it (normalized, e.g. "localhost/busybox:latest"). */
  names: string[];
  manifestDigest: Digest;
  manifest: ImageManifest;
  configDigest: Digest;
  config: ImageConfig;
  layers: LayerRef[];
}

export interface PutResult {
  digest: Digest;
  size: number;
}

export interface Expected {
  digest?: Digest;
  size?: number;
}

/**
 * Content-addressed blobs under blobs/sha256/. Contract:
 * - put is atomic and idempotent: the bytes go to a temp file in the store, are fsynced, verified
 *   against `expected` (size and digest), renamed into place, and the folder fsynced. A blob is only
 *   ever visible complete and verified. "Already exists" is success. Any number of concurrent writers
 *   (threads or processes) of one digest all succeed. On any failure nothing is left behind.
 * - get returns a stream that verifies size and digest as it is read and fails at its end on a mismatch
 *   (code EINTEGRITY); never trust existence alone.
 * - Digests are validated before any path is built from them (code EINVALIDDIGEST).
 */
export interface BlobStore {
  put(source: Readable | AsyncIterable<Uint8Array>, expected?: Expected): Promise<PutResult>;
  putBytes(data: Uint8Array, expected?: Expected): Promise<PutResult>;
  get(digest: Digest): Promise<Readable>;
  /** Reads a small blob whole (JSON documents), verified, refusing more than maxBytes. */
  getBytes(digest: Digest, maxBytes: number): Promise<Buffer>;
  stat(digest: Digest): Promise<{ size: number } | undefined>;
  delete(digest: Digest): Promise<void>;
  list(): AsyncIterable<Digest>;
}

export type Compression = 'gzip' | 'zstd' | 'none';

export interface CommitOptions {
  /** Clamp every entry's mtime to this (seconds since the epoch), for reproducible layers. */
  sourceDateEpoch?: number;
  /** Bytes of the layer tar written so far, reported about every 4 MiB and at the end (for progress bars). */
  onProgress?: (bytesWritten: number) => void;
}

export interface CommittedLayer extends LayerRef {
  /** True when the upper dir held no change: no layer should be added to the image. */
  empty: boolean;
  /** Where the layer is now unpacked, usable as an overlay lowerdir. */
  snapshotDir: string;
}

/** A scratch area in the store's tmp/ (same filesystem as snapshots/ and blobs/). */
export interface WorkArea {
  /** Empty dir to use as an overlay upper dir (or a COPY target). */
  upperDir: string;
  /** Empty dir for overlay's workdir. */
  workDir: string;
  /** Free scratch space. */
  scratchDir: string;
  /** Removes everything left in the area. Safe to call twice. */
  dispose(): Promise<void>;
}

export interface Layers {
  /**
   * Turns an overlay upper dir into a layer: walks only the upper dir in sorted order and writes a
   * canonical tar blob (uncompressed; compression waits for export/push), computing the diffID in the
   * same pass. The upper dir is moved to become the layer's snapshot (nothing unpacked twice), so the
   * caller must not use it afterwards.
   */
  commit(upperDir: string, opts?: CommitOptions): Promise<CommittedLayer>;
  /** The snapshot dir of a layer (unpacked once, on first use; whiteouts in overlay form). */
  snapshot(layer: LayerRef): Promise<string>;
  /** Stores a layer blob from a stream (pull, load) verified against `expected`; computes its diffID. */
  import(source: Readable, mediaType: string, expected: Expected & { diffID?: Digest }): Promise<LayerRef>;
  /** The layer blob in the requested compression, made on first request and kept for the next one. */
  compressed(layer: LayerRef, compression: Compression): Promise<Descriptor>;
  /**
   * Extracts an untrusted tar (optionally gzip/bzip2/xz/zstd compressed, detected from its bytes) into
   * `targetDir`, every entry resolved inside it component by component; used by ADD. Whiteout entries are
   * applied as deletions, never written as files.
   */
  extractTar(source: Readable, targetDir: string, opts?: { chown?: { uid: number; gid: number } }): Promise<void>;
}

export interface WriteImageOptions {
  config: ImageConfig;
  layers: LayerRef[];
  /** Tags to point at the new image (atomic index update). */
  tags?: string[];
  annotations?: Record<string, string>;
}

export interface Images {
  /** By tag name (normalized like docker: "busybox" → "docker.io/library/busybox:latest"), full digest, or id prefix. */
  resolve(ref: string): Promise<ImageRecord | undefined>;
  list(): Promise<ImageRecord[]>;
  /** Writes config and manifest blobs (OCI media types) and tags them. Deterministic for equal inputs. */
  write(opts: WriteImageOptions): Promise<ImageRecord>;
  /** Records an image whose manifest and blobs are already in the store (pull, load). */
  add(manifestDigest: Digest, tags: string[]): Promise<ImageRecord>;
  tag(ref: string, name: string): Promise<void>;
  untag(name: string): Promise<void>;
}

/** Build-cache records: opaque JSON owned by the builder, plus the blobs they keep alive. */
export interface CacheRecord {
  /** Digests (blobs or diffIDs) this record needs; prune keeps them while the record is kept. */
  refs: Digest[];
  value: unknown;
}

export interface CacheRecords {
  get(key: string): Promise<CacheRecord | undefined>;
  put(key: string, record: CacheRecord): Promise<void>;
  delete(key: string): Promise<void>;
}

export type ExportFormat = 'oci' | 'docker' | 'both';

export interface ExportOptions {
  format: ExportFormat;
  compression?: Compression;
  /** Extra names to record (docker RepoTags / OCI ref.name). */
  names?: string[];
  sourceDateEpoch?: number;
}

export interface Store {
  readonly root: string;
  readonly blobs: BlobStore;
  readonly layers: Layers;
  readonly images: Images;
  readonly cache: CacheRecords;
  /** A fresh work area; removed by dispose(), or by the next store open after a crash. */
  workArea(): Promise<WorkArea>;
  /** A folder of the store for a client's own state (e.g. the builder's stat cache), created on demand. */
  stateDir(name: string): Promise<string>;
  /** Writes an archive of the images (OCI layout tar, docker-load tar, or one tar that is both). */
  save(images: ImageRecord[], dest: Writable, opts: ExportOptions): Promise<void>;
  /** Loads an OCI layout tar or a docker-save tar; every digest verified. */
  load(source: Readable, opts?: { tags?: string[] }): Promise<ImageRecord[]>;
  close(): Promise<void>;
}
