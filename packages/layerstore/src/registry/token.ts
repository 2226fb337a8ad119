// Bearer tokens (docker token auth spec). The realm comes from the registry's WWW-Authenticate header,
// so it is attacker-controlled (SECURITY.md §1.7). Rules, in order:
//  1. the realm is an absolute URL without userinfo;
//  2. its scheme is https, or http only when the realm host is loopback AND the registry itself is
//     spoken to over plain http (a realm is never less protected than the registry);
//  3. credentials go to the realm only when its hostname is the registry's hostname, a built-in pair
//     (docker.io → auth.docker.io) or listed in trustedRealmHosts; otherwise the token is requested
//     anonymously, and the registry decides whether that is enough;
//  4. token requests never follow redirects; answers are size-capped; tokens are registered as secrets.
import { StoreError } from '../errors.js';
import { discard, send, type RawResponse } from './http.js';
import { LIMITS } from './media-types.js';
import type { Credentials } from './options.js';
import { Secrets, redactUrl } from './redact.js';
import { hostOf, isLoopbackHost } from './reference.js';
import type { TlsSettings } from './tls.js';
import { readCapped } from './verify.js';

/** Realm hosts that belong to a registry although their hostname differs. */
const BUILTIN_REALM_HOSTS: Record<string, string[]> = {
  'registry-1.docker.io': ['auth.docker.io'],
};

export interface TokenContext {
  /** host[:port] of the registry API. */
  registryHost: string;
  registryScheme: 'https' | 'http';
  credentials?: Credentials;
  trustedRealmHosts: string[];
  secrets: Secrets;
  idleTimeoutMs: number;
  documentTimeoutMs?: number;
  signal?: AbortSignal;
  userAgent: string;
  tlsFor(host: string): Promise<TlsSettings & { verify: boolean }>;
  log?: (line: string) => void;
}

export interface Token {
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

function authError(reason: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): StoreError {
  return new StoreError('EAUTH', message, { cause, details: { reason, ...details } });
}

/** Checks rules 1–2 and answers rule 3: may credentials be sent to this realm? */
export function checkRealm(realmText: string | undefined, ctx: Pick<TokenContext, 'registryHost' | 'registryScheme' | 'trustedRealmHosts'>): { realm: URL; trusted: boolean } {
  let realm: URL;
  try {
    realm = new URL(realmText ?? '');
  } catch {
    throw authError('realm-invalid', `the registry ${ctx.registryHost} sent an invalid token realm`, { registry: ctx.registryHost });
  }
  if (realm.username !== '' || realm.password !== '') {
    throw authError('realm-invalid', `the token realm sent by ${ctx.registryHost} contains userinfo`, { registry: ctx.registryHost });
  }
  const loopback = isLoopbackHost(realm.host);
  const schemeOk = realm.protocol === 'https:' || (realm.protocol === 'http:' && loopback && ctx.registryScheme === 'http');
  if (!schemeOk) {
    throw authError('realm-insecure', `the token realm ${redactUrl(realm)} is not https; refusing to request a token over plain http`, {
      registry: ctx.registryHost, realmHost: realm.host,
    });
  }
  const registryHostname = hostOf(ctx.registryHost);
  const realmHostname = hostOf(realm.host);
  const trusted = realmHostname === registryHostname
    || (BUILTIN_REALM_HOSTS[registryHostname] ?? []).includes(realmHostname)
    || ctx.trustedRealmHosts.includes(realmHostname) || ctx.trustedRealmHosts.includes(realm.host);
  return { realm, trusted };
}

async function readTokenAnswer(res: RawResponse, ctx: TokenContext, realm: URL): Promise<Token> {
  const body = await readCapped(res.body, LIMITS.tokenBytes, 'token response', ctx.documentTimeoutMs);
  let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    throw authError('token-invalid', `the token server ${realm.host} answered with invalid JSON`, { realmHost: realm.host });
  }
  const token = typeof parsed.token === 'string' && parsed.token !== '' ? parsed.token
    : typeof parsed.access_token === 'string' ? parsed.access_token : '';
  if (token === '') throw authError('token-invalid', `the token server ${realm.host} answered without a token`, { realmHost: realm.host });
  ctx.secrets.add(token);
  // The spec's default lifetime is 60 s; renew a little early.
  const seconds = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 60;
  return { token, expiresAt: Date.now() + Math.max(1, seconds - 10) * 1000 };
}

/** Fetches a token for `scopes` from the challenge's realm, following the rules above. */
export async function fetchToken(params: Record<string, string>, scopes: string[], ctx: TokenContext): Promise<Token> {
  const { realm, trusted } = checkRealm(params.realm, ctx);
  const creds = trusted ? ctx.credentials : undefined;
  const headers: Record<string, string> = { 'User-Agent': ctx.userAgent, Accept: 'application/json' };
  let method = 'GET';
  let body: Buffer | undefined;
  const url = new URL(realm);
  if (creds?.identityToken !== undefined) {
    // OAuth2 refresh-token grant, as docker does for identity tokens.
    method = 'POST';
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'tsbuild' });
    if (params.service) form.set('service', params.service);
    if (scopes.length > 0) form.set('scope', scopes.join(' '));
    body = Buffer.from(form.toString());
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    headers['Content-Length'] = String(body.length);
  } else {
    if (params.service) url.searchParams.set('service', params.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    if (creds?.username !== undefined && creds.password !== undefined) {
      headers.Authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
  }
  if (!trusted && ctx.credentials !== undefined) {
    ctx.log?.(`token realm ${realm.host} is not the registry host: asking for an anonymous token`);
  }
  const res = await send({
    method, url, headers, body, idleTimeoutMs: ctx.idleTimeoutMs, signal: ctx.signal,
    tls: url.protocol === 'https:' ? await ctx.tlsFor(url.host) : undefined,
  });
  ctx.log?.(`${method} ${redactUrl(url)} → ${res.status}`);
  if (res.status >= 300 && res.status < 400) {
    await discard(res.body);
    throw authError('realm-redirect', `the token server ${realm.host} answered with a redirect; token requests never follow redirects`, { realmHost: realm.host });
  }
  if (res.status === 401 || res.status === 403) {
    await discard(res.body);
    throw authError(trusted ? 'token-denied' : 'realm-untrusted', trusted
      ? `the token server ${realm.host} refused the credentials`
      : `the token server ${realm.host} refused an anonymous token; it is not the registry host, so credentials are not sent there (add it to trustedRealmHosts if it is yours)`,
    { realmHost: realm.host, status: res.status });
  }
  if (res.status !== 200) {
    await discard(res.body);
    throw new StoreError('EREGISTRY', `the token server ${realm.host} answered ${res.status}`, {
      details: { realmHost: realm.host, status: res.status, retryable: res.status >= 500 },
    });
  }
  return readTokenAnswer(res, ctx, realm);
}
