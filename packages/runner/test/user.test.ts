// resolveUser (RT-06): Docker USER syntax, ids validated, passwd/group read in-root with a size cap.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isRunnerError, resolveUser } from '../src/index.js';
import { removeTree, tempDir } from './helpers/fixture.js';

let dir = '';
let root = '';
let S = '';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\nwheel:x:10:root,app\napp:x:1000:\nstaff:x:50:app\nnogroup:x:65534:\n';

test.before(async () => {
  dir = tempDir('user');
  root = path.join(dir, 'root');
  S = path.join(dir, 'S');
  await fs.mkdir(path.join(root, 'etc'), { recursive: true });
  await fs.mkdir(S);
  writeFileSync(path.join(root, 'etc/passwd'), PASSWD);
  writeFileSync(path.join(root, 'etc/group'), GROUP);
  writeFileSync(path.join(S, 'passwd'), 'evil:x:4242:4242::/evil:/bin/sh\n');
});
test.after.always(() => removeTree(dir));

const cases: [string, { uid: number; gid: number; additionalGids: number[]; home: string }][] = [
  ['', { uid: 0, gid: 0, additionalGids: [10], home: '/root' }],
  ['root', { uid: 0, gid: 0, additionalGids: [10], home: '/root' }],
  ['app', { uid: 1000, gid: 1000, additionalGids: [10, 50], home: '/home/app' }],
  ['1000', { uid: 1000, gid: 1000, additionalGids: [10, 50], home: '/home/app' }],
  ['app:staff', { uid: 1000, gid: 50, additionalGids: [], home: '/home/app' }],
  ['app:0', { uid: 1000, gid: 0, additionalGids: [], home: '/home/app' }],
  ['1000:1000', { uid: 1000, gid: 1000, additionalGids: [], home: '/home/app' }],
  ['4242', { uid: 4242, gid: 0, additionalGids: [], home: '/' }],
  ['4242:4343', { uid: 4242, gid: 4343, additionalGids: [], home: '/' }],
  ['2147483647', { uid: 2147483647, gid: 0, additionalGids: [], home: '/' }],
];
for (const [spec, want] of cases) {
  test.serial(`USER "${spec}"`, async (t) => {
    t.deepEqual(await resolveUser(root, spec), want);
  });
}

for (const [spec, code] of [
  ['ghost', 'RUNNER_USER_NOT_FOUND'],
  ['app:ghosts', 'RUNNER_USER_NOT_FOUND'],
  ['-1', 'RUNNER_USER_INVALID'],
  ['1000:-1', 'RUNNER_USER_INVALID'],
  ['2147483648', 'RUNNER_USER_INVALID'],
  ['4294967294', 'RUNNER_USER_INVALID'],
  ['4294967295', 'RUNNER_USER_INVALID'],
  ['4294967296', 'RUNNER_USER_INVALID'],
  ['99999999999999999999', 'RUNNER_USER_INVALID'],
  ['0:0:0', 'RUNNER_USER_INVALID'],
  ['app:', 'RUNNER_USER_INVALID'],
] as const) {
  test.serial(`USER "${spec}" is refused with ${code}`, async (t) => {
    const e = await resolveUser(root, spec).catch((x: unknown) => x);
    t.true(isRunnerError(e, code), String(e));
  });
}

test.serial('passwd symlinked out of the root is read in-root (here: absent), never from the host', async (t) => {
  const r2 = path.join(dir, 'r2');
  await fs.mkdir(path.join(r2, 'etc'), { recursive: true });
  await fs.symlink(path.join(S, 'passwd'), path.join(r2, 'etc/passwd'));
  await fs.symlink(`../../../../../../../..${S}/passwd`, path.join(r2, 'etc/group'));
  const e = await resolveUser(r2, 'evil').catch((x: unknown) => x);
  t.true(isRunnerError(e, 'RUNNER_USER_NOT_FOUND'));
  t.deepEqual(await resolveUser(r2, ''), { uid: 0, gid: 0, additionalGids: [], home: '/' });
});

test.serial('an /etc symlink inside the root is followed in-root', async (t) => {
  const r3 = path.join(dir, 'r3');
  await fs.mkdir(path.join(r3, 'private/etc'), { recursive: true });
  writeFileSync(path.join(r3, 'private/etc/passwd'), 'svc:x:77:88::/srv:/bin/sh\n');
  await fs.symlink('/private/etc', path.join(r3, 'etc'));
  t.deepEqual(await resolveUser(r3, 'svc'), { uid: 77, gid: 88, additionalGids: [], home: '/srv' });
});

test.serial('a huge /etc/group is refused by size, not parsed', async (t) => {
  const r4 = path.join(dir, 'r4');
  await fs.mkdir(path.join(r4, 'etc'), { recursive: true });
  writeFileSync(path.join(r4, 'etc/passwd'), PASSWD);
  const fh = await fs.open(path.join(r4, 'etc/group'), 'w');
  await fh.truncate(200 * 1024 * 1024); // sparse: 200 MiB without the disk
  await fh.close();
  const e = await resolveUser(r4, 'app').catch((x: unknown) => x);
  t.true(isRunnerError(e, 'RUNNER_FILE_TOO_LARGE'), String(e));
});

test.serial('/etc/passwd as a directory or a FIFO counts as absent', async (t) => {
  const r5 = path.join(dir, 'r5');
  await fs.mkdir(path.join(r5, 'etc/passwd'), { recursive: true });
  execFileSync('mkfifo', [path.join(r5, 'etc/group')]);
  t.deepEqual(await resolveUser(r5, '5:5'), { uid: 5, gid: 5, additionalGids: [], home: '/' });
});
