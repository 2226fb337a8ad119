// Turns an untrusted archive stream into plain tar bytes: compression detected from magic bytes
// (gzip and zstd in-process; bzip2 and xz by spawning `bzip2 -dc` / `xz -dc`, which must be on PATH),
// with the uncompressed-size and decompression-ratio limits enforced as the bytes flow.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DecompressStream } from 'zstd-napi';
import { StoreError } from '../../errors.js';
import { invalidArchive, limitError, type ExtractLimits } from './limits.js';

export type ArchiveCompression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

export function detectCompression(head: Buffer): ArchiveCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}

async function* spawnFilter(cmd: string, input: Readable): AsyncGenerator<Buffer> {
  const child = spawn(cmd, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-1000)));
  child.stdin.on('error', () => {}); // EPIPE when the tool stops early; its exit status tells why
  input.on('error', () => child.kill('SIGKILL'));
  input.pipe(child.stdin);
  const exit = once(child, 'close');
  exit.catch(() => {}); // a spawn error also fails the stdout read below
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const [code] = (await exit) as [number | null];
    if (code !== 0) throw invalidArchive(`${cmd} -dc failed (${code}): ${stderr.trim()}`, { compression: cmd });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    input.unpipe(child.stdin);
    input.destroy();
  }
}

function decompressed(kind: ArchiveCompression, input: Readable): AsyncIterable<Buffer> {
  switch (kind) {
    case 'none':
      return input;
    case 'gzip':
      return pipeline([input, createGunzip({ chunkSize: 1 << 20 })], () => {}) as unknown as Readable;
    case 'zstd':
      return pipeline([input, new DecompressStream()], () => {}) as unknown as Readable;
    case 'bzip2':
    case 'xz':
      return spawnFilter(kind, input);
  }
}

export interface TarBytes {
  stream: Readable;
  compression: ArchiveCompression;
}

/** Plain tar bytes of `source`, limited by maxTotalBytes and (when compressed) maxRatio. */
export async function openTarBytes(source: Readable, limits: ExtractLimits, tap?: (chunk: Buffer) => void): Promise<TarBytes> {
  const it = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLen = 0;
  let ended = false;
  while (headLen < 6) {
    const r = await it.next();
    if (r.done === true) {
      ended = true;
      break;
    }
    head.push(r.value);
    headLen += r.value.length;
  }
  const compression = detectCompression(Buffer.concat(head));
  let inBytes = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for (const h of head) {
      inBytes += h.length;
      yield h;
    }
    if (ended) return;
    for (let r = await it.next(); r.done !== true; r = await it.next()) {
      inBytes += r.value.length;
      yield r.value;
    }
  }
  const input = Readable.from(counted(), { objectMode: false });
  const inner = decompressed(compression, input);
  async function* limited(): AsyncGenerator<Buffer> {
    let out = 0;
    try {
      for await (const chunk of inner) {
        out += chunk.length;
        if (out > limits.maxTotalBytes) throw limitError('maxTotalBytes', out, limits.maxTotalBytes, 'uncompressed archive');
        if (compression !== 'none' && out > limits.ratioFloorBytes && out > inBytes * limits.maxRatio) {
          throw limitError('maxRatio', Math.floor(out / Math.max(1, inBytes)), limits.maxRatio, 'decompression ratio');
        }
        tap?.(chunk);
        yield chunk;
      }
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw invalidArchive(`archive does not decompress as ${compression}: ${(e as Error).message}`, { compression });
    } finally {
      input.destroy();
    }
  }
  return { stream: Readable.from(limited(), { objectMode: false }), compression };
}
