// openMountSession: overlays reachable through /proc/<pid>/root, never in the host mount table.
import test from 'ava';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { isRunnerError, openMountSession } from '../src/index.js';
import { tempBase } from '../src/temp-dirs.js';
import { layerDirsIn, removeTree, tempDir, unpackBusybox } from './helpers/fixture.js';
import { ourNewMounts, waitFor } from './helpers/procs.js';

let dir = '';
let lower = '';

test.before(() => {
  dir = tempDir('session');
  unpackBusybox(dir);
  lower = path.join(dir, 'rootfs');
});
test.after.always(() => removeTree(dir));

const layerDirs = (): Promise<{ upper: string; work: string }> => layerDirsIn(dir, 's');

test.serial('mount, write through the path, unmount: the write lands in upper, host mountinfo never changes', async (t) => {
  const before = readFileSync('/proc/self/mountinfo', 'utf8');
  const { upper, work } = await layerDirs();
  const session = await openMountSession();
  try {
    const m = await session.mountOverlay([lower], upper, work);
    t.regex(m.path, /^\/proc\/\d+\/root\//);
    t.true((await fs.readdir(m.path)).includes('bin'));
    await fs.writeFile(path.join(m.path, 'etc/added'), 'copied');
    t.deepEqual(ourNewMounts(before, readFileSync('/proc/self/mountinfo', 'utf8'), [dir, path.join(tempBase(), 'tsbuild-')]), []);
    await m.unmount();
    await m.unmount(); // twice is fine
    await t.throwsAsync(fs.readdir(path.join(m.path, 'bin')));
  } finally {
    await session.close();
  }
  t.is(readFileSync(path.join(upper, 'etc/added'), 'utf8'), 'copied');
  t.deepEqual(ourNewMounts(before, readFileSync('/proc/self/mountinfo', 'utf8'), [dir, path.join(tempBase(), 'tsbuild-')]), []);
});

test.serial('close() ends the helper and everything mounted in it; a second close is harmless', async (t) => {
  const session = await openMountSession();
  const a = await layerDirs();
  const b = await layerDirs();
  const m1 = await session.mountOverlay([lower], a.upper, a.work);
  const m2 = await session.mountOverlay([lower], b.upper, b.work);
  const pid = Number(/^\/proc\/(\d+)\//.exec(m1.path)?.[1]);
  t.not(m1.path, m2.path);
  await session.close();
  await session.close();
  t.true(await waitFor(() => !fsExists(`/proc/${pid}/root`), 2000), 'helper gone');
  const e = await session.mountOverlay([lower], a.upper, a.work).catch((x: unknown) => x);
  t.true(isRunnerError(e, 'RUNNER_MOUNT_SESSION'));
});

test.serial('130 layers with long names mount in a session too', async (t) => {
  const base = path.join(dir, 'snapshots-for-a-session-with-long-names');
  const layers: string[] = [];
  for (let i = 0; i < 130; i++) {
    const l = path.join(base, i.toString(16).padStart(64, '0'), 'fs');
    await fs.mkdir(l, { recursive: true });
    await fs.writeFile(path.join(l, `f${i}`), '');
    layers.push(l);
  }
  const { upper, work } = await layerDirs();
  const session = await openMountSession();
  try {
    const m = await session.mountOverlay([...layers, lower], upper, work);
    const names = await fs.readdir(m.path);
    t.true(names.includes('f0') && names.includes('f129') && names.includes('bin'));
    await m.unmount();
  } finally {
    await session.close();
  }
});

test.serial('a bad layer path is refused before anything is mounted', async (t) => {
  const session = await openMountSession();
  try {
    const { upper, work } = await layerDirs();
    const e1 = await session.mountOverlay(['relative/dir'], upper, work).catch((x: unknown) => x);
    t.true(isRunnerError(e1, 'RUNNER_INVALID_SPEC'));
    const e2 = await session.mountOverlay([lower + ':/etc'], upper, work).catch((x: unknown) => x);
    t.true(isRunnerError(e2, 'RUNNER_INVALID_SPEC'));
    const e3 = await session.mountOverlay([path.join(dir, 'does-not-exist')], upper, work).catch((x: unknown) => x);
    t.true(isRunnerError(e3, 'RUNNER_MOUNT_SESSION'));
  } finally {
    await session.close();
  }
});

function fsExists(p: string): boolean {
  try {
    readFileSync(path.join(p, 'proc', 'self', 'stat'));
    return true;
  } catch {
    return false;
  }
}

test.serial('a lower dir given twice (an image with a repeated layer) mounts; the topmost copy wins', async (t) => {
  const extra = path.join(dir, 'extra-lower');
  await fs.mkdir(path.join(extra, 'etc'), { recursive: true });
  await fs.writeFile(path.join(extra, 'etc/repeated'), 'from the repeated layer');
  const { upper, work } = await layerDirs();
  const session = await openMountSession();
  try {
    // Topmost first: extra, busybox, extra again (overlayfs alone would refuse this with ELOOP).
    const m = await session.mountOverlay([extra, lower, extra], upper, work);
    t.is(readFileSync(path.join(m.path, 'etc/repeated'), 'utf8'), 'from the repeated layer');
    t.true((await fs.readdir(path.join(m.path, 'bin'))).includes('busybox'));
    await m.unmount();
  } finally {
    await session.close();
  }
});
