// extractTar: untrusted archive → directory. Decompression and limits (./decompress.ts), tar parsing by
// tar-stream with our strict PAX decoder (./pax.ts), entries validated (./entry.ts) and applied one at a
// time by the Applier (./applier.ts). Any failure is a StoreError; with `fresh` the target dir is
// created here and removed again on failure, so a failed extraction leaves nothing behind.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import tarStream from 'tar-stream';
import { StoreError } from '../../errors.js';
import { Applier, applyError, type ApplyMode } from './applier.js';
import { openTarBytes, type ArchiveCompression } from './decompress.js';
import { toEntry, type RawHeader } from './entry.js';
import { DEFAULT_LIMITS, limitError, type ExtractLimits } from './limits.js';
import { installStrictPax } from './pax.js';

export interface ExtractOptions {
  /** 'add' applies whiteouts as deletions (ADD, flattening); 'overlay' writes overlay whiteouts (snapshots). */
  mode?: ApplyMode;
  chown?: { uid: number; gid: number };
  /** Create `targetDir` (it must not exist) and remove it if extraction fails. */
  fresh?: boolean;
  limits?: Partial<ExtractLimits>;
  /** Sees every uncompressed tar byte (snapshot() hashes them to check the diffID). */
  tap?: (chunk: Buffer) => void;
}

export interface ExtractResult {
  entries: number;
  compression: ArchiveCompression;
}

const TAR_STREAM_MAX_HEADER = 4 << 20;

function parseError(e: unknown, limits: ExtractLimits): StoreError {
  if (e instanceof StoreError) return e;
  const msg = (e as Error).message ?? String(e);
  // tar-stream refuses long headers over 4 MiB before buffering them, before our decoder sees them.
  if (/exceeds max size/.test(msg)) return limitError('maxPaxBytes', TAR_STREAM_MAX_HEADER + 1, limits.maxPaxBytes, 'long header');
  return new StoreError('EINVALIDARCHIVE', `malformed tar: ${msg}`, { cause: e });
}

export async function extractTarInto(source: Readable, targetDir: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const limits: ExtractLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const root = path.resolve(targetDir);
  if (opts.fresh === true) mkdirSync(root, { mode: 0o755 });
  try {
    return await run(source, root, opts, limits);
  } catch (e) {
    if (opts.fresh === true) rmSync(root, { recursive: true, force: true });
    throw e;
  }
}

async function run(source: Readable, root: string, opts: ExtractOptions, limits: ExtractLimits): Promise<ExtractResult> {
  const { stream, compression } = await openTarBytes(source, limits, opts.tap);
  const extractor = tarStream.extract();
  installStrictPax(extractor, limits);
  // An entry's data stream fails with the parser's error (truncation, limits): report that, not the
  // applier's view of it.
  let streamError: unknown;
  extractor.on('error', (e: unknown) => (streamError ??= e));
  pipeline(stream, extractor, () => {});
  const applier = new Applier(root, { mode: opts.mode ?? 'add', chown: opts.chown });
  let entries = 0;
  let budget = limits.maxTotalBytes;
  try {
    for await (const entry of extractor) {
      const h = entry.header as unknown as RawHeader;
      if (++entries > limits.maxEntries) throw limitError('maxEntries', entries, limits.maxEntries, 'archive entries');
      const size = h.size ?? 0;
      // Refuse a huge declared size (2^62...) before reading or allocating anything for it.
      if (size > budget) throw limitError('maxTotalBytes', size, limits.maxTotalBytes, `entry ${JSON.stringify(h.name)} size`);
      budget -= size;
      const e = toEntry(h, limits);
      try {
        await applier.apply(e, entry as unknown as AsyncIterable<Buffer>);
      } catch (err) {
        throw streamError !== undefined ? parseError(streamError, limits) : applyError(err, e.name);
      }
    }
    try {
      applier.finish();
    } catch (err) {
      throw applyError(err, '(directory times)');
    }
  } catch (e) {
    extractor.destroy();
    throw parseError(e, limits);
  }
  return { entries, compression };
}
