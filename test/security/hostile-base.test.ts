// RT-01, RT-03 and RT-06 (SECURITY.md §4) through real builds FROM hostile base images: a base whose
// rootfs plants symlinks where the runner mounts things, a config with traversal and out-of-range
// users, passwd/group files that point at the host or are huge, and WORKDIR /proc/self/fd/N. The
// sentinel dir S (outside every root) and the host core_pattern must never change, and the marker
// in S must never be read into the store.
import test from 'ava';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  BASE,
  busyboxContext,
  buildText,
  canMakeBase,
  cli,
  corePattern,
  filesContaining,
  isRoot,
  sandbox,
  sentinel,
  type CliResult,
  type Sandbox,
  type Sentinel,
} from './helpers.js';
import { loadEditedImage } from './images.js';

const serial = canMakeBase && isRoot ? test.serial : test.skip;

/** Builds the busybox rootfs, changed by `mutate`, as image `name` (FROM scratch + COPY rootfs/ /). */
async function hostileBase(sb: Sandbox, name: string, mutate: (rootfs: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(sb.dir, 'base-'));
  const rootfs = await busyboxContext(dir);
  await mutate(rootfs);
  const r = await cli(sb.root, ['build', '--progress', 'quiet', '-t', name, dir]);
  if (r.code !== 0) throw new Error(`building ${name} failed: ${r.stderr}`);
}

/** Replaces `rel` in the rootfs with a symlink to `target`. */
async function plant(rootfs: string, rel: string, target: string): Promise<void> {
  await rm(path.join(rootfs, rel), { recursive: true, force: true });
  await symlink(target, path.join(rootfs, rel));
}

function clean(r: CliResult): boolean {
  return r.code === 0 || r.code === 1;
}

interface Rt03Case {
  what: string;
  mutate: (rootfs: string, S: Sentinel) => Promise<void>;
  /** The RUN line(s) of the build over the base. */
  run?: string;
  /** What an exported rootfs must show when the build succeeds. */
  check?: (out: string) => Promise<void>;
}

const rt03: Rt03Case[] = [
  { what: 'proc -> S/probe', mutate: (r, S) => plant(r, 'proc', path.join(S.dir, 'probe')) },
  { what: 'proc -> ../../S/probe', mutate: (r, S) => plant(r, 'proc', `../../../../../../..${S.dir}/probe`) },
  { what: 'dev -> S/probe', mutate: (r, S) => plant(r, 'dev', path.join(S.dir, 'probe')) },
  {
    what: 'dev/null -> /proc/sys/kernel/core_pattern',
    mutate: async (r) => {
      await writeFile(path.join(r, 'dev/keep'), '');
      await plant(r, 'dev/null', '/proc/sys/kernel/core_pattern');
    },
    run: 'RUN echo "|/bin/evil" > /dev/null; stat -c %F:%t:%T /dev/null > /tmp/devnull',
    check: async (out) => {
      const t = (await readFile(path.join(out, 'tmp/devnull'), 'utf8')).trim();
      if (t !== 'character special file:1:3') throw new Error(`/dev/null in the step was ${t}`);
    },
  },
  { what: 'etc/resolv.conf -> S/sentinel', mutate: (r, S) => plant(r, 'etc/resolv.conf', path.join(S.dir, 'sentinel')) },
  { what: 'etc/hosts -> ../../../S/sentinel', mutate: (r, S) => plant(r, 'etc/hosts', `../../../../../../..${S.dir}/sentinel`) },
  { what: 'etc/hostname -> S/sentinel', mutate: (r, S) => plant(r, 'etc/hostname', path.join(S.dir, 'sentinel')) },
  { what: 'etc -> S', mutate: (r, S) => plant(r, 'etc', S.dir) },
  {
    what: 'sys as a regular file',
    mutate: async (r) => {
      await rm(path.join(r, 'sys'), { recursive: true, force: true });
      await writeFile(path.join(r, 'sys'), 'not a dir\n');
    },
  },
  {
    what: 'a RUN that swaps /etc for a symlink to S (CVE-2024-23652 stub cleaner)',
    mutate: async () => undefined,
    run: 'RUN rm -rf /etc && ln -s S_DIR /etc\nRUN true',
  },
  {
    what: 'a RUN that swaps /proc for a symlink to S/probe',
    mutate: async () => undefined,
    run: 'RUN umount /proc 2>/dev/null; rm -rf /proc 2>/dev/null; ln -s S_DIR/probe /proc || true\nRUN true',
  },
];

serial('RT-03: rootfs-setup symlinks in the base never make the runner touch the host', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const S = await sentinel(sb.dir);
  const core = corePattern();
  let i = 0;
  for (const c of rt03) {
    const name = `localhost/rt03:${++i}`;
    await hostileBase(sb, name, (r) => c.mutate(r, S));
    const out = path.join(sb.dir, `out${i}`);
    const runLine = (c.run ?? 'RUN cat /etc/hosts /etc/resolv.conf > /dev/null 2>&1; ls /proc/self/ > /dev/null; true').replaceAll('S_DIR', S.dir);
    const r = await buildText(sb, `FROM ${name}\n${runLine}\n`, ['-o', `type=local,dest=${out}`]);
    t.true(clean(r), `${c.what}: exit ${r.code}\n${r.stderr}`);
    if (r.code === 0 && c.check) await t.notThrowsAsync(c.check(out), c.what);
    t.deepEqual(await S.changes(), [], `${c.what}: nothing in S changed, was created or removed`);
    t.is(corePattern(), core, `${c.what}: host core_pattern unchanged`);
  }
  t.deepEqual(filesContaining(sb.root, S.marker), []);
});

serial('RT-03: the same hostile bases under `tsbuild run` leave the host alone too', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const S = await sentinel(sb.dir);
  const core = corePattern();
  let i = 0;
  for (const c of rt03.filter((x) => x.run === undefined || x.what.startsWith('dev/null'))) {
    const name = `localhost/rt03run:${++i}`;
    await hostileBase(sb, name, (r) => c.mutate(r, S));
    const r = await cli(sb.root, ['run', '--rm', name, 'sh', '-c', 'echo "|/bin/evil" > /dev/null; cat /etc/hosts > /dev/null; true']);
    t.true(r.code === 0 || r.code === 1 || r.code === 125 || r.code === 2, `${c.what}: exit ${r.code}\n${r.stderr}`);
    t.deepEqual(await S.changes(), [], c.what);
    t.is(corePattern(), core, c.what);
  }
});

serial('RT-06: hostile image config values are resolved in-root or refused, never mapped to root', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const S = await sentinel(sb.dir);
  const rel = path.relative('/', S.dir);
  const cfg = (c: Record<string, unknown>): Record<string, unknown> => (c.config ?? (c.config = {})) as Record<string, unknown>;

  // WorkingDir and Volumes with traversal: the step runs in-root, and S stays as it was.
  const wd = await loadEditedImage(sb, BASE, 'localhost/rt06:workdir', (c) => {
    cfg(c).WorkingDir = `/../../../../../../../../${rel}/probe`;
    cfg(c).Volumes = { [`/../../../../../../../${rel}/probe`]: {}, '/../../S': {} };
  });
  t.is(wd.code, 0, wd.stderr);
  const out = path.join(sb.dir, 'out-wd');
  const r1 = await buildText(sb, 'FROM localhost/rt06:workdir\nRUN pwd > /tmp/pwd; touch created-here; cat ../../../../../../marker > /tmp/leak 2>/dev/null; true\n', [
    '-o',
    `type=local,dest=${out}`,
  ]);
  t.is(r1.code, 0, r1.stderr);
  t.is((await readFile(path.join(out, 'tmp/pwd'), 'utf8')).trim(), `/${rel}/probe`);
  t.is(await readFile(path.join(out, rel, 'probe/created-here'), 'utf8'), '', 'the working dir is in the rootfs');
  const run1 = await cli(sb.root, ['run', '--rm', 'localhost/rt06:workdir', 'sh', '-c', 'pwd; touch from-run']);
  t.is(run1.code, 0, run1.stderr);
  t.is(run1.stdout.trim(), `/${rel}/probe`);

  // Out-of-range and malformed users: refused (or an unprivileged id), never uid 0.
  for (const user of ['2147483648', '4294967296', '-1', '0:0:0', '4294967295:0', '1000:4294967296', 'nosuchuser']) {
    const tag = `localhost/rt06:user-${user.replaceAll(':', '_').replace('-', 'm')}`;
    const l = await loadEditedImage(sb, BASE, tag, (c) => {
      cfg(c).User = user;
    });
    if (l.code !== 0) {
      t.is(l.code, 1, `${user}: a refused load is a plain failure\n${l.stderr}`);
      continue;
    }
    const uidOut = path.join(sb.dir, `out-u-${user.replaceAll(':', '_')}`);
    const r = await buildText(sb, `FROM ${tag}\nRUN id -u > /tmp/uid; id -g > /tmp/gid\n`, ['-o', `type=local,dest=${uidOut}`]);
    if (r.code === 0) {
      const uid = (await readFile(path.join(uidOut, 'tmp/uid'), 'utf8')).trim();
      const gid = (await readFile(path.join(uidOut, 'tmp/gid'), 'utf8')).trim();
      t.not(uid, '0', `USER ${user} ran as root`);
      // Ids above 2^31-1 are refused (as containerd since CVE-2024-40635 and Docker); an accepted
      // numeric id is used as is, never wrapped or truncated.
      t.true(Number(gid) < 2 ** 32 - 1, `USER ${user} gave ${uid}:${gid}`);
      if (/^\d+$/.test(user)) t.is(uid, user, `USER ${user} gave uid ${uid}`);
    } else {
      t.is(r.code, 1, `USER ${user}: exit ${r.code}\n${r.stderr}`);
    }
    const run = await cli(sb.root, ['run', '--rm', tag, 'id', '-u']);
    t.not(run.stdout.trim(), '0', `run as USER ${user} printed uid 0`);
  }
  t.deepEqual(await S.changes(), []);
  t.deepEqual(filesContaining(sb.root, S.marker), []);
});

serial('RT-06: /etc/passwd and /etc/group pointing at the host are read in-root; a huge /etc/group is capped', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const S = await sentinel(sb.dir);
  // A host-side passwd that would give "app" uid 4242 if it were ever read.
  const hostPasswd = path.join(sb.dir, 'host-passwd');
  await writeFile(hostPasswd, 'root:x:0:0::/root:/bin/sh\napp:x:4242:4242::/:/bin/sh\n');
  await hostileBase(sb, 'localhost/rt06:passwd', async (r) => {
    await plant(r, 'etc/passwd', hostPasswd);
    await plant(r, 'etc/group', path.join(S.dir, 'sentinel'));
  });
  const out = path.join(sb.dir, 'out-pw');
  const pw = await buildText(sb, 'FROM localhost/rt06:passwd\nUSER app\nRUN id -u > /tmp/uid\n', ['-o', `type=local,dest=${out}`]);
  if (pw.code === 0) {
    const uid = (await readFile(path.join(out, 'tmp/uid'), 'utf8')).trim();
    t.not(uid, '4242', 'the host passwd was read');
    t.not(uid, '0');
  } else {
    t.is(pw.code, 1, pw.stderr);
  }
  const cp = await buildText(sb, `FROM localhost/rt06:passwd\nCOPY --chown=app:app ${'.'} /x/\n`);
  t.true(clean(cp), cp.stderr);

  // 16 MiB /etc/group: four times the runner's cap; the build refuses it quickly or ignores it.
  await hostileBase(sb, 'localhost/rt06:group', async (r) => {
    const line = 'g:x:1234:' + 'u,'.repeat(60) + 'u\n';
    await writeFile(path.join(r, 'etc/group'), `root:x:0:\napp:x:1000:\n${line.repeat(Math.ceil((16 << 20) / line.length))}`);
  });
  const t0 = Date.now();
  const big = await buildText(sb, 'FROM localhost/rt06:group\nUSER app\nRUN id\n');
  t.true(clean(big), big.stderr);
  t.true(Date.now() - t0 < 60_000);
  t.deepEqual(await S.changes(), []);
});

serial('RT-01: WORKDIR /proc/self/fd/N for N = 3..64 never reaches the host; steps see only fds 0-2', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const S = await sentinel(sb.dir);
  const rel = path.relative('/', S.dir);
  const out = path.join(sb.dir, 'fds');
  const fds = await buildText(sb, `FROM ${BASE}\nRUN ls /proc/self/fd > /tmp/self; ls -l /proc/1/fd > /tmp/init 2>&1; true\n`, ['-o', `type=local,dest=${out}`]);
  t.is(fds.code, 0, fds.stderr);
  // ls holds one more fd of its own for the directory it reads.
  t.deepEqual((await readFile(path.join(out, 'tmp/self'), 'utf8')).trim().split(/\s+/), ['0', '1', '2', '3']);
  // Whatever pid 1 (our init) holds is not readable by the step.
  t.notRegex(await readFile(path.join(out, 'tmp/init'), 'utf8'), / -> \/(?!dev\/null)/);
  for (let n = 3; n <= 64; n++) {
    const r = await buildText(
      sb,
      `FROM ${BASE}\nWORKDIR /proc/self/fd/${n}\nRUN cat ../../../../../../../../${rel}/marker /proc/self/cwd/../../../../../${rel}/marker > /tmp/leak 2>&1; ls -l /proc/self/cwd >> /tmp/leak; true\n`,
    );
    t.true(clean(r), `WORKDIR /proc/self/fd/${n}: exit ${r.code}\n${r.stderr}`);
    t.false(r.stderr.includes(S.marker) || r.stdout.includes(S.marker), `N=${n}: the marker reached the output`);
  }
  t.deepEqual(filesContaining(sb.root, S.marker), [], 'the marker is in no file of the store');
  t.deepEqual(await S.changes(), []);
});
