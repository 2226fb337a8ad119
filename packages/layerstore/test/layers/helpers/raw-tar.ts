// Hand-written tar headers for hostile archives: every field can be wrong on purpose.
import { Readable } from 'node:stream';

export interface RawEntry {
  name: string;
  /** Typeflag character: '0' file, '1' link, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo, 'x' pax... */
  type?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  data?: Buffer | string;
  /** Overrides the size field text (octal digits) or, as a bigint, encodes base-256. */
  sizeField?: string | bigint;
  /** Declared size when no data follows (truncated archives). */
  size?: number;
  /** PAX records to put in an 'x' header before this entry. */
  pax?: Record<string, string | Buffer>;
  /** Raw PAX header data instead of `pax`. */
  paxRaw?: Buffer;
  badChecksum?: boolean;
}

function octal(buf: Buffer, off: number, width: number, v: number): void {
  buf.write(v.toString(8).padStart(width - 1, '0') + '\0', off, width, 'latin1');
}

export function header(e: RawEntry): Buffer {
  const b = Buffer.alloc(512);
  Buffer.from(e.name, 'utf8').copy(b, 0, 0, 100);
  octal(b, 100, 8, e.mode ?? 0o644);
  octal(b, 108, 8, e.uid ?? 0);
  octal(b, 116, 8, e.gid ?? 0);
  const data = e.data === undefined ? undefined : Buffer.from(e.data);
  const size = e.size ?? data?.length ?? 0;
  if (typeof e.sizeField === 'bigint') {
    // GNU base-256: high bit set, big-endian two's complement.
    let v = BigInt.asUintN(88, e.sizeField);
    for (let i = 135; i >= 125; i--) {
      b[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    b[124] = 0x80 | (e.sizeField < 0n ? 0x7f : 0);
  } else if (typeof e.sizeField === 'string') b.write(e.sizeField.padEnd(12, '\0'), 124, 12, 'latin1');
  else octal(b, 124, 12, size);
  octal(b, 136, 12, e.mtime ?? 1700000000);
  b.write(e.type ?? '0', 156, 1, 'latin1');
  if (e.linkname !== undefined) Buffer.from(e.linkname, 'utf8').copy(b, 157, 0, 100);
  b.write('ustar\x0000', 257, 8, 'latin1');
  octal(b, 329, 8, e.devmajor ?? 0);
  octal(b, 337, 8, e.devminor ?? 0);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  if (e.badChecksum === true) sum += 1;
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return b;
}

function pad(n: number): Buffer {
  return Buffer.alloc((512 - (n % 512)) % 512);
}

export function paxData(records: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(records)) {
    const value = Buffer.from(v);
    const body = Buffer.byteLength(k) + value.length + 3;
    let d = 1;
    while (String(body + d).length !== d) d++;
    parts.push(Buffer.concat([Buffer.from(`${body + d} ${k}=`), value, Buffer.from('\n')]));
  }
  return Buffer.concat(parts);
}

export function entryBytes(e: RawEntry): Buffer {
  const parts: Buffer[] = [];
  const paxBuf = e.paxRaw ?? (e.pax !== undefined ? paxData(e.pax) : undefined);
  if (paxBuf !== undefined) {
    parts.push(header({ name: 'PaxHeader', type: 'x', data: paxBuf }), paxBuf, pad(paxBuf.length));
  }
  parts.push(header(e));
  if (e.data !== undefined) {
    const d = Buffer.from(e.data);
    parts.push(d, pad(d.length));
  }
  return Buffer.concat(parts);
}

export function tar(...entries: RawEntry[]): Buffer {
  return Buffer.concat([...entries.map(entryBytes), Buffer.alloc(1024)]);
}

export function streamOf(buf: Buffer, chunk = 64 * 1024): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  return Readable.from(parts.length === 0 ? [Buffer.alloc(0)] : parts, { objectMode: false });
}

export const file = (name: string, data: string | Buffer = '', mode = 0o644): RawEntry => ({ name, type: '0', data, mode });
export const dir = (name: string, mode = 0o755): RawEntry => ({ name, type: '5', mode });
export const symlink = (name: string, target: string): RawEntry => ({ name, type: '2', linkname: target, mode: 0o777 });
export const hardlink = (name: string, target: string): RawEntry => ({ name, type: '1', linkname: target });
