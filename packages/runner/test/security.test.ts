// Regressions named after the advisories they prevent (RT-01, RT-02, RT-03, CVE-2024-23652).
// S is a sentinel dir outside the rootfs; after every case it must be unchanged.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { promises as fs, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isRunnerError, run, type RunSpec } from '../src/index.js';
import { baseSpec, removeTree, sh, sha256File, snapshotTree, tempDir, unpackBusybox } from './helpers/fixture.js';

let dir = '';
let pristine = '';
let S = '';
let sBefore = '';
const helperBin = path.resolve(import.meta.dirname, '../../native/tsbuild-sandbox');

test.before(() => {
  dir = tempDir('security');
  unpackBusybox(dir);
  pristine = path.join(dir, 'rootfs');
  S = path.join(dir, 'S');
  execFileSync('mkdir', ['-p', path.join(S, 'probe'), path.join(S, 'devprobe')]);
  writeFileSync(path.join(S, 'marker'), 'MARKER-' + Math.random().toString(36));
  writeFileSync(path.join(S, 'sentinel'), 'sentinel', { mode: 0o400 });
  writeFileSync(path.join(S, 'hostname'), '');
  sBefore = snapshotTree(S);
});
test.after.always(() => removeTree(dir));

let n = 0;
/** A private copy of the busybox rootfs to plant things in. */
function copyRootfs(): string {
  const p = path.join(dir, `r${++n}`);
  execFileSync('cp', ['-a', pristine, p]);
  return p;
}
const dirRoot = (p: string): RunSpec['rootfs'] => ({ type: 'dir', path: p });

test.afterEach.always((t) => {
  t.is(snapshotTree(S), sBefore, 'the sentinel dir changed');
});

test.serial('CVE-2024-21626: a /proc/self/fd/N working directory never leads out of the root', async (t) => {
  const marker = readFileSync(path.join(S, 'marker'), 'utf8');
  for (let fd = 3; fd <= 12; fd++) {
    const r = await sh(dirRoot(pristine), `cat ../../../../../../..${S}/marker; cat ${S}/marker; true`, { cwd: `/proc/self/fd/${fd}` }).catch((e: unknown) => e);
    if (isRunnerError(r)) {
      t.true(['RUNNER_SETUP', 'RUNNER_EXEC'].includes(r.code), r.message);
      continue;
    }
    t.false(JSON.stringify(r).includes(marker), `fd ${fd}`);
  }
});

test.serial('CVE-2019-5736: #!/proc/self/exe and /proc/*/exe writes leave host binaries unchanged', async (t) => {
  const root = copyRootfs();
  writeFileSync(path.join(root, 'bin/evil'), '#!/proc/self/exe\n', { mode: 0o755 });
  const before = [await sha256File(helperBin), await sha256File(process.execPath)];
  // the command itself is the trap: the helper binary gets executed by the kernel in its place
  const direct = await run(baseSpec(dirRoot(root), ['/bin/evil'])).catch((e: unknown) => e);
  t.true(isRunnerError(direct, 'RUNNER_EXEC') || (direct as { exitCode: number }).exitCode !== 0, String(direct));
  const script = [
    'for p in /proc/[0-9]*/exe; do (echo pwned >> "$p") 2>/dev/null && echo "wrote $p"; done',
    '(exec 5</proc/1/exe && echo opened-init-exe) 2>/dev/null',
    'for p in /proc/[0-9]*/exe; do readlink "$p"; done 2>/dev/null',
    'true',
  ].join('; ');
  const r = await sh(dirRoot(root), script);
  t.is(r.exitCode, 0, r.stderr);
  t.notRegex(r.stdout, /wrote|opened-init-exe/);
  t.notRegex(r.stdout, /\/work\/|node|tsbuild-sandbox$/m);
  t.deepEqual([await sha256File(helperBin), await sha256File(process.execPath)], before);
});

test.serial('CVE-2019-19921: a symlinked /proc is refused and nothing is mounted through it', async (t) => {
  const root = copyRootfs();
  await fs.rm(path.join(root, 'proc'), { recursive: true });
  await fs.symlink(path.join(S, 'probe'), path.join(root, 'proc'));
  const e = await run(baseSpec(dirRoot(root), ['true'])).catch((x: unknown) => x);
  t.true(isRunnerError(e, 'RUNNER_SETUP'), String(e));
});

test.serial('CVE-2026-41579: a symlinked /dev is refused and the probe stays empty', async (t) => {
  const root = copyRootfs();
  await fs.rm(path.join(root, 'dev'), { recursive: true });
  await fs.symlink(path.join(S, 'devprobe'), path.join(root, 'dev'));
  const e = await run(baseSpec(dirRoot(root), ['true'])).catch((x: unknown) => x);
  t.true(isRunnerError(e, 'RUNNER_SETUP'), String(e));
  t.deepEqual(await fs.readdir(path.join(S, 'devprobe')), []);
});

test.serial('CVE-2025-31133: dev/null -> core_pattern in the image; /dev/null is still 1:3 and core_pattern untouched', async (t) => {
  const root = copyRootfs();
  await fs.mkdir(path.join(root, 'dev'), { recursive: true });
  await fs.symlink('/proc/sys/kernel/core_pattern', path.join(root, 'dev/null'));
  const core = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
  const r = await sh(dirRoot(root), "stat -c %t,%T /dev/null; echo '|/bin/evil' > /dev/null; echo done");
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stdout, '1,3\ndone\n');
  t.is(readFileSync('/proc/sys/kernel/core_pattern', 'utf8'), core);
});

test.serial('resolv.conf and hosts symlinked out of the root: refused, never followed to the host', async (t) => {
  for (const [file, target] of [
    ['etc/resolv.conf', path.join(S, 'sentinel')],
    ['etc/hosts', `../../../../../../..${S}/sentinel`],
    ['etc/hostname', path.join(S, 'hostname')],
  ]) {
    const root = copyRootfs();
    await fs.rm(path.join(root, file));
    await fs.symlink(target, path.join(root, file));
    const e = await run(baseSpec(dirRoot(root), ['true'])).catch((x: unknown) => x);
    t.true(isRunnerError(e, 'RUNNER_SETUP'), `${file}: ${String(e)}`);
  }
});

test.serial('a symlink that stays inside the root is followed in-root', async (t) => {
  const root = copyRootfs();
  await fs.rm(path.join(root, 'etc/resolv.conf'));
  await fs.mkdir(path.join(root, 'run/resolve'), { recursive: true });
  writeFileSync(path.join(root, 'run/resolve/stub.conf'), 'image content\n');
  await fs.symlink('../../../run/resolve/stub.conf', path.join(root, 'etc/resolv.conf'));
  const r = await sh(dirRoot(root), 'cat /etc/resolv.conf');
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /^nameserver /m);
  t.is(readFileSync(path.join(root, 'run/resolve/stub.conf'), 'utf8'), 'image content\n');
});

test.serial('/sys as a regular file is refused', async (t) => {
  const root = copyRootfs();
  await fs.rm(path.join(root, 'sys'), { recursive: true });
  writeFileSync(path.join(root, 'sys'), 'not a dir');
  const e = await run(baseSpec(dirRoot(root), ['true'])).catch((x: unknown) => x);
  t.true(isRunnerError(e, 'RUNNER_SETUP'), String(e));
});

test.serial('CVE-2024-23652: stubs are removed by fd even when the step swaps their parent for a symlink', async (t) => {
  const root = copyRootfs();
  await fs.rm(path.join(root, 'etc/hostname'));
  // S is bind-mounted read-write at /mnt/s; the step moves /etc away and points /etc at it, so a
  // path-based stub cleaner would delete S/hostname
  const r = await sh(dirRoot(root), 'mv /etc /etc2 && ln -s /mnt/s /etc && ls /etc/hostname', {
    mounts: [{ type: 'bind', source: S, target: '/mnt/s' }],
  });
  t.is(r.exitCode, 0, r.stderr);
  await t.notThrowsAsync(fs.access(path.join(S, 'hostname')));
  // our stub in the moved directory is gone, the mount target stub too
  await t.throwsAsync(fs.access(path.join(root, 'etc2/hostname')));
  t.deepEqual(await fs.readdir(path.join(root, 'mnt')).catch(() => []), []);
});

test.serial('mount stubs created in a dir rootfs are removed after the run', async (t) => {
  const root = copyRootfs();
  await fs.rm(path.join(root, 'etc/hostname'));
  await fs.rm(path.join(root, 'sys'), { recursive: true });
  const r = await sh(dirRoot(root), 'ls /cache /sys/kernel >/dev/null && cat /etc/hostname', {
    mounts: [{ type: 'tmpfs', target: '/cache/deep' }],
  });
  t.is(r.exitCode, 0, r.stderr);
  for (const p of ['etc/hostname', 'sys', 'cache']) await t.throwsAsync(fs.lstat(path.join(root, p)), { code: 'ENOENT' }, p);
});

test.serial('stubs are removed when setup fails halfway or the user is unknown', async (t) => {
  const root = copyRootfs();
  await fs.rm(path.join(root, 'etc/hostname'));
  await fs.rm(path.join(root, 'sys'), { recursive: true });
  writeFileSync(path.join(root, 'sys'), 'not a dir'); // fails after the /etc stubs were made
  const e1 = await run(baseSpec(dirRoot(root), ['true'], { mounts: [{ type: 'tmpfs', target: '/scratch' }] })).catch((x: unknown) => x);
  t.true(isRunnerError(e1, 'RUNNER_SETUP'), String(e1));
  for (const p of ['etc/hostname', 'scratch']) await t.throwsAsync(fs.lstat(path.join(root, p)), { code: 'ENOENT' }, p);

  await fs.rm(path.join(root, 'sys'));
  await fs.mkdir(path.join(root, 'sys'));
  const e2 = await run(baseSpec(dirRoot(root), ['true'], { user: 'ghost', mounts: [{ type: 'tmpfs', target: '/scratch' }] })).catch((x: unknown) => x);
  t.true(isRunnerError(e2, 'RUNNER_USER_NOT_FOUND'), String(e2));
  for (const p of ['etc/hostname', 'scratch']) await t.throwsAsync(fs.lstat(path.join(root, p)), { code: 'ENOENT' }, p);
});
