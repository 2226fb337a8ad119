// Snapshot names are short enough that 130 layers mount as one overlay when the mount runs from
// snapshots/ with relative lowerdir names (what the runner does), as containerd's 128LayersMount.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeStore, makeUpper } from './helpers/store.js';

test.serial('130 committed layers mount as one overlay with relative snapshot names', async (t) => {
  const s = makeStore(t);
  const names: string[] = [];
  for (let i = 0; i < 130; i++) {
    const u = makeUpper(s);
    writeFileSync(path.join(u, `f${i}`), String(i));
    const layer = await s.layers.commit(u, { sourceDateEpoch: 0 });
    names.unshift(path.basename(layer.snapshotDir)); // topmost first
    t.true(names[0]!.length <= 12);
  }
  const lowerdir = names.join(':');
  t.true(lowerdir.length < 4096 - 512, `${lowerdir.length}`);
  const merged = mkdtempSync(path.join(s.tmpDir, 'm-'));
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${lowerdir}`, merged], { cwd: s.snapshotsDir });
  try {
    t.is(readdirSync(merged).length, 130);
  } finally {
    execFileSync('umount', [merged]);
  }
});
