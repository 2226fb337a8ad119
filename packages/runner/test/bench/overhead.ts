// Per-run overhead: `true` in a loop over the busybox rootfs, dir and overlay, median and p90.
// node packages/runner/dist/test/bench/overhead.js [runs]
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { run, type RunSpec } from '../../src/index.js';
import { baseSpec, removeTree, tempDir, unpackBusybox } from '../helpers/fixture.js';

async function measure(label: string, rootfs: () => Promise<RunSpec['rootfs']>, runs: number): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < runs + 5; i++) {
    const spec = baseSpec(await rootfs(), ['true']);
    const t0 = performance.now();
    const r = await run(spec);
    if (i >= 5) times.push(performance.now() - t0); // the first runs warm caches
    if (r.exitCode !== 0) throw new Error(`run failed: ${JSON.stringify(r)}`);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): string => times[Math.floor(q * (times.length - 1))].toFixed(1);
  console.log(`${label}: median ${at(0.5)} ms, p10 ${at(0.1)} ms, p90 ${at(0.9)} ms over ${runs} runs`);
}

const runs = Number(process.argv[2] ?? 100);
const dir = tempDir('bench');
try {
  unpackBusybox(dir);
  const lower = path.join(dir, 'rootfs');
  await measure('dir rootfs', async () => ({ type: 'dir', path: lower }), runs);
  let n = 0;
  await measure('overlay rootfs', async () => {
    const base = path.join(dir, `ov${++n}`);
    await fs.mkdir(path.join(base, 'u'), { recursive: true });
    await fs.mkdir(path.join(base, 'w'));
    return { type: 'overlay', lowerDirs: [lower], upperDir: path.join(base, 'u'), workDir: path.join(base, 'w') };
  }, runs);
} finally {
  await removeTree(dir);
}
