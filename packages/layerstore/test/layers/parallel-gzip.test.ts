// The parallel gzip writer: any gzip reader gets the input back, and the output depends only on the
// input (never on how it was chunked or how many blocks were in flight).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { ParallelGzip } from '../../src/layers/parallel-gzip.js';

const MiB = 1 << 20;

async function gzip(data: Buffer, chunk: number, parallel?: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let off = 0; off < data.length; off += chunk) parts.push(data.subarray(off, off + chunk));
  const out: Buffer[] = [];
  await pipeline(Readable.from(parts), new ParallelGzip(6, parallel), async (src: AsyncIterable<Buffer>) => {
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
