// Pure parsers for flag values (docker's syntax for each); no IO, so they are table-tested.
import { UsageError } from '../errors.js';

export type OutputSpec =
  | { type: 'oci' | 'docker' | 'tar'; dest: string; compression?: 'gzip' | 'zstd' | 'none'; name?: string }
  | { type: 'local'; dest: string }
  | { type: 'registry'; name?: string; insecure?: boolean }
  | { type: 'image'; name?: string; push?: boolean };

const OUTPUT_TYPES = new Set(['oci', 'docker', 'tar', 'local', 'registry', 'image']);

/** `-o type=oci,dest=out.tar`, `-o out-dir` (= type=local), `-o -` (= type=tar to stdout). */
export function parseOutput(spec: string): OutputSpec {
  if (!spec.includes('=')) {
    return spec === '-' ? { type: 'tar', dest: '-' } : { type: 'local', dest: spec };
  }
  const kv = parseKeyValues(spec, '--output');
  const type = kv.get('type') ?? 'local';
  if (!OUTPUT_TYPES.has(type)) {
    throw new UsageError('USAGE_OUTPUT', `unknown output type "${type}" in --output ${spec}`, {
      hint: 'types: oci, docker, tar, local, registry, image',
    });
  }
  const name = kv.get('name');
  if (type === 'registry' || type === 'image') {
    const push = kv.get('push');
    const out: OutputSpec = { type, ...(name === undefined ? {} : { name }) };
    if (type === 'image' && push !== undefined) (out as { push?: boolean }).push = push === 'true';
    if (type === 'registry' && kv.get('registry.insecure') === 'true') (out as { insecure?: boolean }).insecure = true;
    return out;
  }
  const dest = kv.get('dest');
  if (dest === undefined || dest === '') {
    throw new UsageError('USAGE_OUTPUT', `--output ${spec} needs dest=PATH`);
  }
  if (type === 'local') return { type, dest };
  const compression = kv.get('compression');
  if (compression !== undefined && compression !== 'gzip' && compression !== 'zstd' && compression !== 'uncompressed' && compression !== 'none') {
    throw new UsageError('USAGE_OUTPUT', `unknown compression "${compression}" (gzip, zstd, uncompressed)`);
  }
  return {
    type: type as 'oci' | 'docker' | 'tar',
    dest,
    ...(compression === undefined ? {} : { compression: compression === 'uncompressed' ? 'none' : compression }),
    ...(name === undefined ? {} : { name }),
  };
}

/** `K=V` pairs; `K` alone takes its value from `env` (docker's --build-arg/-e habit) or is dropped. */
export function parseAssignments(
  items: string[],
  flag: string,
  env: Record<string, string | undefined> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (key === '') throw new UsageError('USAGE_ASSIGNMENT', `${flag} "${item}" has no name before "="`);
    if (eq < 0) {
      const v = env[key];
      if (v !== undefined) out[key] = v;
    } else {
      out[key] = item.slice(eq + 1);
    }
  }
  return out;
}

export interface SecretSpec {
  id: string;
  src?: string;
  env?: string;
}

/** `--secret id=x,src=path` | `id=x,env=VAR` | `id=x` (env var x or file). */
export function parseSecret(spec: string): SecretSpec {
  const kv = parseKeyValues(spec, '--secret');
  const id = kv.get('id');
  if (!id) throw new UsageError('USAGE_SECRET', `--secret ${spec} needs id=NAME`);
  const src = kv.get('src') ?? kv.get('source');
  const env = kv.get('env');
  for (const k of kv.keys()) {
    if (!['id', 'src', 'source', 'env', 'type'].includes(k)) {
      throw new UsageError('USAGE_SECRET', `unknown key "${k}" in --secret ${spec}`);
    }
  }
  return { id, ...(src === undefined ? {} : { src }), ...(env === undefined ? {} : { env }) };
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export function parsePlatform(spec: string): Platform {
  const parts = spec.toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) {
    throw new UsageError('USAGE_PLATFORM', `invalid platform "${spec}" (expected os/arch[/variant], e.g. linux/amd64)`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return { os, architecture, ...(variant === undefined ? {} : { variant }) };
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `64m`, `1g`, `512k`, `1048576` → bytes (docker's RAMInBytes). */
export function parseSize(spec: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(spec.trim());
  if (!m) throw new UsageError('USAGE_SIZE', `${flag} "${spec}" is not a size (e.g. 64m, 1g)`);
  const bytes = Math.floor(Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError('USAGE_SIZE', `${flag} "${spec}" is out of range`);
  return bytes;
}

export interface VolumeSpec {
  source: string;
  target: string;
  readonly: boolean;
}

/** `-v HOST:CTR[:ro|rw]`; both sides must be absolute (the CLI resolves a relative host path first). */
export function parseVolume(spec: string): VolumeSpec {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new UsageError('USAGE_VOLUME', `-v "${spec}" must be HOST:CONTAINER[:ro]`);
  }
  const [source, target, mode] = parts as [string, string, string | undefined];
  if (!target.startsWith('/')) throw new UsageError('USAGE_VOLUME', `-v "${spec}": the container path must be absolute`);
  if (source === '') throw new UsageError('USAGE_VOLUME', `-v "${spec}": the host path is empty`);
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') {
    throw new UsageError('USAGE_VOLUME', `-v "${spec}": mode must be ro or rw`);
  }
  return { source, target, readonly: mode === 'ro' };
}

function parseKeyValues(spec: string, flag: string): Map<string, string> {
  const kv = new Map<string, string>();
  for (const part of spec.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError('USAGE_KV', `${flag} ${spec}: "${part}" is not KEY=VALUE`);
    kv.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1));
  }
  return kv;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `10m`, `1h`, `500ms`, `30` (seconds) → milliseconds. */
export function parseDuration(spec: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(spec.trim());
  const ms = m ? Math.round(Number(m[1]) * (DURATION_UNITS[m[2] ?? 's'] ?? 1000)) : NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new UsageError('USAGE_DURATION', `${flag} "${spec}" is not a duration (e.g. 90s, 10m, 1h)`);
  return ms;
}
