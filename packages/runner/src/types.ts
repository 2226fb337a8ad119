// The runner's public contract. The builder codes against these types; keep them stable
// (add fields, don't change meanings) and document every field's contract here.
import type { Readable, Writable } from 'node:stream';

/** The root filesystem of a run. */
export type RootfsSpec =
  /** An overlay made inside the run's own mount namespace: never visible on the host.
   *  lowerDirs are topmost first (as overlayfs' lowerdir option). upperDir/workDir must be on one fs. */
  | { type: 'overlay'; lowerDirs: string[]; upperDir: string; workDir: string }
  /** A plain directory used as the root (bind-mounted onto itself first). */
  | { type: 'dir'; path: string; readonly?: boolean };

export type MountSpec =
  | { type: 'bind'; source: string; target: string; readonly?: boolean }
  | { type: 'tmpfs'; target: string; sizeBytes?: number; mode?: number };

export interface Limits {
  /** memory.max / memory.limit_in_bytes; swap is disabled alongside. */
  memoryBytes?: number;
  /** pids.max */
  pids?: number;
  /** CPU quota in cores (0.5 = half a core). */
  cpus?: number;
  /** Wall-clock limit; the whole tree is killed when it passes. */
  timeoutMs?: number;
}

export interface RunSpec {
  rootfs: RootfsSpec;
  /** argv[0] is looked up in PATH from `env` inside the rootfs when it has no slash. */
  argv: string[];
  /**
   * "KEY=VALUE" strings: the process environment, plus HOME from the user's /etc/passwd entry ("/"
   * without one) when no non-empty HOME is given (runc's rule, so BuildKit's and `docker run`'s).
   */
  env: string[];
  /** Working directory inside the rootfs; created (mode 0755, owned by the run's user) when missing. */
  cwd: string;
  /**
   * Docker USER syntax: "", "name", "uid", "name:group", "uid:gid", ... resolved inside the rootfs
   * (/etc/passwd, /etc/group read in-root with a size cap). "" means root. Supplementary groups
   * come from /etc/group, as Docker does.
   */
  user: string;
  hostname: string;
  /** 'none': own network namespace with only lo up. 'host': the host's network. */
  network: 'none' | 'host';
  /** Extra lines for /etc/hosts (after localhost and the hostname). */
  extraHosts?: string[];
  mounts?: MountSpec[];
  limits?: Limits;
  stdin?: Readable | 'inherit' | 'ignore';
  stdout?: Writable | 'inherit';
  stderr?: Writable | 'inherit';
  /** Aborting kills the whole process tree; run() then resolves with `cancelled: true`. */
  signal?: AbortSignal;
  /** Allocate a pseudo-terminal (tsbuild run -t). */
  tty?: boolean;
}

export interface RunResult {
  /** The exit code of argv's process, or null when it died of a signal. */
  exitCode: number | null;
  /** The signal name (e.g. "SIGKILL") when it died of one. */
  signal: string | null;
  oomKilled: boolean;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
}

/**
 * A private mount namespace held open by a small helper process. Overlays mounted in it are reachable
 * from the host through `path` (a /proc/<pid>/root/... path) but appear in no host mount table, and
 * vanish with the helper (it dies with tsbuild: PR_SET_PDEATHSIG), so a crash leaves no mount behind.
 * The builder uses it for COPY/ADD (writing into a merged view) and for reading an image's files.
 */
export interface MountSession {
  mountOverlay(lowerDirs: string[], upperDir: string, workDir: string): Promise<MountedRoot>;
  /** Unmounts everything still mounted and ends the helper. Safe to call twice. */
  close(): Promise<void>;
}

export interface MountedRoot {
  /** Host-usable path of the merged view. */
  path: string;
  unmount(): Promise<void>;
}

/** The uid, gid and supplementary gids a Docker USER string resolves to inside a rootfs. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** HOME from /etc/passwd, or "/" (Docker's default when the user has no entry). */
  home: string;
}
