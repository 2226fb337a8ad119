// RT-04 and RT-05 (SECURITY.md §4) through real builds: what a RUN step can see and do. The runner
// checks these on its own (packages/runner/test); here the builder's wiring of it is checked too.
import test from 'ava';
import { readlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { BASE, buildText, canMakeBase, corePattern, filesContaining, isRoot, sandbox, sentinel } from './helpers.js';

const serial = canMakeBase && isRoot ? test.serial : test.skip;

/** Docker's default capability set (SECURITY.md §1.3). */
const DOCKER_CAPS = 0xa80425fbn;

const PROBE = [
  'for ns in pid mnt uts ipc net; do readlink /proc/self/ns/$ns; done > /tmp/ns',
  'ps -o pid,comm > /tmp/ps',
  'grep CapEff /proc/self/status > /tmp/cap',
  'ls /sys/class/net > /tmp/net',
  // busybox wget crashes in this static build; nc speaks enough HTTP for the server to log a hit.
  '(printf "GET /from-step HTTP/1.0\\r\\n\\r\\n" | nc -w 3 127.0.0.1 PORT > /tmp/wget 2>&1; echo $? > /tmp/wget-rc)',
].join('; ');

const ATTEMPTS: Record<string, string> = {
  mount: 'mount -t tmpfs none /mnt',
  unshare: 'unshare -m true',
  sysrq: 'echo h > /proc/sysrq-trigger',
  core: "echo '|/tmp/evil' > /proc/sys/kernel/core_pattern",
  kcore: 'head -c1 /proc/kcore | wc -c | grep -qx 1',
  uevent: 'echo /tmp/evil > /sys/kernel/uevent_helper',
  blockdev: 'mknod /tmp/b b 8 0 && head -c1 /tmp/b > /dev/null',
  chroot: 'mkdir -p /tmp/c && chroot /tmp/c /bin/true',
};

async function withServer(use: (port: number, hits: string[]) => Promise<void>): Promise<void> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    res.end('host-server\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await use((server.address() as AddressInfo).port, hits);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

function hostNs(): string[] {
  return ['pid', 'mnt', 'uts', 'ipc', 'net'].map((n) => readlinkSync(`/proc/self/ns/${n}`));
}

serial('RT-05: --network none: own namespaces, only our processes, only lo, no way to a host server', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  await withServer(async (port, hits) => {
    for (const how of [['--network', 'none'], []] as const) {
      const out = path.join(sb.dir, `out-${how.length}`);
      const run = how.length > 0 ? 'RUN' : 'RUN --network=none';
      const r = await buildText(sb, `FROM ${BASE}\n${run} ${PROBE.replace('PORT', String(port))}\n`, [...how, '-o', `type=local,dest=${out}`]);
      t.is(r.code, 0, r.stderr);
      const ns = (await readFile(path.join(out, 'tmp/ns'), 'utf8')).trim().split('\n');
      const host = hostNs();
      ns.forEach((v, i) => t.not(v, host[i], `${v} is the host's`));
      const ps = (await readFile(path.join(out, 'tmp/ps'), 'utf8')).trim().split('\n').slice(1);
      t.true(ps.length <= 4, ps.join('\n'));
      t.is(ps[0]?.trim().split(/\s+/)[0], '1');
      t.deepEqual((await readFile(path.join(out, 'tmp/net'), 'utf8')).trim().split(/\s+/), ['lo']);
      t.not((await readFile(path.join(out, 'tmp/wget-rc'), 'utf8')).trim(), '0');
    }
    t.deepEqual(hits, [], 'the host server saw no request');
  });
});

serial('RT-05: the default (host) network is the host namespace: documented, and what it reaches', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  await withServer(async (port, hits) => {
    const out = path.join(sb.dir, 'out');
    const r = await buildText(sb, `FROM ${BASE}\nRUN ${PROBE.replace('PORT', String(port))}\n`, ['-o', `type=local,dest=${out}`]);
    t.is(r.code, 0, r.stderr);
    const ns = (await readFile(path.join(out, 'tmp/ns'), 'utf8')).trim().split('\n');
    const host = hostNs();
    // pid, mnt, uts and ipc are the step's own; net is the host's, as --help documents.
    for (let i = 0; i < 4; i++) t.not(ns[i], host[i]);
    t.is(ns[4], host[4]);
    t.deepEqual(hits, ['/from-step']);
  });
});

serial('RT-04: a RUN step has at most Docker\'s capabilities and every privileged attempt fails', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const core = corePattern();
  const out = path.join(sb.dir, 'out');
  const lines = Object.entries(ATTEMPTS).map(([name, cmd]) => `(${cmd}) > /dev/null 2>&1; echo ${name}=$? >> /tmp/attempts`);
  const r = await buildText(sb, `FROM ${BASE}\nRUN grep CapEff /proc/self/status > /tmp/cap; ${lines.join('; ')}\n`, ['-o', `type=local,dest=${out}`]);
  t.is(r.code, 0, r.stderr);
  const cap = BigInt(`0x${(await readFile(path.join(out, 'tmp/cap'), 'utf8')).trim().split(/\s+/)[1]}`);
  t.is(cap & ~DOCKER_CAPS, 0n, `CapEff ${cap.toString(16)} has more than Docker's set`);
  const results = Object.fromEntries(
    (await readFile(path.join(out, 'tmp/attempts'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => l.split('=') as [string, string]),
  );
  for (const name of Object.keys(ATTEMPTS)) {
    // chroot stays in Docker's set (SYS_CHROOT); pivot_root and the detached old root make it harmless.
    if (name === 'chroot') continue;
    t.not(results[name], '0', `${name} succeeded`);
  }
  t.is(corePattern(), core);
});

const ESCAPE_C = `#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
/* The classic chroot escape: chroot into a subdir, climb out with .., chroot to what is reached. */
int main(int argc, char **argv) {
  mkdir("/tmp/esc", 0755);
  if (chroot("/tmp/esc") != 0) { perror("chroot"); return 2; }
  for (int i = 0; i < 64; i++) chdir("..");
  if (chroot(".") != 0) { perror("chroot ."); return 3; }
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) { perror(argv[i]); continue; }
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) write(1, buf, n);
  }
  return 0;
}
`;

serial('RT-04: a static chroot-escape binary and the cgroup v1 release_agent trick never reach the host', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const S = await sentinel(sb.dir);
  await writeFile(path.join(sb.dir, 'escape.c'), ESCAPE_C);
  const cc = spawnSync('cc', ['-static', '-O2', '-o', path.join(sb.ctx, 'escape'), path.join(sb.dir, 'escape.c')], { encoding: 'utf8' });
  if (cc.status !== 0) {
    t.fail(`cc -static failed (a C toolchain with a static libc is needed): ${cc.stderr}`);
    return;
  }
  const out = path.join(sb.dir, 'out');
  const r = await buildText(
    sb,
    `FROM ${BASE}\nCOPY escape /escape\n` +
      `RUN /escape ${S.dir}/marker /proc/1/root${S.dir}/marker > /tmp/escape-out 2>&1; echo $? > /tmp/escape-rc\n` +
      `RUN (unshare -Urm sh -c 'mount -t cgroup -o rdma cgroup /mnt && echo /tmp/x > /mnt/release_agent') > /dev/null 2>&1; echo $? > /tmp/release-agent-rc\n`,
    ['-o', `type=local,dest=${out}`],
  );
  t.is(r.code, 0, r.stderr);
  t.false(r.stderr.includes(S.marker));
  t.notRegex(await readFile(path.join(out, 'tmp/escape-out'), 'utf8'), /MARKER-/);
  t.not((await readFile(path.join(out, 'tmp/release-agent-rc'), 'utf8')).trim(), '0', 'a cgroup v1 mount with a writable release_agent');
  t.deepEqual(filesContaining(sb.root, S.marker), []);
  t.deepEqual(await S.changes(), []);
});
