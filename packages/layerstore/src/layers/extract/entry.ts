// The applier's view of one tar entry, built from tar-stream's header after strict validation.
import { invalidArchive, limitError, type ExtractLimits } from './limits.js';
import { splitPath } from '../../fs/resolve.js';

export type TarEntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface TarEntry {
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** SCHILY.xattr.* records, values as bytes. */
  xattrs: Map<string, Buffer>;
}

/** The subset of tar-stream's Headers we read (its `pax` is our strict decoder's output). */
export interface RawHeader {
  name: string;
  type: string | null;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: Date;
  linkname?: string | null;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string> | null;
}

const TYPES: Record<string, TarEntryType> = {
  file: 'file',
  'contiguous-file': 'file',
  link: 'link',
  symlink: 'symlink',
  'character-device': 'char',
  'block-device': 'block',
  directory: 'directory',
  fifo: 'fifo',
};

const MAX_ID = 2 ** 32 - 2; // (uid_t)-1 means "unchanged" to chown: never let a tar ask for it

function checkName(what: string, value: string, limits: ExtractLimits): void {
  if (value.includes('\0')) throw invalidArchive(`${what} contains NUL`);
  const bytes = Buffer.byteLength(value);
  if (bytes > limits.maxNameBytes) throw limitError('maxNameBytes', bytes, limits.maxNameBytes, what);
}

export function toEntry(h: RawHeader, limits: ExtractLimits): TarEntry {
  const pax = h.pax ?? {};
  if (Object.keys(pax).some((k) => k.startsWith('GNU.sparse.'))) {
    throw invalidArchive(`${JSON.stringify(h.name)}: sparse entries are not supported`, { reason: 'sparse' });
  }
  let type = h.type === null ? undefined : TYPES[h.type];
  if (type === undefined) {
    throw invalidArchive(`${JSON.stringify(h.name)}: unsupported entry type ${String(h.type)}`, { reason: 'type', type: h.type });
  }
  const name = h.name;
  const linkname = h.linkname ?? '';
  checkName('entry name', name, limits);
  checkName('link target', linkname, limits);
  const depth = splitPath(name).length;
  if (depth > limits.maxDepth) throw limitError('maxDepth', depth, limits.maxDepth, 'path depth');
  const size = h.size ?? 0;
  if (!Number.isSafeInteger(size) || size < 0) throw invalidArchive(`${JSON.stringify(name)}: bad size`);
  // A regular file named "x/" is a directory to GNU tar (and the old typeflag-NUL convention) but a
  // file "x" to Go and Python: empty ones are taken as directories, ones with data refused.
  if (type === 'file' && name.endsWith('/')) {
    if (size > 0) throw invalidArchive(`${JSON.stringify(name)}: file entry named like a directory`);
    type = 'directory';
  }
  // tar-stream would parse a directory's data as headers (GNU tar skips it): refuse the ambiguity.
  if (type === 'directory' && size > 0) throw invalidArchive(`${JSON.stringify(name)}: directory with data`);
  const uid = pax.uid !== undefined ? Number(pax.uid) : (h.uid ?? 0);
  const gid = pax.gid !== undefined ? Number(pax.gid) : (h.gid ?? 0);
  if (!(uid >= 0 && uid <= MAX_ID && gid >= 0 && gid <= MAX_ID)) {
    throw invalidArchive(`${JSON.stringify(name)}: uid/gid out of range`, { uid, gid });
  }
  const mtime = pax.mtime !== undefined ? Math.floor(Number(pax.mtime)) : Math.floor((h.mtime?.getTime() ?? 0) / 1000);
  const xattrs = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(pax)) {
    if (k.startsWith('SCHILY.xattr.')) xattrs.set(k.slice('SCHILY.xattr.'.length), Buffer.from(v, 'latin1'));
  }
  return {
    name, type, size, linkname, uid, gid, mtime, xattrs,
    mode: (h.mode ?? 0) & 0o7777,
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
  };
}
