// Turns an unexpected registry answer into a typed StoreError, using the distribution-spec error body
// ({"errors":[{"code","message"}]}) when there is one. Messages are scrubbed of known secrets.
import { StoreError } from '../errors.js';
import { discard, type RawResponse } from './http.js';
import { LIMITS } from './media-types.js';
import { printable, redactUrl, type Secrets } from './redact.js';
import { readCapped } from './verify.js';

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

function codeFor(status: number, registryCode: string | undefined): string {
  switch (registryCode) {
    case 'DIGEST_INVALID': return 'EDIGEST';
    case 'SIZE_INVALID': return 'ESIZE';
    case 'MANIFEST_UNKNOWN': case 'BLOB_UNKNOWN': case 'NAME_UNKNOWN': return 'ENOTFOUND';
    case 'UNAUTHORIZED': case 'DENIED': return 'EAUTH';
    default: break;
  }
  if (status === 401 || status === 403) return 'EAUTH';
  if (status === 404) return 'ENOTFOUND';
  return 'EREGISTRY';
}

async function readRegistryError(res: RawResponse): Promise<{ code?: string; message?: string }> {
  const type = String(res.headers['content-type'] ?? '');
  if (!type.includes('json')) {
    await discard(res.body);
    return {};
  }
  try {
    const body = await readCapped(res.body, LIMITS.errorBodyBytes, 'error body');
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = Array.isArray(parsed.errors) ? parsed.errors[0] : undefined;
    return {
      code: typeof first?.code === 'string' ? printable(first.code, 64) : undefined,
      message: typeof first?.message === 'string' ? printable(first.message, 300) : undefined,
    };
  } catch {
    return {};
  }
}

/** Builds the error for `res` (and consumes its body). `what` names the operation ("manifest GET"). */
export async function statusError(res: RawResponse, what: string, secrets: Secrets): Promise<StoreError> {
  const { code: registryCode, message } = await readRegistryError(res);
  const code = codeFor(res.status, registryCode);
  const text = secrets.scrub(`${what} ${redactUrl(res.url)}: ${res.status}${registryCode ? ` ${registryCode}` : ''}${message ? ` (${message})` : ''}`);
  return new StoreError(code, text, {
    details: {
      status: res.status,
      registryCode,
      host: res.url.host,
      retryable: isRetryableStatus(res.status),
      reason: res.status === 403 ? 'forbidden' : res.status === 401 ? 'unauthorized' : undefined,
    },
  });
}
