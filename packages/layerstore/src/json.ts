// JSON in and out of the store. Documents we write are serialized with a fixed key order (the
// field order of the Go structs in image-spec, which is what containerd, skopeo and docker emit),
// unknown keys sorted after the known ones, so equal inputs always give equal bytes and digests.
// Documents we read are size-capped before parsing (CVE-2023-25153 class).
import { StoreError } from './errors.js';

/** Size caps for JSON read from blobs or archives. */
export const LIMITS = {
  /** containerd's MaxManifestSize is 4 MiB; manifests, indexes and configs share it. */
  manifest: 4 * 1024 * 1024,
  config: 8 * 1024 * 1024,
  /** index.json of an archive or the store; docker-save manifest.json / repositories. */
  index: 8 * 1024 * 1024,
} as const;

type Order = readonly string[];
const DESCRIPTOR: Order = ['mediaType', 'digest', 'size', 'urls', 'annotations', 'data', 'platform', 'artifactType'];
const MANIFEST: Order = ['schemaVersion', 'mediaType', 'artifactType', 'config', 'layers', 'manifests', 'subject', 'annotations'];
const IMAGE: Order = ['created', 'author', 'architecture', 'os', 'os.version', 'os.features', 'variant', 'config', 'rootfs', 'history'];
const CONTAINER: Order = ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'ArgsEscaped'];
const HISTORY: Order = ['created', 'created_by', 'author', 'comment', 'empty_layer'];
const ROOTFS: Order = ['type', 'diff_ids'];
const PLATFORM: Order = ['architecture', 'os', 'os.version', 'os.features', 'variant'];

/** How to order the keys of a value and of its children. */
interface Shape {
  order?: Order;
  children?: Record<string, Shape>;
  items?: Shape;
}

const descriptorShape: Shape = { order: DESCRIPTOR, children: { platform: { order: PLATFORM } } };
const manifestShape: Shape = {
  order: MANIFEST,
  children: { config: descriptorShape, layers: { items: descriptorShape }, manifests: { items: descriptorShape }, subject: descriptorShape },
};
const imageShape: Shape = {
  order: IMAGE,
  children: { config: { order: CONTAINER }, rootfs: { order: ROOTFS }, history: { items: { order: HISTORY } } },
};

function orderValue(value: unknown, shape: Shape | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => orderValue(v, shape?.items));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const order = shape?.order ?? [];
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
  const known = order.filter((k) => keys.includes(k));
  const rest = keys.filter((k) => !order.includes(k)).sort();
  const out: Record<string, unknown> = {};
  for (const k of [...known, ...rest]) out[k] = orderValue(obj[k], shape?.children?.[k]);
  return out;
}

/** Canonical bytes of an OCI/Docker manifest or index. */
export function stringifyManifest(value: unknown): string {
  return JSON.stringify(orderValue(value, manifestShape));
}

/** Canonical bytes of an image config. */
export function stringifyImageConfig(value: unknown): string {
  return JSON.stringify(orderValue(value, imageShape));
}

/** Canonical bytes of any other JSON we write (keys sorted). */
export function stringifySorted(value: unknown): string {
  return JSON.stringify(orderValue(value, undefined));
}

/** Parses a JSON document after checking its size; code EJSON or ETOOLARGE. */
export function parseJSON<T = unknown>(bytes: Buffer | string, maxBytes: number, what: string): T {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
  if (size > maxBytes) {
    throw new StoreError('ETOOLARGE', `${what} is ${size} bytes, more than the ${maxBytes} allowed`, { details: { what, size, limit: maxBytes } });
  }
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8')) as T;
  } catch (e) {
    throw new StoreError('EJSON', `${what} is not valid JSON`, { cause: e, details: { what } });
  }
}

/** True for a plain JSON object (not an array, not null). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
