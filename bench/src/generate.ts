// The scenario context, made the same on every machine: a seeded generator (no Math.random), so
// every run and every peer sees identical bytes.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/** xorshift128+: fast, seedable, good enough for test data. */
export class Prng {
  private s0: bigint;
  private s1: bigint;
  constructor(seed: number) {
    this.s0 = BigInt(seed) | 1n;
    this.s1 = 0x9e3779b97f4a7c15n ^ BigInt(seed);
    for (let i = 0; i < 16; i++) this.next();
  }
  next(): bigint {
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x ^= (x << 23n) & 0xffffffffffffffffn;
    this.s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (this.s1 + y) & 0xffffffffffffffffn;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Number(this.next() % BigInt(hi - lo + 1));
  }
  fill(buf: Buffer): void {
    for (let i = 0; i + 8 <= buf.length; i += 8) buf.writeBigUInt64LE(this.next(), i);
    for (let i = buf.length - (buf.length % 8); i < buf.length; i++) buf[i] = Number(this.next() & 0xffn);
  }
}

const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua'.split(' ');

/** 10,000 files in 100 dirs, ~200 MB: 90 % 0.5-8 KiB, 9.5 % 16-128 KiB, 0.5 % 1-3 MiB; half random, half text. */
export function generateSources(dir: string, seed = 42, files = 10_000, dirs = 100): { files: number; bytes: number } {
  const rng = new Prng(seed);
  let bytes = 0;
  for (let d = 0; d < dirs; d++) mkdirSync(path.join(dir, `d${String(d).padStart(2, '0')}`), { recursive: true });
  for (let i = 0; i < files; i++) {
    const roll = rng.int(0, 999);
    const size = roll < 900 ? rng.int(512, 8 * 1024) : roll < 995 ? rng.int(16 * 1024, 128 * 1024) : rng.int(1024 * 1024, 3 * 1024 * 1024);
    const buf = Buffer.allocUnsafe(size);
    if (i % 2 === 0) rng.fill(buf);
    else {
      let off = 0;
      while (off < size) off += buf.write(`${WORDS[rng.int(0, WORDS.length - 1)]}${rng.int(0, 9) === 0 ? '\n' : ' '}`, off);
    }
    const name = path.join(dir, `d${String(i % dirs).padStart(2, '0')}`, `f${String(i).padStart(5, '0')}.${i % 2 === 0 ? 'bin' : 'txt'}`);
    writeFileSync(name, buf);
    bytes += size;
  }
  return { files, bytes };
}

export const SCENARIO_DOCKERFILE = `FROM localhost/busybox:latest
COPY src/ /app/src/
RUN mkdir -p /app/gen && i=0 && while [ $i -lt 500 ]; do echo "generated $i" > /app/gen/f$i.txt; i=$((i+1)); done
RUN rm -f /app/gen/f1*.txt && rm -rf /app/src/d00
RUN tar -cf /app/d01.tar -C /app/src d01
CMD ["/bin/sh"]
`;

export function manyRunsDockerfile(steps: number, from = 'localhost/busybox:latest'): string {
  let s = `FROM ${from}\n`;
  for (let i = 1; i <= steps; i++) s += `RUN echo step ${i} > /step-${i}\n`;
  return s;
}

export function writeBigFile(file: string, bytes: number, seed = 7): void {
  const rng = new Prng(seed);
  const chunk = Buffer.allocUnsafe(8 * 1024 * 1024);
  rng.fill(chunk);
  const fd = openSync(file, 'w');
  try {
    for (let written = 0; written < bytes; written += chunk.length) {
      // Vary each chunk a little so nothing along the way can dedupe it.
      chunk.writeUInt32LE(written / chunk.length, 0);
      writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written));
    }
  } finally {
    closeSync(fd);
  }
}
