// Manifest and index documents from a registry, checked before anything is built on them:
// schema1 refused; a document that has both `layers` and `manifests` (or `config` and `manifests`)
// refused (CVE-2021-41190); the body's mediaType must agree with Content-Type; descriptors validated.
import { printable } from './redact.js';
import { StoreError } from '../errors.js';
import type { Descriptor, Platform } from '../types.js';
import {
  DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, LIMITS, OCI_INDEX, OCI_MANIFEST, isIndexType, isManifestType,
} from './media-types.js';
import { checkDescriptor } from './verify.js';

export interface IndexDocument {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

export interface ManifestDocument {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export type Document = IndexDocument | ManifestDocument;

const GENERIC_TYPES = new Set(['', 'application/json', 'application/octet-stream', 'text/plain']);

function invalid(reason: string, message: string): StoreError {
  return new StoreError('EMANIFEST_INVALID', message, { details: { reason } });
}

function unsupported(reason: string, message: string, mediaType?: string): StoreError {
  return new StoreError('EMANIFEST_UNSUPPORTED', message, { details: { reason, mediaType } });
}

/** Parses a manifest or index body; `contentType` is the response header (parameters ignored). */
export function parseDocument(raw: Buffer, contentType: string | undefined): Document {
  let doc: Record<string, unknown>;
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    doc = parsed as Record<string, unknown>;
  } catch {
    throw invalid('json', 'the manifest is not a JSON object');
  }
  const header = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const bodyType = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  if (doc.mediaType !== undefined && bodyType === undefined) throw invalid('media-type', 'the manifest mediaType is not a string');

  if (doc.schemaVersion === 1 || [header, bodyType].some((t) => t === DOCKER_SCHEMA1 || t === DOCKER_SCHEMA1_SIGNED)) {
    throw unsupported('schema1', 'Docker schema 1 manifests are deprecated and not supported; push the image again with a current client', DOCKER_SCHEMA1);
  }
  if (doc.schemaVersion !== 2) throw invalid('schema-version', 'the manifest schemaVersion is not 2');

  const hasManifests = doc.manifests !== undefined;
  const hasImageFields = doc.layers !== undefined || doc.config !== undefined;
  if (hasManifests && hasImageFields) {
    throw invalid('ambiguous', 'the document has both "manifests" and "layers"/"config": it could be read as an index or an image (CVE-2021-41190)');
  }
  if (bodyType !== undefined && !GENERIC_TYPES.has(header) && header !== bodyType) {
    throw invalid('content-type-mismatch', `the registry sent Content-Type ${printable(header)} for a document whose mediaType is ${printable(bodyType)}`);
  }
  const type = bodyType ?? (GENERIC_TYPES.has(header) ? (hasManifests ? OCI_INDEX : OCI_MANIFEST) : header);

  if (isIndexType(type)) {
    if (hasImageFields || !Array.isArray(doc.manifests)) throw invalid('structure', `a ${type} document needs a "manifests" array and nothing else`);
    if (doc.manifests.length > LIMITS.indexEntries) throw new StoreError('ELIMIT', `the index has more than ${LIMITS.indexEntries} entries`, { details: { limit: LIMITS.indexEntries } });
    const manifests = doc.manifests.map((d, i) => checkDescriptor(d, `index entry ${i}`));
    return { kind: 'index', mediaType: type, manifests };
  }
  if (isManifestType(type)) {
    if (hasManifests || !Array.isArray(doc.layers) || doc.config === undefined) throw invalid('structure', `a ${type} document needs "config" and "layers"`);
    if (doc.layers.length > LIMITS.manifestLayers) throw new StoreError('ELIMIT', `the manifest has more than ${LIMITS.manifestLayers} layers`, { details: { limit: LIMITS.manifestLayers } });
    const config = checkDescriptor(doc.config, 'config');
    const layers = doc.layers.map((d, i) => checkDescriptor(d, `layer ${i}`));
    return { kind: 'manifest', mediaType: type, config, layers };
  }
  throw unsupported('media-type', `unsupported manifest media type ${printable(type)}`, printable(type));
}

/** "linux/arm64/v8" → {os, architecture, variant}. */
export function parsePlatform(p: Platform | string | undefined): Platform {
  if (p === undefined) return { os: 'linux', architecture: 'amd64' };
  if (typeof p !== 'string') return p;
  const [os, architecture, variant] = p.split('/');
  if (!os || !architecture) {
    throw new StoreError('EPLATFORM', `"${p}" is not a platform (expected os/arch[/variant])`, { details: { platform: p } });
  }
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** The variant an architecture implies when none is written (containerd's platforms normalization). */
function defaultVariant(arch: string): string | undefined {
  if (arch === 'arm64') return 'v8';
  if (arch === 'arm') return 'v7';
  if (arch === 'amd64') return 'v1';
  return undefined;
}

export function platformString(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** The index entry for `want`: os and architecture must match, variant after normalization. */
export function selectPlatform(index: IndexDocument, want: Platform): Descriptor {
  const wantVariant = want.variant ?? defaultVariant(want.architecture);
  const images = index.manifests.filter((d) => isManifestType(d.mediaType) && d.platform !== undefined);
  const match = images.find((d) => d.platform!.os === want.os && d.platform!.architecture === want.architecture
    && (d.platform!.variant ?? defaultVariant(d.platform!.architecture)) === wantVariant)
    // An entry without a variant serves every variant when nothing more precise exists (docker does this for arm).
    ?? images.find((d) => d.platform!.os === want.os && d.platform!.architecture === want.architecture && want.variant === undefined);
  if (!match) {
    const available = images.slice(0, 20).map((d) => printable(platformString(d.platform!), 60)).join(', ');
    throw new StoreError('ENOPLATFORM', `no image for ${platformString(want)} in the index (available: ${available || 'none'})`, {
      details: { platform: platformString(want), available: images.slice(0, 20).map((d) => printable(platformString(d.platform!), 60)) },
    });
  }
  return match;
}
