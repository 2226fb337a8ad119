// RT-07, CLN-01 and the overlay contract: no mount ever reaches the host, the upper dir holds only the
// step's own writes, long layer lists mount.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunSpec } from '../src/index.js';
import { tempBase } from '../src/temp-dirs.js';
import { removeTree, sh, tempDir, unpackBusybox } from './helpers/fixture.js';
import { ourNewMounts } from './helpers/procs.js';

let dir = '';
let lower = '';

const mountinfo = (): string => readFileSync('/proc/self/mountinfo', 'utf8');
/** Where a leaked mount of ours would show: under the test dirs (rootfs, layers) or the runner's
 * temp dirs (mountpoints, /etc files). */
const roots = (): string[] => [dir, path.join(tempBase(), 'tsbuild-')];

test.before(() => {
  dir = tempDir('cleanup');
  unpackBusybox(dir);
  lower = path.join(dir, 'rootfs');
});
test.after.always(() => removeTree(dir));

let n = 0;
async function overlay(lowerDirs = [lower]): Promise<Extract<RunSpec['rootfs'], { type: 'overlay' }>> {
  const base = path.join(dir, `ov${++n}`);
  await fs.mkdir(path.join(base, 'upper'), { recursive: true });
  await fs.mkdir(path.join(base, 'work'));
  return { type: 'overlay', lowerDirs, upperDir: path.join(base, 'upper'), workDir: path.join(base, 'work') };
}

function listTree(root: string): string[] {
  return execFileSync('find', ['.', '-mindepth', '1'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
}

test.serial('no step mount reaches the host mountinfo over 50 runs (dir and overlay, some failing)', async (t) => {
  const before = mountinfo();
  for (let i = 0; i < 50; i++) {
    const rootfs = i % 2 ? await overlay() : ({ type: 'dir', path: lower } as const);
    const r = await sh(rootfs, i % 5 === 0 ? 'exit 7' : 'true', { mounts: [{ type: 'tmpfs', target: '/tmp/scratch' }] });
    t.is(r.exitCode, i % 5 === 0 ? 7 : 0);
  }
  t.deepEqual(ourNewMounts(before, mountinfo(), roots()), []);
});

test.serial('the overlay upper dir holds only the step writes, even when stubs were needed', async (t) => {
  // a lower without /etc/hostname, /etc/hosts, /sys or /mnt forces stubs for all of them
  const bare = path.join(dir, 'bare');
  execFileSync('cp', ['-a', lower, bare]);
  for (const p of ['etc/hostname', 'etc/hosts', 'sys']) await fs.rm(path.join(bare, p), { recursive: true });
  const rootfs = await overlay([bare]);
  const r = await sh(rootfs, 'echo data > /root/new && rm /linuxrc && cat /etc/hosts >/dev/null && ls /sys /mnt/cache >/dev/null', {
    mounts: [{ type: 'tmpfs', target: '/mnt/cache' }, { type: 'bind', source: bare, target: '/usr/share/lower', readonly: true }],
  });
  t.is(r.exitCode, 0, r.stderr);
  t.deepEqual(listTree(rootfs.upperDir), ['./linuxrc', './root', './root/new']);
  const wh = await fs.lstat(path.join(rootfs.upperDir, 'linuxrc'));
  t.true(wh.isCharacterDevice(), 'the deletion is an overlay whiteout');
});

test.serial('a step that writes into a stub parent keeps that write', async (t) => {
  const bare = path.join(dir, 'bare2');
  execFileSync('cp', ['-a', lower, bare]);
  await fs.rm(path.join(bare, 'etc/hostname'));
  const rootfs = await overlay([bare]);
  const r = await sh(rootfs, 'echo x > /etc/mine');
  t.is(r.exitCode, 0, r.stderr);
  t.deepEqual(listTree(rootfs.upperDir), ['./etc', './etc/mine']);
});

async function makeLayers(base: string, name: (i: number) => string): Promise<RunSpec['rootfs']> {
  const layers: string[] = [];
  for (let i = 0; i < 130; i++) {
    const l = path.join(base, name(i));
    await fs.mkdir(l, { recursive: true });
    await fs.writeFile(path.join(l, `f${i}`), String(i));
    layers.push(l);
  }
  layers.push(lower);
  await fs.mkdir(path.join(base, 'up'), { recursive: true });
  await fs.mkdir(path.join(base, 'wk'), { recursive: true });
  return { type: 'overlay', lowerDirs: layers, upperDir: path.join(base, 'up'), workDir: path.join(base, 'wk') };
}

test.serial('130 lower layers mount: short names relative to their parent, and 64-hex snapshot ids', async (t) => {
  const short = await makeLayers(path.join(dir, 'short'), (i) => `l${i}`);
  const hex = await makeLayers(path.join(dir, 'store-with-a-long-path/snapshots'), (i) => `${i.toString(16).padStart(64, 'a')}/fs`);
  for (const rootfs of [short, hex]) {
    const r = await sh(rootfs, 'ls / | grep -c "^f[0-9]"; cat /f0 /f129');
    t.is(r.exitCode, 0, r.stderr);
    t.is(r.stdout, '130\n0129');
  }
});

test.serial('a readonly dir rootfs cannot be written', async (t) => {
  const r = await sh({ type: 'dir', path: lower, readonly: true }, 'touch /newfile 2>/dev/null && echo wrote || echo refused');
  t.is(r.stdout, 'refused\n');
  await t.throwsAsync(fs.access(path.join(lower, 'newfile')));
});

test.serial('bind mounts: read-only stays read-only (also a mount below the source), read-write writes through', async (t) => {
  const shared = path.join(dir, 'shared');
  await fs.mkdir(path.join(shared, 'sub'), { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tsbuild-runner-sub', path.join(shared, 'sub')]);
  t.teardown(() => execFileSync('umount', ['-l', path.join(shared, 'sub')]));
  const r = await sh({ type: 'dir', path: lower }, '(echo a > /ro/x) 2>/dev/null && echo ro-wrote; (echo a > /ro/sub/x) 2>/dev/null && echo ro-sub-wrote; echo b > /rw/y', {
    mounts: [
      { type: 'bind', source: shared, target: '/ro', readonly: true },
      { type: 'bind', source: shared, target: '/rw' },
    ],
  });
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stdout, '');
  t.is(readFileSync(path.join(shared, 'y'), 'utf8'), 'b\n');
  for (const p of ['ro', 'rw']) await t.throwsAsync(fs.access(path.join(lower, p)), undefined, `stub /${p} removed`);
});

test.serial('parallel runs do not interfere and all clean up', async (t) => {
  const before = mountinfo();
  const results = await Promise.all(
    Array.from({ length: 6 }, async (_, i) => sh(await overlay(), `echo ${i} > /id; hostname`, { hostname: `par-${i}` })),
  );
  results.forEach((r, i) => {
    t.is(r.exitCode, 0, r.stderr);
    t.is(r.stdout, `par-${i}\n`);
  });
  t.deepEqual(ourNewMounts(before, mountinfo(), roots()), []);
});

test.serial('RT-07: with the rootfs on an rshared host mount, no step mount ever shows on the host', async (t) => {
  const shared = tempDir('rshared');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tsbuild-runner-test', shared]);
  try {
    execFileSync('mount', ['--make-rshared', shared]);
    execFileSync('cp', ['-a', lower, path.join(shared, 'lower')]);
    for (const d of ['upper', 'work', 'bindsrc']) await fs.mkdir(path.join(shared, d));
    const before = mountinfo();
    const rootfs: RunSpec['rootfs'] = { type: 'overlay', lowerDirs: [path.join(shared, 'lower')], upperDir: path.join(shared, 'upper'), workDir: path.join(shared, 'work') };
    const running = sh(rootfs, 'sleep 1', { mounts: [{ type: 'bind', source: path.join(shared, 'bindsrc'), target: '/mnt/b' }, { type: 'tmpfs', target: '/mnt/t' }] });
    const during: string[] = [];
    const sampler = setInterval(() => during.push(mountinfo()), 100);
    const r = await running.finally(() => clearInterval(sampler));
    t.is(r.exitCode, 0, r.stderr);
    t.true(during.length >= 5);
    for (const m of during) t.deepEqual(ourNewMounts(before, m, [...roots(), shared]), []);
    t.deepEqual(ourNewMounts(before, mountinfo(), [...roots(), shared]), []);
  } finally {
    execFileSync('umount', ['-l', shared]);
    await fs.rmdir(shared);
  }
});
