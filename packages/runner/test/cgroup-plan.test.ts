// Where step cgroups go, from mountinfo and /proc/self/cgroup samples of the hosts tsbuild meets.
import test from 'ava';
import { planCgroups, v2Parent } from '../src/cgroups.js';

const line = (id: number, root: string, point: string, type: string, opts: string): string =>
  `${id} 1 0:${id} ${root} ${point} rw,nosuid,nodev,noexec,relatime shared:${id} - ${type} ${type} ${opts}`;

test.serial('pure cgroup v2 (systemd host): v2, runs beside our own cgroup', (t) => {
  const plan = planCgroups(
    [line(30, '/', '/sys/fs/cgroup', 'cgroup2', 'rw,nsdelegate,memory_recursiveprot')].join('\n'),
    '0::/user.slice/user-0.slice/session-4.scope\n',
  );
  t.deepEqual(plan.v2, { mountPoint: '/sys/fs/cgroup', ownDir: '/sys/fs/cgroup/user.slice/user-0.slice/session-4.scope' });
  t.deepEqual(plan.v1, []);
  t.is(v2Parent(plan.v2!.mountPoint, plan.v2!.ownDir), '/sys/fs/cgroup/user.slice/user-0.slice');
  t.is(v2Parent('/sys/fs/cgroup', '/sys/fs/cgroup/'), '/sys/fs/cgroup', 'at the root: /tsbuild');
});

test.serial('container with a private cgroup namespace: its root is the mount root', (t) => {
  const plan = planCgroups(line(40, '/', '/sys/fs/cgroup', 'cgroup2', 'rw'), '0::/\n');
  t.deepEqual(plan.v2, { mountPoint: '/sys/fs/cgroup', ownDir: '/sys/fs/cgroup' });
});

test.serial('container sharing the host cgroup namespace: the mount root is stripped from our path', (t) => {
  const plan = planCgroups(line(40, '/docker/abc', '/sys/fs/cgroup', 'cgroup2', 'rw'), '0::/docker/abc/build\n');
  t.is(plan.v2?.ownDir, '/sys/fs/cgroup/build');
});

test.serial('hybrid (this CI machine): v1 controllers each under our own cgroup', (t) => {
  const mountinfo = [
    line(32, '/', '/sys/fs/cgroup/cpu,cpuacct', 'cgroup', 'rw,cpu,cpuacct'),
    line(35, '/', '/sys/fs/cgroup/memory', 'cgroup', 'rw,memory'),
    line(36, '/', '/sys/fs/cgroup/devices', 'cgroup', 'rw,devices'),
    line(39, '/', '/sys/fs/cgroup/pids', 'cgroup', 'rw,pids'),
    line(41, '/', '/sys/fs/cgroup/unified', 'cgroup2', 'rw'),
  ].join('\n');
  const procCgroup = ['8:pids:/', '5:devices:/', '4:memory:/process_api/x', '1:cpu,cpuacct:/', '0::/'].join('\n');
  const plan = planCgroups(mountinfo, procCgroup);
  t.deepEqual(plan.v2, { mountPoint: '/sys/fs/cgroup/unified', ownDir: '/sys/fs/cgroup/unified' });
  t.deepEqual(
    plan.v1.map((h) => [h.controllers[0], h.dir]),
    [
      ['memory', '/sys/fs/cgroup/memory/process_api/x/tsbuild'],
      ['pids', '/sys/fs/cgroup/pids/tsbuild'],
      ['cpu', '/sys/fs/cgroup/cpu,cpuacct/tsbuild'],
      ['devices', '/sys/fs/cgroup/devices/tsbuild'],
    ],
  );
});
