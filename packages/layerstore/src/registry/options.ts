// Option types shared by pull, push and login. Every field is optional; docs/registry.md says what
// the defaults are and why.
import type { Digest, Platform } from '../types.js';

/** Credentials for one registry. `identityToken` is an OAuth2 refresh token (docker's "<token>" user). */
export interface Credentials {
  username?: string;
  password?: string;
  identityToken?: string;
  /** A ready bearer token to send as is (registry token, never exchanged). */
  registryToken?: string;
}

export interface RetryOptions {
  /** Total attempts per request, the first included (default 4). */
  attempts?: number;
  /** First backoff delay; doubles each retry, with jitter (default 200 ms). */
  baseDelayMs?: number;
  /** Cap on one delay (default 5 s). */
  maxDelayMs?: number;
}

export interface TransportOptions {
  /** Explicit credentials for the target registry; otherwise ~/.docker/config.json is read. */
  auth?: Credentials;
  /** Folder holding config.json (default $DOCKER_CONFIG, else ~/.docker). */
  dockerConfigDir?: string;
  /** Treat the target registry as insecure: TLS without verification, then plain HTTP. */
  insecure?: boolean;
  /** Registries (host[:port]) treated as insecure, like dockerd's --insecure-registry. */
  insecureRegistries?: string[];
  /** Folder of per-registry cert folders, docker style: <certsDir>/<host[:port]>/{*.crt,*.cert,*.key} (default /etc/docker/certs.d). */
  certsDir?: string;
  /** Extra CA bundle (PEM) trusted for every registry. */
  caFile?: string;
  /** Token-realm hosts that may receive credentials although they are not the registry host. */
  trustedRealmHosts?: string[];
  retry?: RetryOptions;
  /** Abort a request when its socket is idle this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Total time a manifest, config or token answer may take to arrive (default 60 s). */
  documentTimeoutMs?: number;
  /** Debug log lines; never contain credentials or tokens. */
  log?: (line: string) => void;
  signal?: AbortSignal;
  userAgent?: string;
}

export type TransferPhase =
  | 'resolving' | 'waiting' | 'downloading' | 'uploading' | 'retrying'
  | 'exists' | 'mounted' | 'done';

export interface TransferProgress {
  digest: Digest;
  kind: 'manifest' | 'index' | 'config' | 'layer' | 'blob';
  phase: TransferPhase;
  current: number;
  total: number;
  /** Set with phase 'retrying': the attempt about to start and why. */
  attempt?: number;
  reason?: string;
}

export interface PullOptions extends TransportOptions {
  /** Platform to pick from an index (default linux/amd64). */
  platform?: Platform | string;
  /** Contact the registry even when the tag is already in the store (docker build --pull). */
  pull?: boolean;
  /** Layers downloaded at once (default 3, like dockerd). */
  concurrency?: number;
  onProgress?: (p: TransferProgress) => void;
  /**
   * Foreign/non-distributable layers whose blob the registry does not serve: 'refuse' (default) fails,
   * 'fetch' downloads them from the descriptor's https `urls` without any credential, verified.
   */
  foreignLayers?: 'refuse' | 'fetch';
}

export interface PushOptions extends TransportOptions {
  /** Blobs uploaded at once (default 3). */
  concurrency?: number;
  /** Blobs larger than this go up in chunks (default 64 MiB). */
  chunkThreshold?: number;
  /** Size of one PATCH (default 16 MiB; raised to the registry's OCI-Chunk-Min-Length). */
  chunkSize?: number;
  /** Try cross-repository mounts for blobs seen in another repository of the same registry (default true). */
  mount?: boolean;
  onProgress?: (p: TransferProgress) => void;
}

export interface LoginOptions extends TransportOptions {
  /** Check the credentials against the registry before saving them (default true). */
  verify?: boolean;
}
