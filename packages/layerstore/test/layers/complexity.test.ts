// TAR-12: extraction time grows linearly (containerd GHSA-rp3h-jf77-q9p4 was superlinear).
import test from 'ava';
import { dir, file, tar, type RawEntry } from './helpers/raw-tar.js';
import { applyTar } from './helpers/apply.js';
import { makeSandbox } from './helpers/sandbox.js';

function layer(n: number): Buffer {
  const entries: RawEntry[] = [dir('d')];
  for (let i = 0; i < n; i++) entries.push(file(`d/f${i}`));
  // many opaque markers and whiteouts too
  for (let i = 0; i < n / 10; i++) entries.push(file(`o${i}/.wh..wh..opq`), file(`o${i}/.wh.gone`));
  return tar(...entries);
}

async function timeOf(n: number, root: string): Promise<number> {
  const bytes = layer(n);
  const t0 = process.hrtime.bigint();
  const code = await applyTar(root, bytes);
  if (code !== undefined) throw new Error(code);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

// Disk timing on shared machines is noisy: take the best of two runs of each size.
async function bestOf(n: number, t: { teardown(fn: () => void): void }): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 2; i++) runs.push(await timeOf(n, makeSandbox(t).R));
  return Math.min(...runs);
}

test.serial('TAR-12: time(5N)/time(N) < 8 for N=2000 entries in one dir', async (t) => {
  const small = await bestOf(2000, t);
  const big = await bestOf(10000, t);
  t.log(`2k: ${small.toFixed(0)} ms, 10k: ${big.toFixed(0)} ms`);
  t.true(big / small < 8, `${big / small}`);
});
