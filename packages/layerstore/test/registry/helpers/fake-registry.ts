// A small in-process registry for fault injection. It implements the distribution-spec routes the
// client uses (manifests, blobs, uploads with PATCH/resume, mounts, /token) honestly, and every
// request passes a pluggable `fault` hook first, which may answer instead. Every request's headers are
// recorded with the host (address:port) it reached, so tests can prove where credentials went.
// Listens on one loopback address; use 127.0.0.1 and 127.0.0.2 as "two hosts".
import { createHash, randomUUID } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  host: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** Shared across servers so one list shows the order of everything that happened. */
export class Recorder {
  readonly requests: RecordedRequest[] = [];
  to(host: string): RecordedRequest[] {
    return this.requests.filter((r) => r.host === host);
  }
  authorizationsAt(host: string): string[] {
    return this.to(host).map((r) => r.headers.authorization).filter((a): a is string => a !== undefined);
  }
}

export type Fault = (req: IncomingMessage, res: ServerResponse, body: Buffer, reg: FakeRegistry) => boolean | Promise<boolean>;

export type FakeAuth =
  | { kind: 'bearer'; realm: string; service?: string; user?: string; password?: string; token: string }
  | { kind: 'basic'; user: string; password: string };

function sha256(b: Uint8Array): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export class FakeRegistry {
  readonly blobs = new Map<string, Map<string, Buffer>>(); // repo → digest → bytes
  readonly manifests = new Map<string, { body: Buffer; type: string }>(); // `${repo}@${ref}`
  readonly uploads = new Map<string, { repo: string; data: Buffer }>();
  fault?: Fault;
  auth?: FakeAuth;
  /** Answers for GET /token (used when this server plays a token realm). */
  tokenAnswer?: (req: IncomingMessage, res: ServerResponse) => void;

  private constructor(private readonly server: http.Server, readonly recorder: Recorder, readonly host: string, readonly url: string) {}

  static async start(recorder: Recorder, opts: { address?: string; tls?: { key: string; cert: string } } = {}): Promise<FakeRegistry> {
    const address = opts.address ?? '127.0.0.1';
    // The handler needs the instance and the instance needs the listening server: a box breaks the cycle.
    const box: { reg?: FakeRegistry } = {};
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      void box.reg!.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(e));
      });
    };
    const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    const port = (server.address() as AddressInfo).port;
    const host = `${address}:${port}`;
    box.reg = new FakeRegistry(server, recorder, host, `${opts.tls ? 'https' : 'http'}://${host}`);
    return box.reg;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  putBlob(repo: string, data: Buffer): string {
    const d = sha256(data);
    if (!this.blobs.has(repo)) this.blobs.set(repo, new Map());
    this.blobs.get(repo)!.set(d, data);
    return d;
  }

  putManifest(repo: string, ref: string, body: Buffer, type: string): void {
    this.manifests.set(`${repo}@${ref}`, { body, type });
    this.manifests.set(`${repo}@${sha256(body)}`, { body, type });
  }

  blob(repo: string, digest: string): Buffer | undefined {
    return this.blobs.get(repo)?.get(digest);
  }

  private authorized(req: IncomingMessage): boolean {
    const a = this.auth;
    if (!a) return true;
    const h = req.headers.authorization ?? '';
    if (a.kind === 'basic') return h === `Basic ${Buffer.from(`${a.user}:${a.password}`).toString('base64')}`;
    return h === `Bearer ${a.token}`;
  }

  private challenge(res: ServerResponse): void {
    const a = this.auth!;
    res.setHeader('WWW-Authenticate', a.kind === 'basic'
      ? 'Basic realm="fake"'
      : `Bearer realm="${a.realm}",service="${a.service ?? 'fake'}"`);
    res.writeHead(401, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.recorder.requests.push({ host: this.host, method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (this.fault && await this.fault(req, res, body, this)) return;
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') return this.token(req, res);
    if (!this.authorized(req)) return this.challenge(res);
    if (url.pathname === '/v2/') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
      return;
    }
    let m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(url.pathname);
    if (m) return this.upload(req, res, m[1]!, m[2]!, url, body);
    m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (m) return this.manifest(req, res, m[1]!, m[2]!, body);
    m = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url.pathname);
    if (m) {
      const data = this.blob(m[1]!, m[2]!);
      if (!data) return this.error(res, 404, 'BLOB_UNKNOWN');
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length, 'Docker-Content-Digest': m[2]! });
      res.end(req.method === 'HEAD' ? undefined : data);
      return;
    }
    this.error(res, 404, 'NAME_UNKNOWN');
  }

  error(res: ServerResponse, status: number, code: string): void {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code, message: code.toLowerCase() }] }));
  }

  private token(req: IncomingMessage, res: ServerResponse): void {
    if (this.tokenAnswer) return this.tokenAnswer(req, res);
    const a = this.auth;
    if (a?.kind !== 'bearer') return this.error(res, 404, 'NOT_FOUND');
    if (a.user !== undefined && req.headers.authorization !== `Basic ${Buffer.from(`${a.user}:${a.password}`).toString('base64')}`) {
      res.writeHead(401);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token: a.token, expires_in: 300 }));
  }

  private manifest(req: IncomingMessage, res: ServerResponse, repo: string, ref: string, body: Buffer): void {
    if (req.method === 'PUT') {
      const type = String(req.headers['content-type'] ?? '');
      this.putManifest(repo, ref, body, type);
      res.writeHead(201, { 'Docker-Content-Digest': sha256(body), Location: `/v2/${repo}/manifests/${sha256(body)}` });
      res.end();
      return;
    }
    const m = this.manifests.get(`${repo}@${ref}`);
    if (!m) return this.error(res, 404, 'MANIFEST_UNKNOWN');
    res.writeHead(200, { 'Content-Type': m.type, 'Content-Length': m.body.length, 'Docker-Content-Digest': sha256(m.body) });
    res.end(req.method === 'HEAD' ? undefined : m.body);
  }

  private upload(req: IncomingMessage, res: ServerResponse, repo: string, id: string, url: URL, body: Buffer): void {
    if (req.method === 'POST' && id === '') {
      const mount = url.searchParams.get('mount');
      const from = url.searchParams.get('from');
      if (mount && from) {
        const data = this.blob(from, mount);
        if (data) {
          this.putBlob(repo, data);
          res.writeHead(201, { 'Docker-Content-Digest': mount, Location: `/v2/${repo}/blobs/${mount}` });
          res.end();
          return;
        }
      }
      const uuid = randomUUID();
      this.uploads.set(uuid, { repo, data: Buffer.alloc(0) });
      res.writeHead(202, { Location: `/v2/${repo}/blobs/uploads/${uuid}?_state=secret-${uuid}`, Range: '0-0', 'Content-Length': 0 });
      res.end();
      return;
    }
    const up = this.uploads.get(id);
    if (!up) return this.error(res, 404, 'BLOB_UPLOAD_UNKNOWN');
    const range = (): string => `0-${Math.max(0, up.data.length - 1)}`;
    if (req.method === 'GET') {
      res.writeHead(204, { Range: range(), Location: `/v2/${repo}/blobs/uploads/${id}` });
      res.end();
      return;
    }
    if (req.method === 'PATCH') {
      const cr = /^(\d+)-(\d+)$/.exec(String(req.headers['content-range'] ?? ''));
      if (cr && Number(cr[1]) !== up.data.length) return this.error(res, 416, 'BLOB_UPLOAD_INVALID');
      up.data = Buffer.concat([up.data, body]);
      res.writeHead(202, { Location: `/v2/${repo}/blobs/uploads/${id}`, Range: range(), 'Content-Length': 0 });
      res.end();
      return;
    }
    if (req.method === 'PUT') {
      up.data = Buffer.concat([up.data, body]);
      const digest = url.searchParams.get('digest') ?? '';
      if (sha256(up.data) !== digest) return this.error(res, 400, 'DIGEST_INVALID');
      this.putBlob(repo, up.data);
      this.uploads.delete(id);
      res.writeHead(201, { 'Docker-Content-Digest': digest, Location: `/v2/${repo}/blobs/${digest}` });
      res.end();
      return;
    }
    this.error(res, 405, 'UNSUPPORTED');
  }
}
