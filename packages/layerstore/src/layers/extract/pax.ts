// Strict PAX extended-header decoding, installed into tar-stream's extractor in place of its own.
// tar-stream 3.2 decodes every PAX value as UTF-8 (so binary xattrs such as security.capability are
// mangled), accepts malformed records, applies `size` with parseInt ("12abc" → 12) and merges global
// headers only into entries that have their own PAX header. We instead:
//   - reject a record whose length field, '=' or trailing newline is wrong (EINVALIDARCHIVE),
//   - reject NUL bytes in path/linkpath, non-decimal size/uid/gid, malformed mtime,
//   - keep SCHILY.xattr.* values as bytes (stored latin1 so they round-trip through a JS string),
//   - cap each record block at maxPaxBytes (ELIMIT); tar-stream itself refuses > 4 MiB before buffering,
//   - validate and then ignore PAX global headers (containerd ignores them too).
// The hook relies on tar-stream's private `_decodeLongHeader`; test/layers/parser.test.ts pins the behaviour.
import { invalidArchive, limitError, type ExtractLimits } from './limits.js';

export type PaxRecords = Record<string, string>;

const DECIMAL = /^\d{1,19}$/;

function validate(key: string, value: string): void {
  switch (key) {
    case 'path':
    case 'linkpath':
      if (value.includes('\0')) throw invalidArchive(`PAX ${key} contains NUL`, { key });
      break;
    case 'size':
    case 'uid':
    case 'gid':
      if (!DECIMAL.test(value)) throw invalidArchive(`PAX ${key} is not a decimal number: ${JSON.stringify(value.slice(0, 40))}`, { key });
      break;
    case 'mtime':
      if (!/^-?\d{1,19}(\.\d{1,19})?$/.test(value)) throw invalidArchive(`PAX mtime is malformed: ${JSON.stringify(value.slice(0, 40))}`, { key });
      break;
  }
}

export function decodePaxStrict(buf: Buffer, limits: ExtractLimits): PaxRecords {
  if (buf.length > limits.maxPaxBytes) throw limitError('maxPaxBytes', buf.length, limits.maxPaxBytes, 'PAX header');
  const out: PaxRecords = {};
  let pos = 0;
  while (pos < buf.length) {
    if (buf[pos] === 0 && buf.subarray(pos).every((b) => b === 0)) break; // NUL padding some writers add
    const sp = buf.indexOf(0x20, pos);
    const lenText = sp < 0 ? '' : buf.toString('ascii', pos, sp);
    if (!/^[1-9]\d{0,9}$/.test(lenText)) throw invalidArchive('PAX record length is malformed', { offset: pos });
    const end = pos + Number(lenText);
    if (end > buf.length || end <= sp + 1 || buf[end - 1] !== 0x0a) throw invalidArchive('PAX record overruns its header', { offset: pos });
    const eq = buf.indexOf(0x3d, sp + 1);
    if (eq < 0 || eq >= end - 1 || eq === sp + 1) throw invalidArchive('PAX record has no key=value', { offset: pos });
    const key = buf.toString('utf8', sp + 1, eq);
    const raw = buf.subarray(eq + 1, end - 1);
    const value = key.startsWith('SCHILY.xattr.') ? raw.toString('latin1') : raw.toString('utf8');
    validate(key, value);
    out[key] = value;
    pos = end;
  }
  return out;
}

interface TarStreamInternals {
  _header: { type: string } | null;
  _pax: PaxRecords | null;
  _paxGlobal: PaxRecords | null;
  _decodeLongHeader: (buf: Buffer) => void;
}

/** Replaces tar-stream's PAX decoding on one extractor instance (see the file comment). */
export function installStrictPax(extractor: object, limits: ExtractLimits): void {
  const ex = extractor as unknown as TarStreamInternals;
  if (typeof ex._decodeLongHeader !== 'function') throw new Error('tar-stream internals changed: _decodeLongHeader missing');
  const original = ex._decodeLongHeader.bind(ex);
  ex._decodeLongHeader = (buf: Buffer): void => {
    const type = ex._header?.type;
    if (buf.length > limits.maxPaxBytes) throw limitError('maxPaxBytes', buf.length, limits.maxPaxBytes, `${type} record`);
    if (type === 'pax-header') {
      ex._pax = decodePaxStrict(buf, limits);
    } else if (type === 'pax-global-header') {
      decodePaxStrict(buf, limits);
      ex._paxGlobal = null;
    } else {
      original(buf);
    }
  };
}
