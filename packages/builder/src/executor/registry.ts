// The registry client of the layer store, as the executor uses it: FROM/--from images that are
// missing (or all of them with --pull) are pulled; `-o type=registry` / `--push` pushes.
import { pull, push, type ImageRecord, type Platform, type Store, type TransferProgress } from '@tsbuild/layerstore';

/** How to reach registries: docker's --insecure-registry and certs.d folder. */
export interface RegistryTransport {
  insecureRegistries?: string[];
  certsDir?: string;
}

export interface RegistryOptions {
  /** --pull: contact the registry even for images already in the store. */
  pull: boolean;
  transport?: RegistryTransport;
  platform?: Platform;
  signal?: AbortSignal;
}

/** Where a push put the image: the registry's digest differs from the store's when layers were compressed for it. */
export interface PushedImage {
  name: string;
  digest: string;
  mediaType: string;
  size: number;
}

export interface PushRequest {
  insecure?: boolean;
  /** Bytes uploaded so far, over all blobs of this push. */
  onBytes?: (bytes: number) => void;
}

export type Pusher = (image: ImageRecord, dest: string, opts: PushRequest) => Promise<PushedImage>;

/** Bytes moved so far over all blobs of one transfer, and the total once every blob's size is known. */
export type TransferBytes = (current: number, total: number) => void;

export type Puller = (ref: string, opts?: { signal?: AbortSignal; onBytes?: TransferBytes }) => Promise<ImageRecord>;

/** `signal` of a call (the build run's, which also fires when another stage fails) wins over the build's. */
export function pullerFor(store: Store, o: RegistryOptions): Puller {
  return async (ref, call = {}) => {
    const signal = call.signal ?? o.signal;
    const onProgress = call.onBytes ? bytesOf(call.onBytes, ['downloading', 'exists', 'done']) : undefined;
    const r = await pull(store, ref, {
      ...o.transport,
      pull: o.pull,
      ...(o.platform ? { platform: o.platform } : {}),
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    return r.image;
  };
}

/** Sums per-blob progress (layers and configs; manifests are tiny) into one running count. */
function bytesOf(report: TransferBytes, phases: TransferProgress['phase'][]): (p: TransferProgress) => void {
  const current = new Map<string, number>();
  const total = new Map<string, number>();
  let last = -1;
  return (p) => {
    if (p.kind === 'manifest' || p.kind === 'index') return;
    total.set(p.digest, p.total);
    if (!phases.includes(p.phase)) return;
    current.set(p.digest, p.current);
    let c = 0;
    let t = 0;
    for (const n of current.values()) c += n;
    for (const n of total.values()) t += n;
    // A blob's last chunk and its "done" carry the same count: report each count once.
    if (c === last) return;
    last = c;
    report(c, t);
  };
}

export function pusherFor(store: Store, signal?: AbortSignal, transport: RegistryTransport = {}): Pusher {
  return async (image, dest, opts) => {
    // push reads the image by a name in the store: tag it with the destination first.
    await store.images.tag(image.manifestDigest, dest);
    const onBytes = opts.onBytes;
    const onProgress = onBytes ? bytesOf((current) => onBytes(current), ['uploading', 'exists', 'mounted', 'done']) : undefined;
    const r = await push(store, dest, dest, {
      ...transport,
      ...(opts.insecure ? { insecure: true } : {}),
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    return { name: dest, digest: r.digest, mediaType: r.mediaType, size: r.size };
  };
}
