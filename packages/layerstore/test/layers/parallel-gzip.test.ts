// The parallel gzip writer: any gzip reader gets the input back, incompressible data is stored rather
// than deflated, and the output depends only on the input (never on how it was chunked or how many
// blocks were in flight). FC_RUNS sets the number of runs of the property test.
import test from 'ava';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { GZIP_LEVEL } from '../../src/layers/compress.js';
import { ParallelGzip } from '../../src/layers/parallel-gzip.js';

const MiB = 1 << 20;
const KiB = 1024;
const RUNS = Number(process.env['FC_RUNS'] ?? 25);

/** `data` through a ParallelGzip, fed in chunks of `chunk` bytes (or of these sizes, cycled). */
async function gzip(data: Buffer, chunk: number | readonly number[], parallel?: number, level?: number): Promise<Buffer> {
  const sizes = typeof chunk === 'number' ? [chunk] : chunk;
  const parts: Buffer[] = [];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    parts.push(data.subarray(off, off + n));
    off += n;
  }
  const out: Buffer[] = [];
  await pipeline(Readable.from(parts), new ParallelGzip(level, parallel), async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) out.push(c);
  });
  return Buffer.concat(out);
}

function sample(size: number): Buffer {
  // Half text (compressible), half random, so blocks really depend on their dictionary.
  const text = Buffer.from('lorem ipsum dolor sit amet, consectetur adipiscing elit '.repeat(Math.ceil(size / 112)));
  const data = Buffer.concat([text.subarray(0, size >> 1), randomBytes(size - (size >> 1))]);
  return data;
}

/** A seeded generator (mulberry32), so that a failing property run can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Incompressible bytes, like compressed files, keys and media. */
function noise(size: number, seed = 1): Buffer {
  const next = rng(seed);
  const words = new Uint32Array(Math.ceil(size / 4));
  for (let i = 0; i < words.length; i++) words[i] = next();
  return Buffer.from(words.buffer, 0, size);
}

const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua export const function return import from'.split(' ');

/** Compressible bytes: words drawn at random, with newlines. */
function text(size: number, seed = 2): Buffer {
  const next = rng(seed);
  const parts: string[] = [];
  for (let n = 0; n < size; ) {
    const w = WORDS[next() % WORDS.length]! + (next() % 9 === 0 ? '\n' : ' ');
    parts.push(w);
    n += w.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

/** Alternating pieces of the given lengths: random, text, random, ... */
function mixed(...lengths: number[]): Buffer {
  return Buffer.concat(lengths.map((n, i) => (i % 2 === 0 ? noise(n, i + 1) : text(n, i + 1))));
}

function gnuGunzip(gz: Buffer): Buffer {
  execFileSync('gzip', ['-t'], { input: gz });
  return execFileSync('gzip', ['-dc'], { input: gz, maxBuffer: 64 * MiB });
}

/**
 * At least what `n` stored bytes take: 5 bytes per 65535 (85 per 1 MiB block), the gzip header and
 * trailer, an empty final block. Deflate's own stored blocks would take 5 bytes per 16 KiB.
 */
function storedBound(n: number): number {
  return n + 100 * Math.ceil(n / MiB) + 64;
}

for (const [name, size] of [['empty', 0], ['one byte', 1], ['one block exactly', MiB], ['several blocks and a tail', 3 * MiB + 12_345]] as const) {
  test(`round trip: ${name}`, async (t) => {
    const data = sample(size);
    const gz = await gzip(data, 64 * 1024);
    t.true(gunzipSync(gz).equals(data));
    t.is(gz[9], 255, 'OS byte is "unknown"');
    t.is(gz.readUInt32LE(4), 0, 'MTIME 0');
  });
}

test('the output depends on the input only, not on chunking or parallelism', async (t) => {
  const data = sample(2 * MiB + 777);
  const a = await gzip(data, 1000);
  const b = await gzip(data, 3 * MiB, 1);
  const c = await gzip(data, 65_536, 8);
  // Buffer.equals: ava's deepEqual walks big buffers byte by byte in JS.
  t.true(a.equals(b));
  t.true(a.equals(c));
});

test('GNU gzip accepts it', async (t) => {
  const data = sample(MiB + 5);
  const gz = await gzip(data, 100_000);
  t.true(execFileSync('gzip', ['-dc'], { input: gz, maxBuffer: 16 * MiB }).equals(data));
  t.notThrows(() => execFileSync('gzip', ['-t'], { input: gz }));
});

test('a source error reaches the end of the pipeline', async (t) => {
  const src = new Readable({ read() { this.destroy(new Error('boom')); } });
  await t.throwsAsync(pipeline(src, new ParallelGzip(), async (s: AsyncIterable<Buffer>) => {
    for await (const c of s) void c;
  }), { message: 'boom' });
});

// Sizes around the 4 KiB segment, the stored-block limit (65535) and the 1 MiB block, for each kind.
const kinds: Record<string, (n: number) => Buffer> = {
  random: (n) => noise(n),
  text: (n) => text(n),
  mixed: (n) => mixed(...Array.from({ length: Math.ceil(n / 20_000) }, () => 20_000)).subarray(0, n),
};
for (const size of [0, 1, 4095, 4096, 65535, 65536, 65537, MiB - 1, MiB, MiB + 1]) {
  for (const [kind, make] of Object.entries(kinds)) {
    test(`zlib and GNU gzip read it back: ${kind}, ${size} bytes`, async (t) => {
      const data = make(size);
      const gz = await gzip(data, 65_536, undefined, GZIP_LEVEL);
      t.true(gunzipSync(gz).equals(data), 'zlib');
      t.true(gnuGunzip(gz).equals(data), 'GNU gzip');
      if (kind === 'random' && size >= MiB) t.true(gz.length <= storedBound(size), `stored, not deflated: ${gz.length} bytes for ${size}`);
    });
  }
}

test('random data is stored: a few bytes per 64 KiB over its size', async (t) => {
  const data = noise(3 * MiB + 12_345);
  const gz = await gzip(data, 50_000, undefined, GZIP_LEVEL);
  t.true(gz.length <= storedBound(data.length), `${gz.length} bytes for ${data.length}`);
  t.true(gunzipSync(gz).equals(data));
});

test('text is deflated', async (t) => {
  const data = text(3 * MiB);
  const gz = await gzip(data, 50_000, undefined, GZIP_LEVEL);
  t.true(gz.length < data.length / 2, `${gz.length} bytes for ${data.length}`);
  t.true(gnuGunzip(gz).equals(data));
});

test('text and random pieces on segment and block boundaries', async (t) => {
  // 16 KiB and 64 KiB pieces start and end on segment boundaries; the 1 MiB - 8 KiB piece puts the
  // next ones across a block boundary; the odd lengths put the switches mid-segment.
  const data = mixed(16 * KiB, 16 * KiB, 64 * KiB, 64 * KiB, MiB - 8 * KiB, 24 * KiB, 100_001, 4097, 40_000, 12_289, 70_000);
  const gz = await gzip(data, 30_000, undefined, GZIP_LEVEL);
  t.true(gunzipSync(gz).equals(data));
  t.true(gnuGunzip(gz).equals(data));
  t.true(gz.length < data.length);
});

test('a stored run ends the stream: its last stored block is final', async (t) => {
  // 1.5 MiB of text, then 100 KiB of random in the last block: stored as 65535 + 36865 bytes.
  const data = Buffer.concat([text(MiB + MiB / 2), noise(100 * KiB)]);
  const gz = await gzip(data, 65_536, undefined, GZIP_LEVEL);
  const last = gz.length - 8 - 36_865 - 5;
  t.is(gz[last], 1, 'BFINAL=1, BTYPE=00');
  t.is(gz.readUInt16LE(last + 1), 36_865);
  t.is(gz.readUInt16LE(last + 3), 36_865 ^ 0xffff);
  t.true(gunzipSync(gz).equals(data));
  t.true(gnuGunzip(gz).equals(data));
});

test('a deflated run ends the stream', async (t) => {
  const data = Buffer.concat([noise(MiB + MiB / 2), text(100 * KiB)]);
  const gz = await gzip(data, 65_536, undefined, GZIP_LEVEL);
  t.true(gz.length < MiB + MiB / 2 + 50 * KiB);
  t.true(gunzipSync(gz).equals(data));
  t.true(gnuGunzip(gz).equals(data));
});

test('a stream that ends on a block boundary ends with an empty final block', async (t) => {
  for (const data of [noise(2 * MiB), text(MiB)]) {
    const gz = await gzip(data, 65_536, undefined, GZIP_LEVEL);
    t.deepEqual([...gz.subarray(gz.length - 10, gz.length - 8)], [0x03, 0x00]);
    t.true(gnuGunzip(gz).equals(data));
  }
});

test('same bytes for every chunking and parallelism, with stored and deflated runs', async (t) => {
  const data = mixed(300_000, 200_000, 16 * KiB, 4096, MiB, 77_777, 500_000);
  const reference = await gzip(data, MiB, 3, GZIP_LEVEL);
  t.true(gunzipSync(reference).equals(data));
  const ways: [number | number[], number][] = [[4096, 1], [65_536, 2], [3 * MiB, 8], [[1, 7, 4095, 65_537, 300_000], 1], [[999_999, 13], 16]];
  for (const [chunk, parallel] of ways) {
    const gz = await gzip(data, chunk, parallel, GZIP_LEVEL);
    t.true(gz.equals(reference), `chunks of ${String(chunk)}, ${parallel} in flight`);
  }
  const small = data.subarray(250_000, 400_000);
  t.true((await gzip(small, 1, 2, GZIP_LEVEL)).equals(await gzip(small, 150_000, 5, GZIP_LEVEL)), 'one byte at a time');
});

test('property: any mix of random, repetitive and text pieces reads back, in the same bytes whatever the chunking', async (t) => {
  const length = fc.oneof(
    fc.integer({ min: 0, max: 5000 }),
    fc.integer({ min: 60_000, max: 70_000 }),
    fc.integer({ min: 0, max: 400_000 }),
    fc.constantFrom(4096, 16 * KiB, 65_535, 65_536, MiB - 1, MiB),
  );
  const piece = fc.record({ kind: fc.constantFrom('random', 'repeat', 'text'), length, seed: fc.integer(), pattern: fc.uint8Array({ minLength: 1, maxLength: 8 }) });
  await fc.assert(
    fc.asyncProperty(fc.array(piece, { maxLength: 8 }), fc.integer({ min: 1, max: 300_000 }), fc.integer({ min: 1, max: 8 }), async (pieces, chunk, parallel) => {
      const data = Buffer.concat(pieces.map((p) => {
        if (p.kind === 'random') return noise(p.length, p.seed);
        if (p.kind === 'text') return text(p.length, p.seed);
        return Buffer.alloc(p.length, Buffer.from(p.pattern));
      }));
      const gz = await gzip(data, chunk, parallel, GZIP_LEVEL);
      // Plain booleans, so that fast-check sees a failure and shrinks it.
      return gunzipSync(gz).equals(data) && gnuGunzip(gz).equals(data) && gz.equals(await gzip(data, MiB, 3, GZIP_LEVEL));
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('random data that repeats within deflate\'s window is deflated, not stored', async (t) => {
  // Each 4 KiB segment of a repeated random 8 KiB block looks random by its byte counts alone; the
  // probe into the window before it sees the repeat, across block boundaries too.
  for (const period of [4096, 8192, 20000]) {
    const unit = noise(period, period);
    const data = Buffer.concat(Array.from({ length: Math.ceil((3 << 20) / period) }, () => unit));
    const gz = await gzip(data, 1 << 16);
    t.deepEqual(gunzipSync(gz), data);
    t.deepEqual(gnuGunzip(gz), data);
    t.true(gz.length < data.length / 50, `period ${period}: ${gz.length} bytes for ${data.length}`);
  }
  // Random data that does not repeat is still stored.
  const once = noise(3 << 20, 99);
  t.true((await gzip(once, 1 << 16)).length <= storedBound(once.length));
});
