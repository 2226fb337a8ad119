// Per-run overhead: `true` in a loop over the busybox rootfs (dir and overlay), interleaved with two
// baselines measured in the same moments, so a loaded machine skews all of them alike:
// spawn('/bin/true') from node, and util-linux unshare with the same namespaces.
// node packages/runner/dist/test/bench/overhead.js [runs]
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { run } from '../../src/index.js';
import { baseSpec, removeTree, tempDir, unpackBusybox } from '../helpers/fixture.js';

const runs = Number(process.argv[2] ?? 100);
const dir = tempDir('bench');

function spawnTrue(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => spawn(cmd, args, { stdio: 'ignore' }).on('error', reject).on('close', () => resolve()));
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

try {
  unpackBusybox(dir);
  const lower = path.join(dir, 'rootfs');
  const samples: Record<string, number[]> = { 'spawn /bin/true': [], 'unshare -pfmuin true': [], 'run() dir': [], 'run() overlay': [] };
  for (let i = 0; i < runs + 5; i++) {
    const base = path.join(dir, `ov${i}`);
    await fs.mkdir(path.join(base, 'u'), { recursive: true });
    await fs.mkdir(path.join(base, 'w'));
    const t = {
      'spawn /bin/true': await timed(() => spawnTrue('/bin/true', [])),
      'unshare -pfmuin true': await timed(() => spawnTrue('unshare', ['--pid', '--fork', '--mount', '--uts', '--ipc', '--net', 'true'])),
      'run() dir': await timed(() => run(baseSpec({ type: 'dir', path: lower }, ['true']))),
      'run() overlay': await timed(() =>
        run(baseSpec({ type: 'overlay', lowerDirs: [lower], upperDir: path.join(base, 'u'), workDir: path.join(base, 'w') }, ['true'])),
      ),
    };
    if (i < 5) continue; // warm-up
    for (const [k, v] of Object.entries(t)) samples[k].push(v);
  }
  for (const [k, v] of Object.entries(samples)) {
    v.sort((a, b) => a - b);
    const at = (q: number): string => v[Math.floor(q * (v.length - 1))].toFixed(1);
    console.log(`${k.padEnd(22)} median ${at(0.5)} ms  p10 ${at(0.1)} ms  p90 ${at(0.9)} ms`);
  }
} finally {
  await removeTree(dir);
}
