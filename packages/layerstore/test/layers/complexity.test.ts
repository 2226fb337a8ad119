// TAR-12: extraction time grows linearly (containerd GHSA-rp3h-jf77-q9p4 was superlinear).
import test from 'ava';
import path from 'node:path';
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

test.serial('TAR-12: time(5N)/time(N) < 8 for N=5000 entries in one dir', async (t) => {
  const sb = makeSandbox(t);
  const small = await timeOf(5000, path.join(sb.R, 'a').replace(/a$/, '')) ;
  const sb2 = makeSandbox(t);
  const big = await timeOf(25000, sb2.R);
  t.log(`5k: ${small.toFixed(0)} ms, 25k: ${big.toFixed(0)} ms`);
  t.true(big / small < 8, `${big / small}`);
});
