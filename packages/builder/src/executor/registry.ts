// The registry client of the layer store, as the executor uses it: FROM/--from images that are
// missing (or all of them with --pull) are pulled; `-o type=registry` pushes.
import { pull, push, type ImageRecord, type Platform, type Store } from '@tsbuild/layerstore';

export interface RegistryOptions {
  /** --pull: contact the registry even for images already in the store. */
  pull: boolean;
  platform?: Platform;
  signal?: AbortSignal;
}

export function pullerFor(store: Store, o: RegistryOptions): (ref: string) => Promise<ImageRecord> {
  return async (ref) => {
    const r = await pull(store, ref, { pull: o.pull, ...(o.platform ? { platform: o.platform } : {}), ...(o.signal ? { signal: o.signal } : {}) });
    return r.image;
  };
}

export function pusherFor(store: Store, signal?: AbortSignal): (image: ImageRecord, dest: string, opts: { insecure?: boolean }) => Promise<void> {
  return async (image, dest, opts) => {
    // push reads the image by a name in the store: tag it with the destination first.
    await store.images.tag(image.manifestDigest, dest);
    await push(store, dest, dest, { ...(opts.insecure ? { insecure: true } : {}), ...(signal ? { signal } : {}) });
  };
}
