// Blob uploads (distribution-spec "push"): a session is opened with POST (or a mount attempt that the
// registry turned into a session), then either one PUT ?digest= with the whole body (monolithic) or
// PATCHes with Content-Range followed by an empty PUT ?digest= (chunked). A failed PATCH (5xx, reset,
// 416) asks the session where it stands (GET → 204 Range: 0-N) and resumes from there.
import { printable } from './redact.js';
import { Transform, type Readable } from 'node:stream';
import { StoreError, isStoreError } from '../errors.js';
import type { Descriptor, Digest } from '../types.js';
import type { RegistryClient } from './client.js';
import { discard, type RawResponse } from './http.js';
import { isRetryable } from './retry.js';

export interface UploadContext {
  client: RegistryClient;
  repository: string;
  scopes: string[];
  open: () => Promise<Readable>;
  onBytes?: (sent: number) => void;
  chunkSize: number;
  /** Attempts per chunk before the whole upload is restarted. */
  chunkAttempts: number;
}

function locationOf(res: RawResponse, base: URL): URL {
  const loc = res.headers.location;
  if (loc === undefined) throw new StoreError('EREGISTRY', 'the registry opened an upload without a Location', { details: { host: base.host } });
  const url = new URL(loc, base);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new StoreError('EREGISTRY', `upload Location has unsupported scheme ${url.protocol}`, { details: { host: url.host } });
  }
  return url;
}

function withDigest(location: URL, digest: Digest): URL {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u;
}

/** The registry must not claim our blob landed under another digest. */
export function checkReturnedDigest(res: RawResponse, digest: Digest, what: string): void {
  const header = res.headers['docker-content-digest'];
  if (typeof header === 'string' && header !== digest) {
    throw new StoreError('EDIGEST', `${what}: the registry reports digest ${printable(header, 80)}, we sent ${digest}`, {
      details: { reason: 'returned-digest', expected: digest, returned: printable(header, 80) },
    });
  }
}

/** POSTs a new upload session; returns its Location and the registry's minimum chunk length. */
export async function openSession(ctx: UploadContext, mount?: { digest: Digest; from: string; scopes: string[] }): Promise<{ mounted: true } | { mounted: false; location: URL; minChunk: number }> {
  const { client, repository } = ctx;
  // A path, not a URL: the client picks the scheme on its first request.
  const query = mount ? `?${new URLSearchParams({ mount: mount.digest, from: mount.from }).toString()}` : '';
  const target = `/v2/${repository}/blobs/uploads/${query}`;
  const res = await client.request({
    method: 'POST', target, headers: { 'Content-Length': '0' }, scopes: mount ? mount.scopes : ctx.scopes,
    expect: mount ? [201, 202] : [202], what: mount ? 'blob mount' : 'upload start',
  });
  await discard(res.body);
  if (res.status === 201 && mount) {
    checkReturnedDigest(res, mount.digest, 'blob mount');
    return { mounted: true };
  }
  const minChunk = Number(res.headers['oci-chunk-min-length'] ?? 0);
  return { mounted: false, location: locationOf(res, res.url), minChunk: Number.isSafeInteger(minChunk) ? minChunk : 0 };
}

function counting(onBytes?: (n: number) => void, start = 0): Transform {
  let n = start;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      n += chunk.length;
      onBytes?.(n);
      cb(null, chunk);
    },
  });
}

/** PUT location?digest= with the whole blob. */
export async function uploadMonolithic(ctx: UploadContext, location: URL, desc: Descriptor): Promise<void> {
  const res = await ctx.client.request({
    method: 'PUT', target: withDigest(location, desc.digest),
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(desc.size) },
    body: async () => (await ctx.open()).pipe(counting(ctx.onBytes)),
    scopes: ctx.scopes, expect: [201], what: 'blob upload',
  });
  await discard(res.body);
  checkReturnedDigest(res, desc.digest, 'blob upload');
}

/** Yields the stream in Buffers of exactly `size` bytes (the last one shorter); one chunk is held at a time. */
async function* chunksOf(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (const c of stream) {
    let buf = c as Buffer;
    while (buf.length > 0) {
      const take = Math.min(size - have, buf.length);
      parts.push(buf.subarray(0, take));
      have += take;
      buf = buf.subarray(take);
      if (have === size) {
        yield Buffer.concat(parts, have);
        parts = [];
        have = 0;
      }
    }
  }
  if (have > 0) yield Buffer.concat(parts, have);
}

/** Asks the session how many bytes it holds (GET → 204 Range: 0-N). */
async function sessionOffset(ctx: UploadContext, location: URL): Promise<{ offset: number; location: URL }> {
  const res = await ctx.client.request({ method: 'GET', target: location, scopes: ctx.scopes, expect: [204], what: 'upload status' });
  await discard(res.body);
  const range = /^(?:bytes=)?0-(\d+)$/.exec(String(res.headers.range ?? ''));
  // "0-0" is what distribution answers for an empty session as well as for one byte; callers only
  // resume from it at the very start, where both readings lead to resending the first chunk.
  const end = range ? Number(range[1]) : -1;
  return { offset: end <= 0 ? 0 : end + 1, location: res.headers.location ? locationOf(res, location) : location };
}

/** PATCHes the blob chunk by chunk, resuming a failed chunk from the session's offset, then PUTs ?digest=. */
export async function uploadChunked(ctx: UploadContext, start: URL, desc: Descriptor): Promise<void> {
  let location = start;
  let offset = 0;
  const stream = await ctx.open();
  try {
    for await (const chunk of chunksOf(stream, ctx.chunkSize)) {
      const chunkStart = offset;
      const chunkEnd = offset + chunk.length - 1;
      let from = chunkStart;
      for (let attempt = 1; ; attempt++) {
        try {
          const body = chunk.subarray(from - chunkStart);
          const res = await ctx.client.request({
            method: 'PATCH', target: location, body,
            headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${from}-${chunkEnd}`, 'Content-Length': String(body.length) },
            scopes: ctx.scopes, expect: [202], what: 'chunk upload',
          });
          await discard(res.body);
          location = locationOf(res, location);
          break;
        } catch (e) {
          const resumable = isRetryable(e) || (isStoreError(e) && e.details.status === 416);
          if (!resumable || attempt >= ctx.chunkAttempts) throw e;
          const status = await sessionOffset(ctx, location);
          location = status.location;
          if (status.offset < chunkStart || status.offset > chunkEnd + 1) {
            throw new StoreError('EREGISTRY', `the upload session holds ${status.offset} bytes, expected ${chunkStart}..${chunkEnd + 1}; restarting the upload`, {
              details: { retryable: true, digest: desc.digest },
            });
          }
          if (status.offset === chunkEnd + 1) break;
          from = status.offset;
        }
      }
      offset = chunkEnd + 1;
      ctx.onBytes?.(offset);
    }
  } finally {
    stream.destroy();
  }
  if (offset !== desc.size) {
    throw new StoreError('ESIZE', `blob ${desc.digest}: read ${offset} bytes from the store, expected ${desc.size}`, { details: { digest: desc.digest } });
  }
  const res = await ctx.client.request({
    method: 'PUT', target: withDigest(location, desc.digest), headers: { 'Content-Length': '0' },
    scopes: ctx.scopes, expect: [201], what: 'upload commit',
  });
  await discard(res.body);
  checkReturnedDigest(res, desc.digest, 'upload commit');
}
