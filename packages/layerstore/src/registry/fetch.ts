// GETs of manifests and blobs, verified. Identity is always the sha256 of the bytes we received; the
// Docker-Content-Digest header is only compared against it (a lying header fails the pull), never used.
import { printable } from './redact.js';
import type { Readable } from 'node:stream';
import { StoreError, isStoreError } from '../errors.js';
import type { Descriptor, Digest } from '../types.js';
import type { RegistryClient } from './client.js';
import { repoScope } from './client.js';
import { discard, typedBody, type RawResponse } from './http.js';
import { parseDocument, type Document } from './manifest.js';
import { LIMITS, MANIFEST_ACCEPT } from './media-types.js';
import { withRetries, type RetryPolicy } from './retry.js';
import { VerifyStream, readCapped, sha256Of, verifyBytes } from './verify.js';

export interface FetchedDocument {
  raw: Buffer;
  digest: Digest;
  mediaType: string;
  doc: Document;
}

/** Fails with ESIZE when the announced Content-Length cannot be the expected size. */
function checkContentLength(res: RawResponse, expectedSize: number | undefined, limit: number, what: string): void {
  const header = res.headers['content-length'];
  if (header === undefined) return;
  const length = Number(header);
  if (expectedSize !== undefined && length !== expectedSize) {
    throw new StoreError('ESIZE', `${what}: the registry announced ${length} bytes, the descriptor says ${expectedSize}`, {
      details: { what, expected: expectedSize, actual: length },
    });
  }
  if (length > limit) throw new StoreError('ELIMIT', `${what} is larger than the ${limit}-byte limit`, { details: { what, limit } });
}

function checkDigestHeader(res: RawResponse, actual: Digest, what: string): void {
  const header = res.headers['docker-content-digest'];
  if (typeof header === 'string' && header.startsWith('sha256:') && header !== actual) {
    throw new StoreError('EDIGEST', `${what}: the registry's Docker-Content-Digest does not match the content`, {
      details: { what, reason: 'header-mismatch', header: printable(header, 80), actual },
    });
  }
}

/** GETs a manifest or index by tag or digest. With `expected`, size, digest and media type must all match. */
export async function fetchDocument(client: RegistryClient, repository: string, reference: string, policy: RetryPolicy,
  expected?: Descriptor): Promise<FetchedDocument> {
  const what = expected ? `manifest ${expected.digest}` : `manifest ${repository}:${reference}`;
  return withRetries(policy, async () => {
    const res = await client.request({
      method: 'GET', target: `/v2/${repository}/manifests/${reference}`, headers: { Accept: MANIFEST_ACCEPT },
      scopes: [repoScope(repository, 'pull')], expect: [200], what: 'manifest GET',
    });
    try {
      checkContentLength(res, expected?.size, LIMITS.manifestBytes, what);
    } catch (e) {
      await discard(res.body);
      throw e;
    }
    const raw = await readCapped(typedBody(res), LIMITS.manifestBytes, what, client.opts.documentTimeoutMs);
    const wantDigest = expected?.digest ?? (reference.startsWith('sha256:') ? reference : undefined);
    const digest = wantDigest !== undefined ? verifyBytes(raw, { digest: wantDigest, size: expected?.size }, what) : sha256Of(raw);
    checkDigestHeader(res, digest, what);
    const doc = parseDocument(raw, res.headers['content-type']);
    if (expected && expected.mediaType !== doc.mediaType) {
      throw new StoreError('EMANIFEST_INVALID', `${what}: the descriptor says ${printable(expected.mediaType)}, the document is ${doc.mediaType}`, {
        details: { reason: 'descriptor-type-mismatch', digest: expected.digest },
      });
    }
    return { raw, digest, mediaType: doc.mediaType, doc };
  }, (attempt, e) => client.log(`retrying ${what} (attempt ${attempt}): ${(e as Error).message}`), client.opts.signal);
}

/** GETs a small blob (an image config) whole and verified. */
export async function fetchSmallBlob(client: RegistryClient, repository: string, desc: Descriptor, limit: number, policy: RetryPolicy): Promise<Buffer> {
  const what = `blob ${desc.digest}`;
  if (desc.size > limit) throw new StoreError('ELIMIT', `${what} is larger than the ${limit}-byte limit`, { details: { what, limit } });
  return withRetries(policy, async () => {
    const res = await client.request({
      method: 'GET', target: `/v2/${repository}/blobs/${desc.digest}`, scopes: [repoScope(repository, 'pull')], expect: [200], what: 'blob GET',
    });
    try {
      checkContentLength(res, desc.size, limit, what);
    } catch (e) {
      await discard(res.body);
      throw e;
    }
    const raw = await readCapped(typedBody(res), limit, what, client.opts.documentTimeoutMs);
    verifyBytes(raw, desc, what);
    return raw;
  }, undefined, client.opts.signal);
}

export interface StreamBlobOptions {
  /** GET this URL without credentials instead of the registry's blob endpoint (foreign layers). */
  foreignUrl?: URL;
  onBytes?: (received: number) => void;
  onRetry?: (attempt: number, e: unknown) => void;
}

/**
 * Streams a blob into `sink` through a verifier, retrying from scratch on connection errors. The sink
 * must be atomic (the store's put): a failed attempt leaves nothing behind, so a retry is safe.
 * The verifier's own error wins over whatever the sink reports, so the code names the real cause.
 */
export async function streamBlob<T>(client: RegistryClient, repository: string, desc: Descriptor, policy: RetryPolicy,
  sink: (stream: Readable) => Promise<T>, opts: StreamBlobOptions = {}): Promise<T> {
  const what = `blob ${desc.digest}`;
  return withRetries(policy, async () => {
    const res = await client.request({
      method: 'GET', target: opts.foreignUrl ?? `/v2/${repository}/blobs/${desc.digest}`, anonymous: opts.foreignUrl !== undefined,
      scopes: [repoScope(repository, 'pull')], expect: [200], what: 'blob GET',
    });
    try {
      checkContentLength(res, desc.size, Number.MAX_SAFE_INTEGER, what);
    } catch (e) {
      await discard(res.body);
      throw e;
    }
    let firstError: unknown;
    const body = typedBody(res);
    const verify = new VerifyStream(desc, what, opts.onBytes);
    body.on('error', (e) => {
      firstError ??= e;
      verify.destroy(e);
    });
    verify.on('error', (e) => { firstError ??= e; });
    body.pipe(verify);
    try {
      const result = await sink(verify);
      // A sink that swallowed a stream error must not turn unverified bytes into success.
      if (firstError !== undefined) throw firstError;
      return result;
    } catch (e) {
      body.destroy();
      if (firstError !== undefined && isStoreError(firstError)) throw firstError;
      throw e;
    }
  }, opts.onRetry, client.opts.signal);
}
