// CTX-01/02/03/05 (SECURITY.md §4) through real builds: a hostile context or Dockerfile never gets
// host bytes into the store, and never writes outside the rootfs. The proof is a byte search of
// every file the store holds (blobs decompressed, cache records, logs, snapshots) for a random marker
// that only exists in the sentinel dir S outside the context.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  BASE,
  busyboxContext,
  buildText,
  canMakeBase,
  cli,
  filesContaining,
  isRoot,
  plainSteps,
  sandbox,
  sentinel,
  writeTree,
  type CliResult,
} from './helpers.js';

const serial = canMakeBase && isRoot ? test.serial : test.skip;

/** A build that refused or succeeded, but did not crash, hang or call it a bug. */
function endedCleanly(r: CliResult): boolean {
  return r.code === 0 || r.code === 1 || r.code === 2;
}

serial('CTX-01: context symlinks out of the context never bring host bytes into any layer', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const S = await sentinel(sb.dir);
  await writeTree(sb.ctx, { 'real.txt': 'real\n' });
  await symlink(path.join(S.dir, 'marker'), path.join(sb.ctx, 'link'));
  await symlink('../S', path.join(sb.ctx, 'dirlink'));
  await symlink('../../', path.join(sb.ctx, 'up'));
  await symlink('/', path.join(sb.ctx, 'abs'));
  await symlink('b', path.join(sb.ctx, 'a'));
  await symlink('a', path.join(sb.ctx, 'b'));
  const rel = path.relative('/', S.dir);
  const cases = [
    'COPY link /got',
    'COPY dirlink/ /d/',
    'COPY dirlink/marker /m',
    `COPY up/${path.basename(sb.dir)}/S/marker /m`,
    `COPY abs/${rel}/marker /m`,
    'COPY . /all/',
    'COPY * /star/',
    'ADD link /got',
    'ADD dirlink/ /d/',
    `RUN --mount=type=bind,source=dirlink,target=/mnt/x cat /mnt/x/marker > /leak1 || true`,
    `RUN --mount=type=bind,source=link,target=/mnt/y cat /mnt/y > /leak2 || true`,
    `RUN --mount=type=bind,target=/mnt/c cat /mnt/c/link /mnt/c/dirlink/marker /mnt/c/abs/${rel}/marker > /leak3 || true`,
  ];
  for (const line of cases) {
    const r = await buildText(sb, `FROM ${BASE}\n${line}\n`);
    t.true(endedCleanly(r), `${line}: exit ${r.code}\n${r.stderr}`);
  }
  const loop = await buildText(sb, `FROM ${BASE}\nCOPY a /loop\n`, [], { timeoutMs: 30_000 });
  t.not(loop.code, 0, 'a symlink loop is an error');
  t.true(endedCleanly(loop), `loop: exit ${loop.code}`);
  t.deepEqual(filesContaining(sb.root, S.marker), [], 'the marker is in no file of the store');
  t.deepEqual(await S.changes(), []);
});

serial('CTX-02: traversal in sources is clamped to the context or a stage root', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const S = await sentinel(sb.dir);
  await writeTree(sb.ctx, { 'f.txt': 'f\n' });
  const rel = path.relative('/', S.dir);
  const cases = [
    'COPY ../S/marker /m',
    `COPY ${S.dir}/marker /m`,
    `COPY ../../../../../../${rel}/marker /m`,
    'ARG P=sub\nADD ${P}/../../S/marker /m',
    `COPY --from=${BASE} ../../../../${rel}/marker /m`,
    `FROM ${BASE} AS other\nFROM ${BASE}\nCOPY --from=other /../../../${rel}/marker /m`,
    'COPY --parents ../S/marker /m/',
    `RUN --mount=type=bind,source=../S,target=/mnt/x cat /mnt/x/marker > /leak || true`,
    `RUN --mount=type=bind,source=${S.dir},target=/mnt/x cat /mnt/x/marker > /leak || true`,
  ];
  for (const line of cases) {
    const r = await buildText(sb, `FROM ${BASE}\n${line}\n`);
    t.true(endedCleanly(r), `${line}: exit ${r.code}\n${r.stderr}`);
  }
  t.deepEqual(filesContaining(sb.root, S.marker), [], 'the marker is in no file of the store');
  t.deepEqual(await S.changes(), []);
});

serial('CTX-03: COPY and ADD destinations through image symlinks land in the rootfs, never on the host', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const S = await sentinel(sb.dir);
  // The base: busybox plus /app -> /etc, /var/run -> /run and /out -> S/probe (an absolute host path).
  const baseCtx = path.join(sb.dir, 'base');
  const rootfs = await busyboxContext(baseCtx);
  await symlink('/etc', path.join(rootfs, 'app'));
  await mkdir(path.join(rootfs, 'var'), { recursive: true });
  await symlink('/run', path.join(rootfs, 'var/run'));
  await symlink(path.join(S.dir, 'probe'), path.join(rootfs, 'out'));
  await symlink('../../../../../../../..' + S.dir, path.join(rootfs, 'up'));
  const base = await cli(sb.root, ['build', '--progress', 'quiet', '-t', 'localhost/ctx03:base', baseCtx]);
  t.is(base.code, 0, base.stderr);

  const name = `ctx03-${path.basename(sb.dir)}`;
  // Distinct contents per COPY: two equal layers in one image hit another bug (layers.test.ts).
  await writeTree(sb.ctx, { [name]: 'copied\n', two: 'two\n', three: 'three\n' });
  spawnSync('mkdir', ['-p', path.join(sb.dir, 'tarsrc/var/run')]);
  await writeFile(path.join(sb.dir, 'tarsrc/var/run', name), 'from-tar\n');
  // Only the file entry, so its parents are the image's (BuildKit testDockerfileAddArchiveThroughAbsoluteSymlink).
  const tar = spawnSync('tar', ['-C', path.join(sb.dir, 'tarsrc'), '--owner=0', '--group=0', '-cf', path.join(sb.ctx, 't.tar'), `var/run/${name}`]);
  t.is(tar.status, 0);
  const out = path.join(sb.dir, 'out');
  const r = await buildText(
    sb,
    `FROM localhost/ctx03:base\nCOPY ${name} /app/\nADD t.tar /\nCOPY ${name} /out/\nCOPY two /up/probe/\nCOPY --chmod=0777 three /out/x/\n`,
    ['-o', `type=local,dest=${out}`],
  );
  t.is(r.code, 0, r.stderr);
  t.is(await readFile(path.join(out, 'etc', name), 'utf8'), 'copied\n');
  t.is(await readFile(path.join(out, 'run', name), 'utf8'), 'from-tar\n');
  const inRoot = path.join(out, S.dir.slice(1), 'probe');
  t.is(await readFile(path.join(inRoot, name), 'utf8'), 'copied\n', 'an absolute link target is followed inside the rootfs');
  t.is(await readFile(path.join(inRoot, 'two'), 'utf8'), 'two\n', 'a ../../ link target is clamped at the rootfs');
  t.is(await readFile(path.join(inRoot, 'x/three'), 'utf8'), 'three\n');
  t.false(existsSync(path.join('/etc', name)));
  t.false(existsSync(path.join('/run', name)));
  t.deepEqual(await S.changes(), [], 'S/probe stays empty');
});

serial('CTX-05: .dockerignore keeps files out of every layer and out of the cache key; bad ignore files fail closed', async (t) => {
  const sb = await sandbox();
  t.teardown(sb.cleanup);
  const S = await sentinel(sb.dir);
  await writeTree(sb.ctx, {
    'app.txt': 'app\n',
    '.env': `TOKEN=${S.marker}\n`,
    'sub/secret.key': `${S.marker}\n`,
    'sub/keep.key': 'keep\n',
    'logs/debug.log': `${S.marker}\n`,
    '.dockerignore': '.env\n**/*.key\n!sub/keep.key\n/logs\n',
  });
  const df = `FROM ${BASE}\nCOPY . /app/\nRUN --mount=type=bind,target=/c cat /c/.env /c/sub/secret.key > /leak 2>&1 || true\nRUN ls -a /app /app/sub > /listing\n`;
  const first = await buildText(sb, df, ['-t', 'localhost/ctx05:1']);
  t.is(first.code, 0, first.stderr);
  t.deepEqual(filesContaining(sb.root, S.marker), [], 'ignored bytes are in no file of the store');
  // Changing ignored files changes no key: every step is a hit.
  await writeFile(path.join(sb.ctx, '.env'), 'TOKEN=other\n');
  await writeFile(path.join(sb.ctx, 'sub/secret.key'), 'other\n');
  const second = await buildText(sb, df, ['-t', 'localhost/ctx05:2']);
  t.is(second.code, 0, second.stderr);
  const steps = plainSteps(second.stderr);
  t.true(steps.length >= 3);
  t.true(steps.every((s) => s.cached), JSON.stringify(steps));
  // The re-included file is there.
  const out = path.join(sb.dir, 'out');
  const third = await buildText(sb, df, ['-o', `type=local,dest=${out}`]);
  t.is(third.code, 0, third.stderr);
  t.deepEqual((await readdir(path.join(out, 'app/sub'))).sort(), ['keep.key']);
  t.false(existsSync(path.join(out, 'app/.env')));
  t.false(existsSync(path.join(out, 'app/logs')));

  // Fail closed: an ignore file symlinked out of the context, unreadable-as-a-dir, or a lone "!".
  const bad: Array<[string, () => Promise<void>]> = [
    ['symlink out', async () => symlink(path.join(S.dir, 'sentinel'), path.join(sb.ctx, '.dockerignore'))],
    ['directory', async () => mkdir(path.join(sb.ctx, '.dockerignore'))],
    ['lone !', async () => writeFile(path.join(sb.ctx, '.dockerignore'), '.env\n!\n')],
  ];
  for (const [what, make] of bad) {
    spawnSync('rm', ['-rf', path.join(sb.ctx, '.dockerignore')]);
    await make();
    const r = await buildText(sb, `FROM ${BASE}\nCOPY . /app/\n`, [], { timeoutMs: 30_000 });
    t.true(r.code === 1 || r.code === 2, `${what}: exit ${r.code}\n${r.stderr}`);
  }
  t.deepEqual(await S.changes(), []);
});
