// Image references, normalized the way docker (distribution/reference) does:
//   busybox               → docker.io/library/busybox:latest
//   me/app:1              → docker.io/me/app:1
//   localhost:5000/app    → localhost:5000/app:latest
//   app@sha256:<hex>      → docker.io/library/app@sha256:<hex> (no tag added when a digest is given)
// Pure: no IO. Errors are StoreError('EREFERENCE') with details.reason.
import { StoreError } from '../errors.js';

export interface Reference {
  /** Registry as named by the user, normalized ("docker.io", "127.0.0.1:5000", "[::1]:5000"). */
  registry: string;
  /** Repository path inside the registry ("library/busybox"). */
  repository: string;
  tag?: string;
  digest?: string;
  /** registry/repository, the name the store tags with. */
  name: string;
  /** name[:tag][@digest], the canonical string. */
  canonical: string;
}

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';
const MAX_NAME_LENGTH = 255;

// From distribution/reference's grammar (regexp.go), rewritten.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_NAME = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*$/;
const IPV6 = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
const ANY_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function fail(reason: string, message: string, ref: string): never {
  throw new StoreError('EREFERENCE', message, { details: { reason, reference: ref } });
}

/** Validates "host", "host:port", "[v6]:port". */
function isDomain(domain: string): boolean {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith('[')) {
    const close = domain.indexOf(']');
    if (close < 0) return false;
    host = domain.slice(0, close + 1);
    const rest = domain.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return false;
      port = rest.slice(1);
    }
    if (!IPV6.test(host)) return false;
  } else {
    const colon = domain.lastIndexOf(':');
    if (colon >= 0) {
      host = domain.slice(0, colon);
      port = domain.slice(colon + 1);
    }
    if (!DOMAIN_NAME.test(host)) return false;
  }
  return port === undefined || (PORT.test(port) && Number(port) > 0 && Number(port) < 65536);
}

/** Splits "first/rest" into a domain and a path the way docker decides whether the first part is a host. */
function splitDomain(name: string): [string, string] {
  const slash = name.indexOf('/');
  if (slash < 0) return [DEFAULT_REGISTRY, name];
  const first = name.slice(0, slash);
  const looksLikeHost = /[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first;
  if (!looksLikeHost) return [DEFAULT_REGISTRY, name];
  return [first, name.slice(slash + 1)];
}

/** Parses and normalizes a reference; throws EREFERENCE with details.reason on invalid input. */
export function parseReference(input: string): Reference {
  const ref = input.trim();
  if (ref === '') fail('empty', 'the image reference is empty', input);
  if (ref.length > 4096) fail('too-long', 'the image reference is too long', input.slice(0, 64));

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!ANY_DIGEST.test(digest)) fail('invalid-digest', `"${digest}" is not a digest`, input);
    if (!SHA256.test(digest)) {
      const reason = digest.startsWith('sha256:') ? 'invalid-digest' : 'unsupported-digest';
      fail(reason, `only sha256 digests with 64 lowercase hex characters are supported, got "${digest}"`, input);
    }
  }

  // A tag is after the last ':' that follows the last '/' (a ':' before it belongs to host:port).
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) fail('invalid-tag', `"${tag}" is not a valid tag`, input);
  }

  if (rest === '') fail('invalid-format', 'the image reference has no repository name', input);
  let [domain, path] = splitDomain(rest);
  if (!isDomain(domain)) fail('invalid-domain', `"${domain}" is not a valid registry host`, input);
  if (domain === 'index.docker.io' || domain === 'registry-1.docker.io') domain = DEFAULT_REGISTRY;
  if (domain === DEFAULT_REGISTRY && !path.includes('/')) path = `library/${path}`;

  if (path !== path.toLowerCase()) fail('uppercase', 'repository names must be lowercase', input);
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) fail('invalid-format', `"${path}" is not a valid repository name`, input);
  }
  const name = `${domain}/${path}`;
  if (name.length > MAX_NAME_LENGTH) fail('name-too-long', `the repository name is longer than ${MAX_NAME_LENGTH} characters`, input);

  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  const canonical = name + (tag !== undefined ? `:${tag}` : '') + (digest !== undefined ? `@${digest}` : '');
  return { registry: domain, repository: path, tag, digest, name, canonical };
}

/** The host[:port] the registry API is served from (docker.io's API lives on registry-1.docker.io). */
export function registryApiHost(registry: string): string {
  return registry === DEFAULT_REGISTRY ? 'registry-1.docker.io' : registry;
}

/** True for hosts docker treats as local: localhost, 127.0.0.0/8, ::1 (any port). */
export function isLoopbackHost(hostPort: string): boolean {
  const host = hostOf(hostPort);
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** "host:port" → "host"; "[::1]:5000" → "::1". */
export function hostOf(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  const colon = hostPort.lastIndexOf(':');
  return colon >= 0 && hostPort.indexOf(':') === colon ? hostPort.slice(0, colon) : hostPort;
}
