// Canonical tar headers for the layers we generate. One fixed encoding per entry, so equal trees give
// equal bytes: ustar fields where the value fits, a PAX extended header ('x') otherwise; numeric uid/gid,
// empty uname/gname, integer-second mtime, no atime/ctime, PAX records sorted by key. Readers that know
// PAX (every OCI tool, GNU tar, bsdtar) see the full values; the ustar fields then hold placeholders.

export type EntryType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface EntryHeader {
  /** Relative name without a leading slash; directories end with '/'. */
  name: string;
  type: EntryType;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Data bytes that follow (0 for everything but 'file'). */
  size: number;
  /** Seconds since the epoch, an integer. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes, emitted as SCHILY.xattr.<name> PAX records. */
  xattrs?: ReadonlyMap<string, Buffer>;
}

export const BLOCK = 512;
/** Two zero blocks end an archive (no padding to a 10 KiB record: the digest covers exactly this). */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

const TYPEFLAG: Record<EntryType, string> = {
  file: '0', link: '1', symlink: '2', char: '3', block: '4', directory: '5', fifo: '6',
};

const PAX_NAME = 'PaxHeader';
const MAX_OCTAL_8 = 0o7777777;
const MAX_OCTAL_12 = 0o77777777777;

function isAscii(s: string): boolean {
  return /^[\x01-\x7f]*$/.test(s);
}

function writeOctal(buf: Buffer, offset: number, width: number, value: number): void {
  // width-1 zero-padded octal digits, then NUL.
  buf.write(value.toString(8).padStart(width - 1, '0'), offset, width - 1, 'ascii');
  buf[offset + width - 1] = 0;
}

function writeString(buf: Buffer, offset: number, width: number, value: string): void {
  Buffer.from(value, 'utf8').copy(buf, offset, 0, width);
}

/** One PAX record: "<len> <key>=<value>\n" where len counts the whole record, itself included. */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.byteLength(key) + value.length + 3; // ' ', '=', '\n'
  let digits = 1;
  while (String(body + digits).length !== digits) digits++;
  const len = body + digits;
  return Buffer.concat([Buffer.from(`${len} ${key}=`, 'utf8'), value, Buffer.from('\n')]);
}

function ustarBlock(h: EntryHeader, typeflag: string, name: string, size: number): Buffer {
  const b = Buffer.alloc(BLOCK);
  writeString(b, 0, 100, name);
  writeOctal(b, 100, 8, h.mode & 0o7777);
  writeOctal(b, 108, 8, Math.min(h.uid, MAX_OCTAL_8));
  writeOctal(b, 116, 8, Math.min(h.gid, MAX_OCTAL_8));
  writeOctal(b, 124, 12, Math.min(size, MAX_OCTAL_12));
  writeOctal(b, 136, 12, Math.max(0, Math.min(h.mtime, MAX_OCTAL_12)));
  b.write(typeflag, 156, 1, 'ascii');
  if (h.linkname !== undefined) writeString(b, 157, 100, h.linkname);
  b.write('ustar\x0000', 257, 8, 'ascii');
  writeOctal(b, 329, 8, Math.min(h.devmajor ?? 0, MAX_OCTAL_8));
  writeOctal(b, 337, 8, Math.min(h.devminor ?? 0, MAX_OCTAL_8));
  // Checksum: sum of all bytes with the checksum field read as spaces; 6 octal digits, NUL, space.
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i] as number;
  b.write(sum.toString(8).padStart(6, '0') + '\x00 ', 148, 8, 'ascii');
  return b;
}

function paxRecordsFor(h: EntryHeader): Map<string, Buffer> {
  const recs = new Map<string, Buffer>();
  if (Buffer.byteLength(h.name) > 100 || !isAscii(h.name)) recs.set('path', Buffer.from(h.name, 'utf8'));
  if (h.linkname !== undefined && (Buffer.byteLength(h.linkname) > 100 || !isAscii(h.linkname))) {
    recs.set('linkpath', Buffer.from(h.linkname, 'utf8'));
  }
  if (h.uid > MAX_OCTAL_8) recs.set('uid', Buffer.from(String(h.uid)));
  if (h.gid > MAX_OCTAL_8) recs.set('gid', Buffer.from(String(h.gid)));
  if (h.size > MAX_OCTAL_12) recs.set('size', Buffer.from(String(h.size)));
  if (h.mtime < 0 || h.mtime > MAX_OCTAL_12) recs.set('mtime', Buffer.from(String(h.mtime)));
  for (const [k, v] of h.xattrs ?? []) recs.set('SCHILY.xattr.' + k, v);
  return recs;
}

/** Bytes of padding after `size` data bytes. */
export function paddingFor(size: number): number {
  const r = size % BLOCK;
  return r === 0 ? 0 : BLOCK - r;
}

/** The header block(s) of one entry: an optional PAX header with its data, then the ustar block. */
export function encodeHeader(h: EntryHeader): Buffer {
  const recs = paxRecordsFor(h);
  const main = ustarBlock(h, TYPEFLAG[h.type], h.name, h.size);
  if (recs.size === 0) return main;
  const keys = [...recs.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const data = Buffer.concat(keys.map((k) => paxRecord(k, recs.get(k) as Buffer)));
  const paxHeader = ustarBlock({ name: PAX_NAME, type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0 }, 'x', PAX_NAME, data.length);
  return Buffer.concat([paxHeader, data, Buffer.alloc(paddingFor(data.length)), main]);
}
