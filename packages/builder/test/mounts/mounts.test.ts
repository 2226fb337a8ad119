// RUN --mount translation on real dirs (a plain rootfs dir as both rootView and upper dir): targets
// resolved in-root, stubs removed exactly (CVE-2024-23652), cache dirs persistent and locked, secrets
// never left behind, bind sources confined to their root (CVE-2024-1753), cache ids confined (CVE-2024-9675).
import test from 'ava';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { makeSandbox, snapshot, writeTree, type Sandbox } from '../copy/helpers.js';
import { compileExclusions } from '../../src/copy/index.js';
import type { RunMount } from '../../src/instructions/types.js';
import { cacheDirOf, prepareRunMounts, removeTargetStubs, type MountEnv } from '../../src/mounts/index.js';

function envOf(sb: Sandbox, extra: Partial<MountEnv> = {}): MountEnv {
  for (const d of ['cache', 'scratch', 'stage']) mkdirSync(`${sb.dir}/${d}`, { recursive: true });
  return {
    rootView: sb.root,
    workdir: '/',
    contextDir: sb.ctx,
    rootOf: async () => `${sb.dir}/stage`,
    cacheDir: `${sb.dir}/cache`,
    scratchDir: `${sb.dir}/scratch`,
    secrets: [],
    env: {},
    ...extra,
  };
}

const cache = (target: string, more: Partial<RunMount> = {}): RunMount => ({ type: 'cache', target, id: target, readOnly: false, sharing: 'shared', ...more });

test('missing targets are created for the run and removed exactly afterwards', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.root, { 'root/.profile': 'p' });
  const before = snapshot(sb.root);
  const p = await prepareRunMounts([cache('/root/.cache/pip'), { type: 'tmpfs', target: 'scratch', readOnly: false }], envOf(sb, { workdir: '/work' }));
  t.deepEqual(p.mounts.map((m) => m.target), ['/root/.cache/pip', '/work/scratch']);
  t.true(lstatSync(`${sb.root}/root/.cache/pip`).isDirectory());
  t.deepEqual(await p.release(), []);
  t.deepEqual(snapshot(sb.root), before, 'no stub left');
  t.deepEqual(await p.release(), [], 'release twice is harmless');
});

test('targets resolve through image symlinks in-root', async (t) => {
  const sb = makeSandbox(t);
  mkdirSync(`${sb.root}/data`);
  symlinkSync('/data', `${sb.root}/app`);
  symlinkSync(sb.outside, `${sb.root}/host`);
  const p = await prepareRunMounts([cache('/app/cache'), cache('/host/x')], envOf(sb));
  t.deepEqual(p.mounts.map((m) => m.target), ['/data/cache', `${sb.outside}/x`]);
  t.false(existsSync(`${sb.outside}/x`), 'created inside the rootfs, not on the host');
  t.true(existsSync(`${sb.root}${sb.outside}/x`));
  await p.release();
  t.false(existsSync(`${sb.root}/data/cache`));
});

test('CVE-2024-23652: a stub parent replaced by a symlink to the host is never followed at cleanup', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.root, { 'etc/passwd': 'root' });
  const p = await prepareRunMounts([{ type: 'tmpfs', target: '/etc/stubdir', readOnly: false }, cache('/etc/cachedir')], envOf(sb));
  // The step: rm -rf /etc && ln -s <S> /etc, with same-named empty sentinels in S.
  mkdirSync(`${sb.outside}/stubdir`);
  mkdirSync(`${sb.outside}/cachedir`);
  rmSync(`${sb.root}/etc`, { recursive: true });
  symlinkSync(sb.outside, `${sb.root}/etc`);
  const kept = await p.release();
  t.true(existsSync(`${sb.outside}/stubdir`));
  t.true(existsSync(`${sb.outside}/cachedir`));
  t.is(kept.length, 2);
});

test('a stub the step filled is kept, not force-removed', async (t) => {
  const sb = makeSandbox(t);
  const p = await prepareRunMounts([{ type: 'tmpfs', target: '/t', readOnly: false }], envOf(sb));
  writeFileSync(`${sb.root}/t/written-under-the-mount-point`, 'x');
  t.deepEqual(await p.release(), [{ rel: 't', kind: 'dir' }]);
  t.true(existsSync(`${sb.root}/t/written-under-the-mount-point`));
});

test('cache mounts persist across steps, keyed by id, created with uid/gid/mode', async (t) => {
  const sb = makeSandbox(t);
  const env = envOf(sb);
  const m = cache('/var/cache/apt', { id: 'apt', uid: 100, gid: 101, mode: 0o770 });
  const p1 = await prepareRunMounts([m], env);
  const dir = p1.mounts[0].type === 'bind' ? p1.mounts[0].source : '';
  t.is(dir, cacheDirOf(env.cacheDir, 'apt'));
  const st = lstatSync(dir);
  t.is(`${st.uid}:${st.gid}:${(st.mode & 0o7777).toString(8)}`, '100:101:770');
  writeFileSync(`${dir}/pkg.deb`, 'deb');
  await p1.release();
  const p2 = await prepareRunMounts([m], env);
  t.is(p2.mounts[0].type === 'bind' ? readFileSync(`${p2.mounts[0].source}/pkg.deb`, 'utf8') : '', 'deb');
  await p2.release();
  t.false(JSON.stringify(snapshot(sb.root)).includes('deb'), 'never in the rootfs');
});

test('CVE-2024-9675: cache ids cannot name paths outside the cache dir', async (t) => {
  const sb = makeSandbox(t);
  const env = envOf(sb);
  const p = await prepareRunMounts([cache('/c', { id: '../../S' }), cache('/d', { id: '/' })], env);
  for (const m of p.mounts) t.is(m.type === 'bind' ? m.source.startsWith(`${env.cacheDir}/`) : false, true);
  t.deepEqual(readdirSync(sb.outside), ['sentinel']);
  await p.release();
});

test('sharing=locked serializes users; sharing=private gives a busy cache a fresh dir', async (t) => {
  const sb = makeSandbox(t);
  const env = envOf(sb);
  const locked = cache('/l', { id: 'L', sharing: 'locked' });
  const a = await prepareRunMounts([locked], env);
  let bGot = false;
  const b = prepareRunMounts([locked], env).then((p) => {
    bGot = true;
    return p;
  });
  await new Promise((r) => setTimeout(r, 100));
  t.false(bGot, 'second locked user waits');
  await a.release();
  await (await b).release();
  t.true(bGot);

  const priv = cache('/p', { id: 'P', sharing: 'private' });
  const p1 = await prepareRunMounts([priv], env);
  const p2 = await prepareRunMounts([priv], env);
  const src = (p: typeof p1): string => (p.mounts[0].type === 'bind' ? p.mounts[0].source : '');
  t.is(src(p1), cacheDirOf(env.cacheDir, 'P'));
  t.not(src(p2), src(p1));
  await p2.release();
  t.false(existsSync(src(p2)), 'the throwaway private dir is removed');
  await p1.release();
});

test('secrets: a 0400 file bound read-only at /run/secrets/<id>, gone after release; env= exported', async (t) => {
  const sb = makeSandbox(t);
  writeFileSync(`${sb.dir}/token`, 'TOP-SECRET-BYTES');
  const env = envOf(sb, { secrets: [{ id: 'tok', src: `${sb.dir}/token` }, { id: 'api', env: 'API_KEY' }], env: { API_KEY: 'K-123' } });
  const p = await prepareRunMounts(
    [
      { type: 'secret', id: 'tok', target: '/run/secrets/tok', readOnly: true },
      { type: 'secret', id: 'api', env: 'API', readOnly: true },
      { type: 'secret', id: 'absent', target: '/run/secrets/absent', readOnly: true },
    ],
    env,
  );
  t.is(p.mounts.length, 1);
  const m = p.mounts[0];
  t.is(m.type === 'bind' && m.readonly, true);
  const file = m.type === 'bind' ? m.source : '';
  t.is(lstatSync(file).mode & 0o777, 0o400);
  t.deepEqual(p.env, ['API=K-123']);
  t.false(JSON.stringify(p.keyInputs).includes('TOP-SECRET') || JSON.stringify(p.keyInputs).includes('K-123'));
  await p.release();
  t.false(existsSync(file));
  t.deepEqual(snapshot(sb.root), {}, 'no /run/secrets stub left in the upper dir');
  await t.throwsAsync(prepareRunMounts([{ type: 'secret', id: 'absent', target: '/s', readOnly: true, required: true }], env), { code: 'RUN_SECRET_MISSING' });
});

test('bind mounts: ro binds the source itself; rw gets a throwaway copy', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'src/a': 'A' });
  const p = await prepareRunMounts(
    [
      { type: 'bind', source: 'src', target: '/ro', readOnly: true },
      { type: 'bind', source: 'src', target: '/rw', readOnly: false },
    ],
    envOf(sb),
  );
  const [ro, rw] = p.mounts.map((m) => (m.type === 'bind' ? m : undefined));
  t.is(ro?.source, `${sb.ctx}/src`);
  t.is(ro?.readonly, true);
  t.not(rw?.source, `${sb.ctx}/src`);
  writeFileSync(`${rw?.source}/a`, 'changed');
  await p.release();
  t.is(readFileSync(`${sb.ctx}/src/a`, 'utf8'), 'A');
  t.false(existsSync(rw?.source as string));
});

test('CVE-2024-1753: a bind source symlinked to / binds the stage root, not the host root', async (t) => {
  const sb = makeSandbox(t);
  const env = envOf(sb);
  writeTree(`${sb.dir}/stage`, { 'etc/os-release': 'stage' });
  symlinkSync('/', `${sb.dir}/stage/link`);
  const p = await prepareRunMounts([{ type: 'bind', from: 'dummy', source: 'link', target: '/mnt', readOnly: true }], env);
  t.is(p.mounts[0].type === 'bind' ? p.mounts[0].source : '', `${sb.dir}/stage`);
  await p.release();
  await t.throwsAsync(
    prepareRunMounts([{ type: 'bind', source: `${sb.outside}/sentinel`, target: '/x', readOnly: true }], env),
    { code: 'RUN_MOUNT_SOURCE_NOT_FOUND' },
  );
});

test('context bind mounts hide what .dockerignore excludes', async (t) => {
  const sb = makeSandbox(t);
  writeTree(sb.ctx, { 'app/main.js': 'm', 'app/.env': 'SECRET' });
  const p = await prepareRunMounts([{ type: 'bind', target: '/src', readOnly: true }], envOf(sb, { contextIgnore: compileExclusions(['**/.env']) }));
  const src = p.mounts[0].type === 'bind' ? p.mounts[0].source : '';
  t.not(src, sb.ctx);
  t.true(existsSync(`${src}/app/main.js`));
  t.false(existsSync(`${src}/app/.env`));
  await p.release();
});

test('ssh mounts are refused clearly; mismatched target types are errors', async (t) => {
  const sb = makeSandbox(t);
  await t.throwsAsync(prepareRunMounts([{ type: 'ssh', target: '/run/ssh', id: 'default', readOnly: true }], envOf(sb)), { code: 'RUN_MOUNT_SSH_UNSUPPORTED' });
  writeTree(sb.root, { 'file': 'x' });
  await t.throwsAsync(prepareRunMounts([cache('/file')], envOf(sb)), { code: 'RUN_MOUNT_TARGET' });
});

test('CVE-2024-23652: removeTargetStubs (runtime stubs) never follows a parent the step swapped for a symlink', async (t) => {
  const sb = makeSandbox(t);
  const lower = `${sb.dir}/lower`;
  const upper = sb.root;
  writeTree(lower, { 'bin/sh': '' });
  // The runtime made /etc/resolv.conf and /etc/hosts stubs; the step then did rm -rf /etc && ln -s S /etc.
  writeFileSync(`${sb.outside}/resolv.conf`, '');
  writeFileSync(`${sb.outside}/hosts`, '');
  symlinkSync(sb.outside, `${upper}/etc`);
  // A genuine stub elsewhere, and one that the lower layer has (never removed).
  writeTree(upper, { 'mnt/cache/.keep-dir-only': '' });
  rmSync(`${upper}/mnt/cache/.keep-dir-only`);
  writeTree(upper, { 'bin/sh': '' });
  const kept = removeTargetStubs(upper, [lower], ['/etc/resolv.conf', '/etc/hosts', '/mnt/cache', '/bin/sh']);
  t.true(existsSync(`${sb.outside}/resolv.conf`));
  t.true(existsSync(`${sb.outside}/hosts`));
  t.deepEqual(kept, ['/etc/resolv.conf', '/etc/hosts']);
  t.false(existsSync(`${upper}/mnt`), 'a real stub and its empty parent are removed');
  t.true(existsSync(`${upper}/bin/sh`), 'what a lower layer has is not a stub');
});
