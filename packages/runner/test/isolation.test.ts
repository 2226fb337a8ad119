// RT-04/RT-05 and exit-status checks, observed from inside the sandbox over a busybox rootfs.
import test from 'ava';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isRunnerError, run, type RunSpec } from '../src/index.js';
import { baseSpec, removeTree, runCaptured, sh, tempDir, unpackBusybox } from './helpers/fixture.js';

let dir = '';
let rootfs: RunSpec['rootfs'];

test.before(() => {
  dir = tempDir('isolation');
  unpackBusybox(dir);
  rootfs = { type: 'dir', path: path.join(dir, 'rootfs') };
});
test.after.always(() => removeTree(dir));

test.serial('the five namespaces differ from the host ones', async (t) => {
  const kinds = ['pid', 'mnt', 'uts', 'ipc', 'net'];
  const r = await sh(rootfs, kinds.map((k) => `readlink /proc/self/ns/${k}`).join('; '));
  t.is(r.exitCode, 0, r.stderr);
  const inside = r.stdout.trim().split('\n');
  t.is(inside.length, 5);
  kinds.forEach((k, i) => t.not(inside[i], readlinkSync(`/proc/self/ns/${k}`), k));
});

test.serial('ps shows only the step: our init as pid 1 and the command', async (t) => {
  const r = await sh(rootfs, 'sleep 30 & ps -o pid,comm');
  t.is(r.exitCode, 0, r.stderr);
  const pids = r.stdout.trim().split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0]));
  t.deepEqual(pids.slice(0, 2), [1, 2]);
  t.true(pids.length <= 4, r.stdout);
  t.true(pids.every((p) => p < 10), r.stdout);
});

test.serial('hostname, /etc/hostname and /etc/hosts are the ones given', async (t) => {
  const r = await sh(rootfs, 'hostname; cat /etc/hostname; cat /etc/hosts', { hostname: 'step-42', extraHosts: ['10.0.0.7\tregistry.local'] });
  t.is(r.exitCode, 0, r.stderr);
  const lines = r.stdout.split('\n');
  t.is(lines[0], 'step-42');
  t.is(lines[1], 'step-42');
  t.regex(r.stdout, /127\.0\.1\.1\tstep-42/);
  t.regex(r.stdout, /10\.0\.0\.7\tregistry\.local/);
});

async function withServer(fn: (port: number, connections: () => number) => Promise<void>): Promise<void> {
  let count = 0;
  const server = net.createServer((s) => {
    count++;
    s.end('hello\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn((server.address() as net.AddressInfo).port, () => count);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

test.serial('network none: only lo, up, and the host loopback server is unreachable', async (t) => {
  await withServer(async (port, connections) => {
    const r = await sh(rootfs, `ls /sys/class/net; cat /sys/class/net/lo/operstate; nc -w 2 127.0.0.1 ${port} </dev/null && echo CONNECTED || echo REFUSED`);
    t.is(r.exitCode, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    t.is(lines[0], 'lo');
    t.true(['unknown', 'up'].includes(lines[1]), lines[1]);
    t.is(lines.at(-1), 'REFUSED');
    t.is(connections(), 0);
  });
});

test.serial('network host reaches the host loopback server (control for the test above)', async (t) => {
  await withServer(async (port, connections) => {
    const r = await sh(rootfs, `nc -w 2 127.0.0.1 ${port} </dev/null`, { network: 'host' });
    t.is(r.exitCode, 0, r.stderr);
    t.is(r.stdout, 'hello\n');
    t.is(connections(), 1);
  });
});

test.serial("root gets Docker's default capabilities, nothing inheritable or ambient, no_new_privs off", async (t) => {
  const r = await sh(rootfs, 'grep ^Cap /proc/self/status; grep NoNewPrivs /proc/self/status');
  t.is(r.exitCode, 0, r.stderr);
  t.regex(r.stdout, /CapEff:\t00000000a80425fb/);
  t.regex(r.stdout, /CapPrm:\t00000000a80425fb/);
  t.regex(r.stdout, /CapBnd:\t00000000a80425fb/);
  t.regex(r.stdout, /CapInh:\t0000000000000000/);
  t.regex(r.stdout, /CapAmb:\t0000000000000000/);
  t.regex(r.stdout, /NoNewPrivs:\t0/);
});

// BuildKit (oci.WithNewPrivileges) and `docker run` leave no_new_privs off, so a setuid-root binary
// works under a non-root USER. Busybox drops the privilege for most applets, not for ping, which
// needs a raw socket (a fresh network namespace allows no unprivileged ICMP: ping_group_range "1 0").
test.serial('a setuid-root binary takes effect under a non-root user (ping through a setuid busybox)', async (t) => {
  const suid = path.join(dir, 'rootfs', 'suid');
  mkdirSync(suid);
  t.teardown(() => rmSync(suid, { recursive: true, force: true }));
  copyFileSync(path.join(dir, 'rootfs', 'bin', 'busybox'), path.join(suid, 'busybox'));
  chmodSync(path.join(suid, 'busybox'), 0o4755);
  const r = await sh(rootfs, 'grep NoNewPrivs /proc/self/status; id -u; /suid/busybox ping -c1 -W2 127.0.0.1 >/dev/null && echo PING-OK', { user: 'app' });
  t.is(r.exitCode, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), ['NoNewPrivs:\t0', '1000', 'PING-OK']);
  const plain = await sh(rootfs, 'ping -c1 -W2 127.0.0.1 >/dev/null 2>&1 && echo PING-OK || echo DENIED', { user: 'app' });
  t.is(plain.stdout.trim(), 'DENIED'); // control: without the setuid bit the same user cannot
});

test.serial('mount, unshare, sysrq-trigger, core_pattern and sysfs writes all fail', async (t) => {
  const hostCore = readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
  const attempts = [
    'mount -t tmpfs none /mnt',
    'unshare -m true',
    'echo c > /proc/sysrq-trigger',
    "echo '|/bin/evil' > /proc/sys/kernel/core_pattern",
    'echo x > /sys/kernel/uevent_helper',
    'mknod /b b 8 0 && head -c1 /b',
  ];
  const r = await sh(rootfs, attempts.map((a, i) => `(${a}) 2>/dev/null && echo "ok ${i}" || echo "fail ${i}"`).join('; '));
  t.is(r.exitCode, 0, r.stderr);
  attempts.forEach((a, i) => t.regex(r.stdout, new RegExp(`^fail ${i}$`, 'm'), a));
  t.is(readFileSync('/proc/sys/kernel/core_pattern', 'utf8'), hostCore);
});

test.serial("a node the step makes for the host's disk cannot be opened (device allow-list)", async (t) => {
  const disks = readdirSync('/sys/block').filter((d) => !d.startsWith('loop'));
  if (disks.length === 0) {
    t.pass('no block device on this host');
    return;
  }
  const [maj, min] = readFileSync(`/sys/block/${disks[0]}/dev`, 'utf8').trim().split(':');
  const r = await sh(rootfs, `mknod /tmp/disk b ${maj} ${min} && echo made; head -c 16 /tmp/disk >/dev/null 2>&1 && echo READ || echo denied; rm -f /tmp/disk`);
  t.is(r.stdout, 'made\ndenied\n');
});

test.serial('masked /proc files read empty', async (t) => {
  const r = await sh(rootfs, 'for f in keys timer_list interrupts kcore sched_debug; do [ -e /proc/$f ] && echo "$f $(wc -c < /proc/$f)"; done; true');
  t.is(r.exitCode, 0, r.stderr);
  for (const line of r.stdout.trim().split('\n').filter(Boolean)) t.regex(line, / 0$/, line);
});

test.serial('only fds 0-2 are open (plus the fd ls reads the directory with)', async (t) => {
  const r = await sh(rootfs, 'ls /proc/self/fd');
  t.is(r.exitCode, 0, r.stderr);
  const fds = r.stdout.trim().split(/\s+/).map(Number);
  t.deepEqual(fds.slice(0, 3), [0, 1, 2]);
  t.true(fds.length <= 4, r.stdout);
});

test.serial("init's fds and exe are out of the step's reach (not dumpable)", async (t) => {
  const r = await sh(rootfs, 'for f in /proc/1/fd/* /proc/1/exe /proc/1/root /proc/1/cwd; do readlink $f; done 2>/dev/null; ls /proc/1/fd | wc -w');
  t.is(r.exitCode, 0, r.stderr);
  // init holds stdio, the two protocol fds and the stub-parent/proc O_PATH fds, none of them readable
  t.regex(r.stdout, /^\d+\n$/);
  t.true(Number(r.stdout) <= 8, r.stdout);
});

test.serial('/dev is minimal and its nodes are the real devices', async (t) => {
  const r = await sh(rootfs, 'ls /dev | tr "\\n" " "; echo; stat -c "%t,%T" /dev/null /dev/zero; echo x > /dev/null && head -c 4 /dev/zero | wc -c');
  t.is(r.exitCode, 0, r.stderr);
  const [names, nullDev, zeroDev, zeroBytes] = r.stdout.trim().split('\n');
  t.deepEqual(names.trim().split(' ').sort(), ['fd', 'full', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
  t.is(nullDev, '1,3');
  t.is(zeroDev, '1,5');
  t.is(zeroBytes.trim(), '4');
});

test.serial('exit codes 0 and 3 come back; kill -9 $$ is SIGKILL, 137 through a shell', async (t) => {
  t.is((await sh(rootfs, 'exit 0')).exitCode, 0);
  t.is((await sh(rootfs, 'exit 3')).exitCode, 3);
  const killed = await sh(rootfs, 'kill -9 $$');
  t.is(killed.exitCode, null);
  t.is(killed.signal, 'SIGKILL');
  t.false(killed.oomKilled);
  const nested = await sh(rootfs, "sh -c 'kill -9 $$'; exit $?");
  t.is(nested.exitCode, 137);
  t.is(nested.signal, null);
});

test.serial('env is the one given plus HOME when it has none, argv[0] is looked up in its PATH', async (t) => {
  const r = await runCaptured(baseSpec(rootfs, ['env'], { env: ['PATH=/usr/bin', 'A=1', 'B=two words'] }));
  t.is(r.exitCode, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), ['PATH=/usr/bin', 'A=1', 'B=two words', 'HOME=/root']);
  const missing = await run(baseSpec(rootfs, ['env'], { env: ['PATH=/nowhere'] })).catch((e: unknown) => e);
  t.true(isRunnerError(missing, 'RUNNER_EXEC'), String(missing));
});

// runc's rule (libcontainer/env.go prepareEnv), which BuildKit's RUN and `docker run` follow.
test.serial("HOME without one in env: the user's passwd home, \"/\" without an entry; a given HOME wins", async (t) => {
  const env = ['PATH=/usr/bin:/bin'];
  const home = async (extra: Partial<RunSpec>): Promise<string> => {
    const r = await sh(rootfs, 'echo "[$HOME]"', { env, ...extra });
    t.is(r.exitCode, 0, r.stderr);
    return r.stdout.trim();
  };
  t.is(await home({}), '[/root]');
  t.is(await home({ user: 'app' }), '[/home/app]');
  t.is(await home({ user: '1000:0' }), '[/home/app]');
  t.is(await home({ user: '4242' }), '[/]');
  t.is(await home({ user: 'app', env: [...env, 'HOME=/x'] }), '[/x]');
  // an empty HOME counts as none (and is not left in the environment twice)
  const empty = await sh(rootfs, 'env | grep -c ^HOME=; echo "[$HOME]"', { user: 'app', env: [...env, 'HOME='] });
  t.deepEqual(empty.stdout.trim().split('\n'), ['1', '[/home/app]']);
  const cd = await sh(rootfs, 'cd && pwd && cd ~ && pwd', { user: 'app', env });
  t.deepEqual(cd.stdout.trim().split('\n'), ['/home/app', '/home/app']);
});

test.serial('user, groups, umask and a created working directory owned by the user', async (t) => {
  const r = await sh(rootfs, 'id -u; id -g; umask; pwd; stat -c %u:%g .', { user: 'app', cwd: '/home/app/work/deep' });
  t.is(r.exitCode, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), ['1000', '1000', '0022', '/home/app/work/deep', '1000:1000']);
  const caps = await sh(rootfs, 'grep CapEff /proc/self/status', { user: '1000:1000' });
  t.regex(caps.stdout, /CapEff:\t0000000000000000/);
  const numeric = await sh(rootfs, 'id -u; id -g', { user: '4242:4343' });
  t.deepEqual(numeric.stdout.trim().split('\n'), ['4242', '4343']);
});

test.serial('a missing user is a typed error before anything runs', async (t) => {
  const e = await run(baseSpec(rootfs, ['true'], { user: 'nobody-here' })).catch((x: unknown) => x);
  t.true(isRunnerError(e, 'RUNNER_USER_NOT_FOUND'), String(e));
});

test.serial('stdin is passed through', async (t) => {
  const { Readable } = await import('node:stream');
  const r = await runCaptured({ ...baseSpec(rootfs, ['cat']), stdin: Readable.from(['piped ', 'input']) });
  t.is(r.stdout, 'piped input');
});

test.serial('tty: the step gets a pseudo-terminal as its controlling terminal, stderr merged', async (t) => {
  const r = await sh(rootfs, 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-terminals; echo to-stderr >&2; id -u', { tty: true, user: 'app' });
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stderr, '');
  t.deepEqual(r.stdout.replace(/\r/g, '').trim().split('\n'), ['/dev/pts/0', 'all-terminals', 'to-stderr', '1000']);
});
