// Digest checks for the layer area: a digest is validated before any path is built from it.
import { StoreError } from '../errors.js';

const SHA256 = /^sha256:([0-9a-f]{64})$/;

/** The hex part of a sha256 digest; throws EINVALIDDIGEST for anything else. */
export function hexOf(digest: string): string {
  const m = SHA256.exec(digest);
  if (m === null) {
    throw new StoreError('EINVALIDDIGEST', `not a sha256 digest: ${JSON.stringify(digest).slice(0, 100)}`, {
      details: { digest },
    });
  }
  return m[1] as string;
}
