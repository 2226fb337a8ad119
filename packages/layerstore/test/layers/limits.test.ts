// TAR-08: bombs and limits, with small limits so the tests are fast. Each failure is ELIMIT with
// details.limit naming the limit, and a fresh target dir is removed again.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { compress as zstdCompress } from 'zstd-napi';
import { extractTarInto, isStoreError } from '../../src/index.js';
import { dir, entryBytes, file, header, tar, streamOf } from './helpers/raw-tar.js';
import { makeSandbox } from './helpers/sandbox.js';

async function limitOf(bytes: Buffer, target: string, limits: Record<string, number>): Promise<unknown> {
  try {
    await extractTarInto(streamOf(bytes), target, { fresh: true, limits });
    return undefined;
  } catch (e) {
    if (!isStoreError(e)) throw e;
    return e.code === 'ELIMIT' ? e.details.limit : e.code;
  }
}

const zeros = tar(file('z', Buffer.alloc(8 << 20)));

test('gzip bomb: maxTotalBytes stops it and the fresh dir is removed', async (t) => {
  const sb = makeSandbox(t);
  const target = path.join(sb.R, 'out');
  t.is(await limitOf(gzipSync(zeros), target, { maxTotalBytes: 1 << 20 }), 'maxTotalBytes');
  t.false(existsSync(target));
});

test('gzip bomb: the decompression ratio stops it', async (t) => {
  const sb = makeSandbox(t);
  t.is(await limitOf(gzipSync(zeros), path.join(sb.R, 'out'), { maxRatio: 100, ratioFloorBytes: 1 << 20 }), 'maxRatio');
});

test('zstd bomb: the decompression ratio stops it', async (t) => {
  const sb = makeSandbox(t);
  t.is(await limitOf(zstdCompress(zeros), path.join(sb.R, 'out'), { maxRatio: 100, ratioFloorBytes: 1 << 20 }), 'maxRatio');
});

test('xz and bzip2 archives are detected and limited too', async (t) => {
  const sb = makeSandbox(t);
  for (const tool of ['xz', 'bzip2']) {
    const packed = execFileSync(tool, ['-c'], { input: tar(file('a', 'hello')) });
    const out = path.join(sb.R, tool);
    t.is(await limitOf(packed, out, {}), undefined, tool);
    t.true(existsSync(path.join(out, 'a')));
    t.is(await limitOf(execFileSync(tool, ['-c'], { input: zeros }), path.join(sb.R, tool + '2'), { maxTotalBytes: 1 << 20 }), 'maxTotalBytes');
  }
});

test('a header declaring 2^62 bytes is refused before reading (base-256 size)', async (t) => {
  const sb = makeSandbox(t);
  const bytes = Buffer.concat([header({ name: 'huge', type: '0', sizeField: 2n ** 62n }), Buffer.alloc(512)]);
  t.is(await limitOf(bytes, path.join(sb.R, 'out'), {}), 'maxTotalBytes');
});

test('a 2 MiB PAX record is refused (maxPaxBytes), and one over tar-stream\'s 4 MiB too', async (t) => {
  const sb = makeSandbox(t);
  t.is(await limitOf(tar({ ...file('x'), pax: { comment: 'c'.repeat(2 << 20) } }), path.join(sb.R, 'a'), {}), 'maxPaxBytes');
  t.is(await limitOf(tar({ ...file('x'), pax: { comment: 'c'.repeat(5 << 20) } }), path.join(sb.R, 'b'), {}), 'maxPaxBytes');
});

test('many empty entries stop at maxEntries', async (t) => {
  const sb = makeSandbox(t);
  const entries = Array.from({ length: 1001 }, (_, i) => file(`f${i}`));
  t.is(await limitOf(tar(...entries), path.join(sb.R, 'out'), { maxEntries: 1000 }), 'maxEntries');
});

test('depth and name length limits', async (t) => {
  const sb = makeSandbox(t);
  const deep = Array.from({ length: 40 }, () => 'd').join('/');
  t.is(await limitOf(tar({ ...dir('x'), pax: { path: deep } }), path.join(sb.R, 'a'), { maxDepth: 32 }), 'maxDepth');
  t.is(await limitOf(tar({ ...file('x'), pax: { path: 'n'.repeat(300) } }), path.join(sb.R, 'b'), { maxNameBytes: 255 }), 'maxNameBytes');
  t.is(await limitOf(tar({ ...file('x'), type: '2', pax: { linkpath: 'n'.repeat(300) } }), path.join(sb.R, 'c'), { maxNameBytes: 255 }), 'maxNameBytes');
});

test('a truncated archive is EINVALIDARCHIVE and leaves nothing', async (t) => {
  const sb = makeSandbox(t);
  const full = entryBytes(file('a', Buffer.alloc(4000, 1)));
  const target = path.join(sb.R, 'out');
  t.is(await limitOf(full.subarray(0, 1500), target, {}), 'EINVALIDARCHIVE');
  t.false(existsSync(target));
});
