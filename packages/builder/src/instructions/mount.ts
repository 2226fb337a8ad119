// `RUN --mount=type=...,key=value,...` (BuildKit instructions/commands_runmount.go).
// Parsing happens twice: at parse time with raw values (options holding `$` are validated later),
// and at dispatch with every value expanded (resolveMount), which also fills BuildKit's defaults.

import type { SourceRange } from '../errors.js';
import { failNear, type ParseContext } from './context.js';
import type { CacheSharing, MountSpec, MountType, RunMount } from './types.js';

const TYPES: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const ALIASES: Readonly<Record<string, string>> = {
  src: 'source', dst: 'target', destination: 'target', ro: 'readonly', rw: 'readwrite',
};
const VALUE_OPTIONAL = new Set(['readonly', 'readwrite', 'required']);
const KNOWN = new Set(['type', 'id', 'source', 'target', 'readonly', 'readwrite', 'required', 'sharing',
  'from', 'size', 'mode', 'uid', 'gid', 'env']);
const SHARING: readonly CacheSharing[] = ['shared', 'private', 'locked'];

export type Expand = (word: string) => string;

/** Split a mount spec like Go's encoding/csv (quoted fields, `""` inside quotes). */
function splitCsv(raw: string, fail: (msg: string) => never): string[] {
  const fields: string[] = [];
  let i = 0;
  while (true) {
    let field = '';
    if (raw[i] === '"') {
      i++;
      while (true) {
        if (i >= raw.length) fail('unterminated quote in mount spec');
        if (raw[i] === '"') {
          if (raw[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        field += raw[i++];
      }
      if (i < raw.length && raw[i] !== ',') fail('extraneous character after a quoted field in mount spec');
    } else {
      const end = raw.indexOf(',', i);
      field = end < 0 ? raw.slice(i) : raw.slice(i, end);
      if (field.includes('"')) fail('bare " in a non-quoted field of mount spec');
      i = end < 0 ? raw.length : end;
    }
    fields.push(field);
    if (i >= raw.length) return fields;
    i++; // the comma
  }
}

function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  return undefined;
}

/** go-units RAMInBytes: `64m`, `1.5GiB`, `1024` (binary multipliers). */
export function parseSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(v);
  if (m === null) return undefined;
  const mult = { k: 1, m: 2, g: 3, t: 4, p: 5 }[(m[2] ?? '').toLowerCase() as 'k'] ?? 0;
  const n = Math.floor(Number(m[1]) * 1024 ** mult);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parseUint(v: string, radix: 8 | 10): number | undefined {
  const re = radix === 8 ? /^[0-7]{1,11}$/ : /^\d{1,10}$/;
  if (!re.test(v)) return undefined;
  const n = parseInt(v, radix);
  return n <= 0xffffffff ? n : undefined;
}

/** Parse-time view: option names, type and `from` checked; values kept raw. */
export function parseMountSpec(raw: string, range: SourceRange, ctx: ParseContext): MountSpec {
  const fail = (msg: string): never => failNear(ctx, range, raw, 'DF_INVALID_MOUNT', `RUN --mount=${raw}: ${msg}`);
  const options: Record<string, string> = {};
  for (const field of splitCsv(raw, fail)) {
    const eq = field.indexOf('=');
    const rawKey = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const key = ALIASES[rawKey] ?? rawKey;
    if (!KNOWN.has(key)) fail(`unexpected key '${rawKey}'`);
    if (eq < 0) {
      if (!VALUE_OPTIONAL.has(key)) fail(`invalid field '${field}': must be a key=value pair`);
      options[key] = 'true';
    } else {
      options[key] = field.slice(eq + 1);
    }
  }
  const type = (options['type'] ?? 'bind').toLowerCase() as MountType;
  if (!TYPES.includes(type)) fail(`unsupported mount type '${options['type']}'`);
  const from = options['from'];
  if (from !== undefined && from.includes('$')) {
    fail("'from' doesn't support variable expansion, define an alias stage instead");
  }
  const spec: MountSpec = { raw, type, options };
  if (from !== undefined) spec.from = from.toLowerCase();
  // Validate what is already final now, so mistakes surface before anything runs.
  const staticOpts = Object.fromEntries(Object.entries(options).filter(([, v]) => !v.includes('$')));
  checkMount(type, staticOpts, fail, false);
  if ((type === 'bind' || type === 'cache' || type === 'tmpfs') && options['target'] === undefined) fail('target is required');
  return spec;
}

/** Dispatch-time view: expand every value, validate, fill defaults. `sshIndex` numbers ssh agents. */
export function resolveMount(spec: MountSpec, expand: Expand, range: SourceRange, ctx: ParseContext, sshIndex = 0): RunMount {
  const fail = (msg: string): never => failNear(ctx, range, spec.raw, 'DF_INVALID_MOUNT', `RUN --mount=${spec.raw}: ${msg}`);
  const opts: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.options)) opts[k] = k === 'from' || k === 'type' ? v : expand(v);
  return checkMount(spec.type, opts, fail, true, sshIndex);
}

function checkMount(type: MountType, o: Record<string, string>, fail: (m: string) => never, complete: true, sshIndex?: number): RunMount;
function checkMount(type: MountType, o: Record<string, string>, fail: (m: string) => never, complete: false): void;
function checkMount(type: MountType, o: Record<string, string>, fail: (m: string) => never, complete: boolean, sshIndex = 0): RunMount | void {
  const m: RunMount = { type, readOnly: false };
  const bool = (k: string): boolean | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    const b = parseBool(v);
    if (b === undefined) fail(`invalid value for ${k}: '${v}'`);
    return b;
  };
  const ro = bool('readonly');
  const rw = bool('readwrite');
  const required = bool('required');
  if (o['sharing'] !== undefined) {
    if (type !== 'cache') fail(`sharing is only valid for cache mounts, not ${type}`);
    if (!SHARING.includes(o['sharing'] as CacheSharing)) fail(`unsupported sharing value '${o['sharing']}' (shared, private or locked)`);
    m.sharing = o['sharing'] as CacheSharing;
  }
  for (const k of ['mode', 'uid', 'gid'] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (type !== 'cache' && type !== 'secret' && type !== 'ssh') fail(`${k} is not allowed for ${type} mounts`);
    const n = parseUint(v, k === 'mode' ? 8 : 10);
    if (n === undefined) fail(`invalid ${k} '${v}'`);
    m[k] = n;
  }
  if (o['size'] !== undefined) {
    if (type !== 'tmpfs') fail(`size is only valid for tmpfs mounts`);
    const n = parseSize(o['size']);
    if (n === undefined) fail(`invalid size '${o['size']}'`);
    m.sizeBytes = n;
  }
  if (o['env'] !== undefined && type !== 'secret') fail('env is only valid for secret mounts');
  if (o['from'] !== undefined && type === 'secret') fail('secret mounts cannot have a from');
  if (type === 'secret' && o['source'] !== undefined && o['id'] !== undefined) fail("both source and id can't be set");
  if (required !== undefined && type !== 'secret' && type !== 'ssh') fail('required is only valid for secret and ssh mounts');
  if (!complete) return;

  if (o['target'] !== undefined) m.target = o['target'];
  if (o['source'] !== undefined) m.source = o['source'];
  if (o['from'] !== undefined) m.from = o['from'];
  if (o['env'] !== undefined) m.env = o['env'];
  if (o['id'] !== undefined) m.id = o['id'];
  m.readOnly = ro ?? (rw === undefined ? type === 'bind' || type === 'secret' || type === 'ssh' : !rw);
  if (type === 'secret' || type === 'ssh') {
    m.required = required ?? false;
    m.mode ??= 0o400;
    m.uid ??= 0;
    m.gid ??= 0;
  }
  switch (type) {
    case 'bind':
    case 'tmpfs':
      if (m.target === undefined || m.target === '') fail('target is required');
      break;
    case 'cache':
      if (m.target === undefined || m.target === '') fail('target is required');
      m.id ??= m.target;
      m.sharing ??= 'shared';
      m.mode ??= 0o755;
      m.uid ??= 0;
      m.gid ??= 0;
      break;
    case 'secret': {
      m.id ??= m.source ?? (m.target === undefined ? undefined : basename(m.target));
      if (m.id === undefined || m.id === '') fail('one of id, source or target is required');
      if (m.target === undefined && m.env === undefined) m.target = `/run/secrets/${m.id}`;
      delete m.source;
      break;
    }
    case 'ssh':
      m.id ??= 'default';
      m.target ??= `/run/buildkit/ssh_agent.${sshIndex}`;
      break;
  }
  return m;
}

function basename(p: string): string {
  const parts = p.split('/').filter((x) => x !== '');
  return parts[parts.length - 1] ?? '';
}
