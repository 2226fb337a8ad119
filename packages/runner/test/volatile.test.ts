// Overlays are mounted `volatile` (no syncfs of the store's filesystem at unmount), and the marker
// that leaves in the work dir is removed after a clean unmount, so the same upper/work pair mounts again.
import test from 'ava';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { openMountSession } from '../src/index.js';
import { clearVolatileMarker } from '../src/volatile.js';
import { layerDirsIn, removeTree, sh, tempDir, unpackBusybox } from './helpers/fixture.js';

let dir = '';
let lower = '';

test.before(() => {
  dir = tempDir('volatile');
  unpackBusybox(dir);
  lower = path.join(dir, 'rootfs');
});
test.after.always(() => removeTree(dir));

const layerDirs = (): Promise<{ upper: string; work: string }> => layerDirsIn(dir, 'v');

/** The options of the overlay mounted at `mountpoint`, as one mountinfo line shows them. */
function overlayLine(mountinfo: string, mountpoint: string): string | undefined {
  return mountinfo.split('\n').find((l) => l.split(' ')[4] === mountpoint && l.includes(' - overlay '));
}

const VOLATILE = /[ ,](?:fsync=)?volatile(?:,|$)/;

test.serial('a mount-session overlay is volatile; after unmount its work dir mounts again', async (t) => {
  const { upper, work } = await layerDirs();
  const session = await openMountSession();
  try {
    for (const round of [1, 2]) {
      const m = await session.mountOverlay([lower], upper, work);
      const [, pid, mountpoint] = /^\/proc\/(\d+)\/root(\/.*)$/.exec(m.path) ?? [];
      const line = overlayLine(readFileSync(`/proc/${pid}/mountinfo`, 'utf8'), mountpoint);
      t.truthy(line, `round ${round}: the overlay is in the session's mountinfo`);
      t.regex(line ?? '', VOLATILE);
      t.true(existsSync(path.join(work, 'work/incompat/volatile')), 'overlayfs marks a volatile work dir');
      await fs.writeFile(path.join(m.path, `round-${round}`), 'x');
      await m.unmount();
      t.false(existsSync(path.join(work, 'work/incompat')), 'the marker is gone after a clean unmount');
    }
  } finally {
    await session.close();
  }
  t.deepEqual((await fs.readdir(upper)).sort(), ['round-1', 'round-2']);
});

test.serial("a RUN's root overlay is volatile (seen from inside); the work dir is clean afterwards and mounts again", async (t) => {
  const { upper, work } = await layerDirs();
  const rootfs = { type: 'overlay' as const, lowerDirs: [lower], upperDir: upper, workDir: work };
  const r = await sh(rootfs, 'grep " / / " /proc/self/mountinfo; echo a > /a');
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, / - overlay /);
  t.regex(r.stdout.trim(), VOLATILE);
  t.false(existsSync(path.join(work, 'work/incompat')));
  const again = await sh(rootfs, 'cat /a');
  t.is(again.exitCode, 0, again.stderr);
  t.is(again.stdout, 'a\n');
});

test.serial('a failing RUN leaves no marker either', async (t) => {
  const { upper, work } = await layerDirs();
  const r = await sh({ type: 'overlay', lowerDirs: [lower], upperDir: upper, workDir: work }, 'exit 3');
  t.is(r.exitCode, 3);
  t.false(existsSync(path.join(work, 'work/incompat')));
});

test('clearVolatileMarker keeps an incompat dir it does not know, and ignores a missing one', async (t) => {
  const { work } = await layerDirs();
  t.notThrows(() => clearVolatileMarker(work));
  await fs.mkdir(path.join(work, 'work/incompat/volatile'), { recursive: true });
  await fs.writeFile(path.join(work, 'work/incompat/volatile/dirty'), '');
  await fs.mkdir(path.join(work, 'work/incompat/future'));
  clearVolatileMarker(work);
  t.false(existsSync(path.join(work, 'work/incompat/volatile')));
  t.true(existsSync(path.join(work, 'work/incompat/future')), 'overlayfs must keep refusing what we do not know');
});
