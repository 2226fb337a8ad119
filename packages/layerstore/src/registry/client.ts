// A client for one registry: scheme selection, TLS trust, auth (bearer/basic) and redirects.
// The one rule about credentials: an Authorization header is attached only to requests whose origin
// (scheme, host, port) is the registry's own. Redirects are followed by hand so that rule is applied
// to every hop; upload Locations and foreign-layer `urls` go through the same check.
import type { Readable } from 'node:stream';
import { StoreError } from '../errors.js';
import { parseChallenges, type Challenge } from './challenge.js';
import { lookupCredentials } from './docker-config.js';
import { discard, isNotTlsError, send, type RawResponse } from './http.js';
import type { Credentials, TransportOptions } from './options.js';
import { Secrets, redactUrl } from './redact.js';
import { isLoopbackHost, registryApiHost } from './reference.js';
import { isRetryableStatus, statusError } from './status-error.js';
import { extraCaFile, loadTlsSettings, type TlsSettings } from './tls.js';
import { fetchToken, type Token } from './token.js';

export interface ClientRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path under the registry ("/v2/...") or an absolute URL (an upload Location). */
  target: string | URL;
  headers?: Record<string, string>;
  /** A Buffer, or a factory so the body can be sent again after a 401. */
  body?: Buffer | (() => Promise<Readable>);
  /** Token scopes the request needs ("repository:a/b:pull"). */
  scopes: string[];
  /** Statuses that are an answer; anything else becomes a typed error. */
  expect: number[];
  /** Never attach credentials (foreign-layer urls). */
  anonymous?: boolean;
  /** Names the operation in error messages. */
  what: string;
}

// Trust settings per (host, cert folders) for the life of the process: certificate files are read once,
// and equal settings share one connection pool.
const tlsCache = new Map<string, Promise<TlsSettings>>();

const MAX_AUTH_ROUNDS = 3;
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class RegistryClient {
  readonly host: string;
  readonly secrets = new Secrets();
  private scheme?: 'https' | 'http';
  private probing?: Promise<void>;
  private readonly insecure: boolean;
  private credentials?: Promise<Credentials | undefined>;
  private bearer?: Record<string, string>;
  private basic = false;
  /** Token per scope set; a pending fetch is shared by concurrent requests. */
  private readonly tokens = new Map<string, Promise<Token>>();

  constructor(readonly registry: string, readonly opts: TransportOptions) {
    this.host = registryApiHost(registry);
    this.insecure = opts.insecure === true || (opts.insecureRegistries ?? []).includes(registry) || (opts.insecureRegistries ?? []).includes(this.host);
  }

  get origin(): string {
    return `${this.scheme ?? 'https'}://${this.host}`;
  }

  log(line: string): void {
    this.opts.log?.(this.secrets.scrub(line));
  }

  /** Credentials, looked up once (a helper runs once per client, however many requests wait on it). */
  private loadCredentials(): Promise<Credentials | undefined> {
    this.credentials ??= (async () => {
      const creds = this.opts.auth ?? await lookupCredentials(this.registry, this.opts.dockerConfigDir);
      for (const v of [creds?.password, creds?.identityToken, creds?.registryToken]) this.secrets.add(v);
      return creds;
    })();
    return this.credentials;
  }

  /** TLS settings for a host; verification is off only for the registry itself when it is marked insecure. */
  async tlsFor(host: string): Promise<TlsSettings & { verify: boolean }> {
    const key = [host, this.opts.certsDir, this.opts.caFile, process.env.SSL_CERT_FILE, extraCaFile()].join('|');
    let p = tlsCache.get(key);
    if (!p) {
      p = loadTlsSettings(host, { certsDir: this.opts.certsDir, caFile: this.opts.caFile });
      // A failed load is not remembered: the next client reads the files again.
      p.catch(() => tlsCache.delete(key));
      tlsCache.set(key, p);
    }
    return { ...(await p), verify: !(this.insecure && host === this.host) };
  }

  private isRegistryOrigin(url: URL): boolean {
    return url.origin === new URL(this.origin).origin;
  }

  private scopeKey(scopes: string[]): string {
    return [...scopes].sort().join(' ');
  }

  /** The Authorization header for the registry for these scopes, fetching a token if a bearer challenge is known. */
  private async authorization(scopes: string[]): Promise<string | undefined> {
    const creds = await this.loadCredentials();
    if (creds?.registryToken !== undefined) return `Bearer ${creds.registryToken}`;
    if (this.bearer) {
      const key = this.scopeKey(scopes);
      let pending = this.tokens.get(key);
      if (pending) {
        const token = await pending.catch(() => undefined);
        if (token === undefined || token.expiresAt <= Date.now()) pending = undefined;
      }
      if (!pending) {
        pending = fetchToken(this.bearer, scopes, this.tokenContext(creds));
        this.tokens.set(key, pending);
        pending.catch(() => this.tokens.delete(key));
      }
      return `Bearer ${(await pending).token}`;
    }
    if (this.basic && creds?.username !== undefined && creds.password !== undefined) {
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    return undefined;
  }

  private tokenContext(creds: Credentials | undefined): Parameters<typeof fetchToken>[2] {
    return {
      registryHost: this.host, registryScheme: this.scheme ?? 'https', credentials: creds,
      trustedRealmHosts: this.opts.trustedRealmHosts ?? [], secrets: this.secrets,
      idleTimeoutMs: this.opts.idleTimeoutMs ?? 60_000, documentTimeoutMs: this.opts.documentTimeoutMs, signal: this.opts.signal,
      userAgent: this.opts.userAgent ?? 'tsbuild', tlsFor: (h) => this.tlsFor(h), log: (l) => this.log(l),
    };
  }

  /** Learns from a 401: remembers the challenge and drops the token that failed. */
  private async learnChallenge(challenges: Challenge[], scopes: string[]): Promise<void> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer) {
      this.bearer = { realm: bearer.params.realm ?? '', service: bearer.params.service ?? '' };
      this.tokens.delete(this.scopeKey(scopes));
      return;
    }
    if (basic) {
      const creds = await this.loadCredentials();
      if (creds?.username === undefined || creds.password === undefined) {
        throw new StoreError('EAUTH', `${this.registry} requires a login (basic auth) and no credentials are configured`, {
          details: { reason: 'no-credentials', registry: this.registry },
        });
      }
      this.basic = true;
      return;
    }
    throw new StoreError('EAUTH', `${this.registry} asked for an authentication scheme tsbuild does not support`, {
      details: { reason: 'unsupported-scheme', registry: this.registry },
    });
  }

  /** Remembers the challenge /v2/ answered with, so the first real request already carries auth. */
  private async learnProbe(challenges: Challenge[]): Promise<void> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      this.bearer = { realm: bearer.params.realm ?? '', service: bearer.params.service ?? '' };
      return;
    }
    const creds = await this.loadCredentials();
    if (challenges.some((c) => c.scheme === 'basic') && creds?.username !== undefined && creds.password !== undefined) this.basic = true;
  }

  /** Runs the probe once; concurrent first requests wait for the same one. A failed probe is retried next time. */
  private ensureScheme(): Promise<void> {
    if (!this.probing) {
      this.probing = this.probe();
      this.probing.catch(() => { this.probing = undefined; });
    }
    return this.probing;
  }

  /** Picks https, or plain http for insecure/loopback registries that do not speak TLS; learns the challenge. */
  private async probe(): Promise<void> {
    const mayFallBack = this.insecure || isLoopbackHost(this.host);
    for (const scheme of ['https', 'http'] as const) {
      this.scheme = scheme;
      try {
        const url = new URL(`${scheme}://${this.host}/v2/`);
        const res = await send({
          method: 'GET', url, headers: { 'User-Agent': this.opts.userAgent ?? 'tsbuild' }, idleTimeoutMs: this.opts.idleTimeoutMs ?? 60_000,
          signal: this.opts.signal, tls: scheme === 'https' ? await this.tlsFor(this.host) : undefined,
        });
        this.log(`GET ${url.toString()} → ${res.status}`);
        await discard(res.body);
        if (res.status === 401) await this.learnProbe(parseChallenges(res.headers['www-authenticate']));
        return;
      } catch (e) {
        if (scheme === 'https' && mayFallBack && isNotTlsError(e)) {
          this.log(`${this.host} does not speak TLS; using plain http (insecure or loopback registry)`);
          continue;
        }
        this.scheme = undefined;
        throw e;
      }
    }
  }

  /** Sends a request (auth rounds and redirects included); errors are typed, retryable ones flagged. */
  async request(req: ClientRequest): Promise<RawResponse> {
    await this.ensureScheme();
    let url = typeof req.target === 'string' ? new URL(req.target, this.origin) : req.target;
    let scopes = req.scopes;
    let authRounds = 0;
    let redirects = 0;
    for (;;) {
      const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent ?? 'tsbuild', ...req.headers };
      const toRegistry = this.isRegistryOrigin(url) && req.anonymous !== true;
      if (toRegistry) {
        const auth = await this.authorization(scopes);
        if (auth !== undefined) headers.Authorization = auth;
      }
      const body = typeof req.body === 'function' ? await req.body() : req.body;
      const res = await send({
        method: req.method, url, headers, body, idleTimeoutMs: this.opts.idleTimeoutMs ?? 60_000, signal: this.opts.signal,
        tls: url.protocol === 'https:' ? await this.tlsFor(url.host) : undefined,
      });
      this.log(`${req.method} ${redactUrl(url)} → ${res.status}`);
      if (res.status === 401 && toRegistry) {
        const challenges = parseChallenges(res.headers['www-authenticate']);
        await discard(res.body);
        if (headers.Authorization?.startsWith('Basic ')) {
          throw new StoreError('EAUTH', `${this.registry} rejected the credentials for ${req.what}`, { details: { reason: 'unauthorized', registry: this.registry } });
        }
        if (++authRounds > MAX_AUTH_ROUNDS) {
          throw new StoreError('EAUTH', `${this.registry} kept answering 401 for ${req.what}`, { details: { reason: 'auth-loop', registry: this.registry, rounds: authRounds - 1 } });
        }
        await this.learnChallenge(challenges, scopes);
        // A registry may name the scope it wants (e.g. a mount's source repository): ask for it too.
        const wanted = challenges.find((c) => c.scheme === 'bearer')?.params.scope?.split(' ').filter((x) => /^[\w.:/,*-]+$/.test(x)) ?? [];
        scopes = [...new Set([...scopes, ...wanted])];
        continue;
      }
      if (REDIRECTS.has(res.status) && (req.method === 'GET' || req.method === 'HEAD') && !req.expect.includes(res.status)) {
        const location = res.headers.location;
        await discard(res.body);
        if (location === undefined || ++redirects > MAX_REDIRECTS) {
          throw new StoreError('EREGISTRY', `too many or broken redirects for ${req.what}`, { details: { host: url.host } });
        }
        const next = new URL(location, url);
        if (next.protocol !== 'https:' && next.protocol !== 'http:') {
          throw new StoreError('EREGISTRY', `redirect to unsupported scheme ${next.protocol}`, { details: { host: url.host } });
        }
        if (url.protocol === 'https:' && next.protocol === 'http:' && !this.insecure && !isLoopbackHost(next.host)) {
          throw new StoreError('EREGISTRY', `refusing a redirect from https to plain http (${next.host})`, { details: { host: next.host } });
        }
        url = next;
        continue;
      }
      if (!req.expect.includes(res.status)) {
        const err = await statusError(res, req.what, this.secrets);
        const retryAfter = Number(res.headers['retry-after']);
        if (isRetryableStatus(res.status) && Number.isFinite(retryAfter)) err.details.retryAfterMs = retryAfter * 1000;
        throw err;
      }
      return res;
    }
  }
}

/** Token scope for a repository. */
export function repoScope(repository: string, actions: 'pull' | 'pull,push'): string {
  return `repository:${repository}:${actions}`;
}
