// Digest strings come from archives, registries and users. They are validated here, before any
// path is built from them (STO-02, CVE-2014-9358 class): only "sha256:" + 64 lowercase hex passes.
import { join } from 'node:path';
import { StoreError } from '../errors.js';
import type { Digest } from '../types.js';

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** True when `d` is "sha256:" followed by exactly 64 lowercase hex digits. */
export function validateDigest(d: unknown): d is Digest {
  return typeof d === 'string' && DIGEST_RE.test(d);
}

/** Splits a valid digest; throws StoreError('EINVALIDDIGEST') for anything else. */
export function parseDigest(d: unknown): { algorithm: 'sha256'; hex: string } {
  if (!validateDigest(d)) {
    const shown = typeof d === 'string' ? JSON.stringify(d.slice(0, 100)) : typeof d;
    throw new StoreError('EINVALIDDIGEST', `invalid digest ${shown}: expected "sha256:" and 64 lowercase hex digits`, {
      details: { digest: typeof d === 'string' ? d.slice(0, 100) : undefined },
    });
  }
  return { algorithm: 'sha256', hex: d.slice(7) };
}

/** The path of a blob under `blobsDir` (= <root>/blobs/sha256); validates first. */
export function blobPath(blobsDir: string, d: Digest): string {
  return join(blobsDir, parseDigest(d).hex);
}

/** Checks a size from untrusted JSON: a safe non-negative integer. */
export function validateSize(size: unknown): size is number {
  return typeof size === 'number' && Number.isSafeInteger(size) && size >= 0;
}
