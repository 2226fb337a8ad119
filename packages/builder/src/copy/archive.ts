// ADD's archive detection, by content and never by name (Docker/BuildKit): a file is a tar archive when
// its bytes, after an optional gzip/bzip2/xz/zstd layer (recognized by magic number), start with a
// valid tar header (checksum verified, not all zeros). Extraction itself is the layer store's
// `extractTar`, which resolves every entry inside the target and refuses escapes.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import zlib from 'node:zlib';

type Codec = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

const HEADER = 512;
const PREFIX = 64 * 1024;

function readPrefix(host: string | Buffer, bytes: number): Buffer {
  const fd = openSync(host, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export function detectCodec(head: Buffer): Codec {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** True when `block` is a tar header whose checksum matches (what Go's tar.Reader.Next accepts). */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < HEADER) return false;
  const field = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  const want = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < HEADER; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  // An all-zero block (an empty archive) has checksum 256 of spaces but no name: not an archive.
  if (block.subarray(0, 100).every((b) => b === 0)) return false;
  return want === unsigned || want === signed;
}

/** The first `want` decompressed bytes of a file, by streaming it through the codec's tool. */
function headThroughTool(host: string | Buffer, tool: string, want: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const fd = openSync(host, 'r');
    const child = spawn(tool, ['-dc'], { stdio: [fd, 'pipe', 'ignore'] });
    closeSync(fd);
    const chunks: Buffer[] = [];
    let got = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      child.kill('SIGKILL');
      resolve(Buffer.concat(chunks).subarray(0, want));
    };
    child.stdout?.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= want) finish();
    });
    child.on('error', finish); // tool missing: treated as "not an archive we can read"
    child.on('close', finish);
  });
}

/**
 * True when the regular file at `host` is a (possibly compressed) tar archive. ADD extracts such
 * files instead of copying them.
 */
export async function isArchive(host: string | Buffer): Promise<boolean> {
  const head = readPrefix(host, PREFIX);
  const codec = detectCodec(head);
  if (codec === 'none') return isTarHeader(head.subarray(0, HEADER));
  if (codec === 'gzip') {
    try {
      // Z_SYNC_FLUSH lets zlib decompress a truncated prefix instead of failing on it.
      const out = zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      return isTarHeader(out.subarray(0, HEADER));
    } catch {
      return false;
    }
  }
  return isTarHeader(await headThroughTool(host, codec === 'bzip2' ? 'bzip2' : codec === 'xz' ? 'xz' : 'zstd', HEADER));
}
