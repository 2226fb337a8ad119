// One HTTP exchange over node:http/https, nothing more: no redirects (the client decides, per host,
// what to send where), no retries, no auth. Errors become StoreError ENETWORK (retryable) or ETLS.
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StoreError } from '../errors.js';
import { redactUrl } from './redact.js';
import type { TlsSettings } from './tls.js';

export interface RawRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  /** A Buffer is replayable; a stream is sent once. */
  body?: Buffer | Readable;
  tls?: TlsSettings & { verify: boolean };
  idleTimeoutMs: number;
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  url: URL;
  /** True once the idle timer fired (the body's later error then means "idle", not "reset"). */
  idle: () => boolean;
  signal?: AbortSignal;
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED',
]);

/** Connection-level failures worth another attempt. */
const RETRYABLE_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'ECONNABORTED', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE', 'EIDLE',
]);

/** True when the far end is not speaking TLS at all (a plain-HTTP registry probed with https). */
export function isNotTlsError(e: unknown): boolean {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? '';
  return code === 'EPROTO' || code.startsWith('ERR_SSL_') || /wrong version number|packet length too long/i.test(cause?.message ?? '');
}

const agents = new Map<string, http.Agent>();
// Trust settings are told apart by identity: each loaded CA list gets its own number.
const trustIds = new WeakMap<string[], number>();
let nextTrustId = 0;

function trustId(ca: string[]): number {
  let id = trustIds.get(ca);
  if (id === undefined) {
    id = ++nextTrustId;
    trustIds.set(ca, id);
  }
  return id;
}

function agentFor(req: RawRequest): http.Agent {
  const tls = req.url.protocol === 'https:' ? req.tls : undefined;
  // Agents are keyed by origin and trust settings so connections are reused only where equivalent.
  const key = `${req.url.origin}|${tls ? `${tls.verify}|${trustId(tls.ca)}` : ''}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = tls
      ? new https.Agent({ keepAlive: true, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.verify })
      : new http.Agent({ keepAlive: true });
    agents.set(key, agent);
  }
  return agent;
}

/** Maps a socket/TLS error to a typed, redacted StoreError. */
export function networkError(e: unknown, url: URL): StoreError {
  if (e instanceof StoreError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? (err.name === 'AbortError' ? 'ABORT_ERR' : 'UNKNOWN');
  if (TLS_CODES.has(code)) {
    return new StoreError('ETLS', `TLS verification failed for ${url.host} (${code}); add its CA to the certs folder or mark the registry insecure`, {
      cause: e, details: { host: url.host, tlsCode: code },
    });
  }
  if (code === 'ABORT_ERR') return new StoreError('EABORTED', 'the transfer was cancelled', { cause: e });
  return new StoreError('ENETWORK', `${code} talking to ${redactUrl(url)}`, {
    cause: e, details: { host: url.host, netCode: code, retryable: RETRYABLE_CODES.has(code) || code === 'UNKNOWN' },
  });
}

export function send(req: RawRequest): Promise<RawResponse> {
  const mod = req.url.protocol === 'https:' ? https : http;
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    let idle = false;
    const r = mod.request(req.url, {
      method: req.method,
      headers: req.headers,
      agent: agentFor(req),
      signal: req.signal,
      timeout: req.idleTimeoutMs,
    }, (res) => {
      settled = true;
      // Idle time while the body streams is still bounded: the socket timeout stays armed.
      res.on('error', () => undefined);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: req.url, idle: () => idle, signal: req.signal });
    });
    r.on('timeout', () => {
      idle = true;
      const e = Object.assign(new Error('socket idle timeout'), { code: 'EIDLE' });
      r.destroy(e);
    });
    r.on('error', (e) => {
      if (!settled) {
        settled = true;
        reject(networkError(e, req.url));
      }
    });
    if (req.body === undefined) {
      r.end();
    } else if (Buffer.isBuffer(req.body)) {
      r.end(req.body);
    } else {
      pipeline(req.body as Readable, r).catch((e: unknown) => {
        r.destroy(e as Error);
      });
    }
  });
}

/** Drains and discards a body so its connection can be reused (bounded: a huge body just closes it). */
export async function discard(body: IncomingMessage): Promise<void> {
  let seen = 0;
  try {
    for await (const chunk of body) {
      seen += (chunk as Buffer).length;
      if (seen > 1024 * 1024) {
        body.destroy();
        return;
      }
    }
  } catch {
    // A broken body we were throwing away anyway.
  }
}

/** Wraps a body stream so its errors surface as typed StoreErrors on the consumer's side. */
export function typedBody(res: RawResponse): Readable {
  const out = new Readable({ read() { res.body.resume(); } });
  res.body.on('data', (c: Buffer) => {
    if (!out.push(c)) res.body.pause();
  });
  res.body.on('end', () => out.push(null));
  const fail = (e: Error): void => {
    const cause = res.signal?.aborted === true ? Object.assign(new Error('aborted'), { code: 'ABORT_ERR' })
      : res.idle() ? Object.assign(new Error('socket idle timeout'), { code: 'EIDLE' }) : e;
    out.destroy(networkError(cause, res.url));
  };
  res.body.on('aborted', () => fail(Object.assign(new Error('body truncated'), { code: 'ECONNRESET' })));
  res.body.on('error', fail);
  out.on('close', () => {
    if (!res.body.complete) res.body.destroy();
  });
  return out;
}
