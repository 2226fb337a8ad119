// COPY's direct path (writing the step's upper dir without mounting it) against the merged view:
// for each Dockerfile the image built with TSBUILD_COPY_VIA_MERGED=1 must be byte for byte the one
// built without it, and the overlay mounts the build made tell which path each COPY took.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import * as realRunner from '@tsbuild/runner';
import { executeBuild } from '../../src/executor/index.js';
import type { RunnerApi } from '../../src/executor/index.js';
import { createProgress } from '../../src/progress/index.js';
import { env, haveBusybox, type Env } from './helpers.js';

const serial = haveBusybox ? test.serial : test.skip;
const EPOCH = 1_750_000_000;

/** The real runner, counting the overlays mounted through mount sessions (COPY, WORKDIR, name lookups). */
function countingRunner(): RunnerApi & { mounts: number } {
  const r = {
    mounts: 0,
    run: realRunner.run,
    resolveUser: realRunner.resolveUser,
    async openMountSession() {
      const s = await realRunner.openMountSession();
      return {
        mountOverlay: (lowers: string[], upper: string, work: string) => {
          r.mounts++;
          return s.mountOverlay(lowers, upper, work);
        },
        close: () => s.close(),
      };
    },
  };
  return r;
}

const quiet = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

async function buildOnce(e: Env, viaMerged: boolean, epoch: number | undefined): Promise<{ imageId: string; layers: string[]; mounts: number }> {
  const runner = countingRunner();
  const r = await executeBuild({
    contextDir: e.ctx,
    buildArgs: {},
    tags: [],
    labels: {},
    noCache: true,
    pull: false,
    network: 'none',
    secrets: [],
    root: e.root,
    ...(epoch !== undefined ? { sourceDateEpoch: epoch } : {}),
    maxParallelStages: 1,
    outputs: [],
    env: viaMerged ? { TSBUILD_COPY_VIA_MERGED: '1' } : {},
    stdout: quiet(),
    progress: createProgress('quiet', { err: quiet(), out: quiet(), env: {} }),
    runner,
    registry: false,
  });
  return { imageId: r.imageId, layers: r.image.layers.map((l) => listing(e.root, l.blob.digest)), mounts: runner.mounts };
}

/** `tar -tvv` of a layer blob, times at or after the test's start shown as NOW (builds without an epoch). */
function listing(root: string, digest: string): string {
  const text = execFileSync('tar', ['--full-time', '-tvvf', path.join(root, 'blobs/sha256', digest.slice(7))]).toString();
  return text.replace(/(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)/g, (t) => (Date.parse(`${t.replace(' ', 'T')}Z`) >= STARTED ? 'NOW' : t));
}
const STARTED = Math.floor(Date.now() / 1000) * 1000 - 1000;

interface Case {
  name: string;
  dockerfile: string;
  files?: Record<string, string>;
  setup?: (ctx: string) => Promise<void>;
  /** Mounts of the build without TSBUILD_COPY_VIA_MERGED (undefined: not checked). */
  directMounts?: number;
  epoch?: number | null;
}

const BASE = 'FROM localhost/busybox:latest\n';
const SRC = { 'src/a.txt': 'a\n', 'src/sub/b.txt': 'b\n', 'src/sub/deeper/c.txt': 'c\n' };
const withLink = async (ctx: string): Promise<void> => symlink('a.txt', path.join(ctx, 'src/link'));

const cases: Case[] = [
  { name: 'a new directory', dockerfile: `${BASE}COPY src/ /app/src/\n`, files: SRC, setup: withLink, directMounts: 0 },
  { name: 'a new directory, no SOURCE_DATE_EPOCH', dockerfile: `${BASE}COPY src/ /app/src/\n`, files: SRC, directMounts: 0, epoch: null },
  {
    name: 'under an existing /usr/local',
    dockerfile: `${BASE}COPY a.txt /usr/local/bin/tool\nCOPY src/ /usr/local/share/app/\n`,
    files: { 'a.txt': 'tool\n', ...SRC },
    directMounts: 0,
  },
  {
    name: 'under an existing /usr/local, no SOURCE_DATE_EPOCH',
    dockerfile: `${BASE}COPY a.txt /usr/local/bin/tool\nCOPY src/ /home/app/new/\n`,
    files: { 'a.txt': 'tool\n', ...SRC },
    directMounts: 0,
    epoch: null,
  },
  {
    name: 'parents made by RUN with their own owner, mode and times',
    dockerfile: `${BASE}RUN mkdir -p /opt/x/y && chown 12:34 /opt/x && chmod 2751 /opt/x && touch -d @1600000000 /opt/x /opt\nCOPY src/ /opt/x/y/z/\n`,
    files: SRC,
    directMounts: 0,
  },
  { name: 'a parent that is a symlink in the image', dockerfile: `${BASE}RUN mkdir /real && ln -s /real /app\nCOPY a.txt /app/sub/\n`, files: { 'a.txt': 'a\n' }, directMounts: 1 },
  { name: 'a destination that exists as a file', dockerfile: `${BASE}RUN echo old > /etc/motd\nCOPY a.txt /etc/motd\n`, files: { 'a.txt': 'new\n' }, directMounts: 1 },
  { name: 'a destination that exists as a directory', dockerfile: `${BASE}COPY src/ /etc/\n`, files: SRC, directMounts: 1 },
  { name: '--chown and --chmod, numeric', dockerfile: `${BASE}COPY --chown=1000:1000 --chmod=640 src/ /data/\n`, files: SRC, directMounts: 0 },
  // the names are looked up in the image's /etc through a view mounted for the lookup alone
  { name: '--chown by name', dockerfile: `${BASE}COPY --chown=app:app src/ /data/\n`, files: SRC, directMounts: 2 },
  { name: '--parents', dockerfile: `${BASE}COPY --parents x/./y/z.txt x/y/w.txt /par/\n`, files: { 'x/y/z.txt': 'z\n', 'x/y/w.txt': 'w\n' }, directMounts: 0 },
  {
    name: "files overwritten over a lower layer's",
    dockerfile: `${BASE}COPY src/ /app/src/\nCOPY src2/ /app/src/\n`,
    files: { ...SRC, 'src2/a.txt': 'A\n', 'src2/sub/b.txt': 'B\n' },
    directMounts: 1,
  },
  { name: 'an opaque parent', dockerfile: `${BASE}RUN mkdir -p /op/a && touch /op/a/f\nRUN rm -rf /op && mkdir /op\nCOPY a.txt /op/new/\n`, files: { 'a.txt': 'a\n' }, directMounts: 0 },
  { name: 'a whiteout on the way', dockerfile: `${BASE}RUN mkdir -p /wh/x\nRUN rm -rf /wh/x\nCOPY a.txt /wh/x/\n`, files: { 'a.txt': 'a\n' }, directMounts: 1 },
  { name: 'ADD of an archive into a new directory', dockerfile: `${BASE}ADD t.tar /unpacked/\n`, setup: archive, directMounts: 0 },
  { name: 'ADD of an archive into an existing directory', dockerfile: `${BASE}ADD t.tar /etc/\n`, setup: archive, directMounts: 1 },
  { name: 'a heredoc', dockerfile: `${BASE}COPY <<EOF /hd/file.txt\nhello\nEOF\n`, directMounts: 0 },
  { name: 'a destination relative to WORKDIR (WORKDIR itself mounts)', dockerfile: `${BASE}WORKDIR /w\nCOPY a.txt rel/\n`, files: { 'a.txt': 'a\n' }, directMounts: 1 },
  { name: 'WORKDIR, then COPY into it while it is empty', dockerfile: `${BASE}WORKDIR /w\nCOPY src/ .\nCOPY a.txt ./\n`, files: { ...SRC, 'a.txt': 'a\n' }, directMounts: 2 },
  {
    name: 'an empty directory made by RUN with its own owner, mode and times',
    dockerfile: `${BASE}RUN mkdir -m 700 /empty /e2 && chown 5:6 /empty && touch -d @1600000000 /empty /e2\nCOPY src/ /empty/\nCOPY a.txt /e2\n`,
    files: { ...SRC, 'a.txt': 'a\n' },
    directMounts: 0,
  },
  {
    name: 'an empty opaque directory',
    dockerfile: `${BASE}RUN mkdir -p /op/a && touch /op/a/f\nRUN rm -rf /op && mkdir /op\nCOPY src/ /op/\n`,
    files: SRC,
    directMounts: 0,
  },
  { name: 'a directory holding only a whiteout', dockerfile: `${BASE}RUN mkdir -p /wd/x\nRUN rmdir /wd/x\nCOPY src/ /wd/\n`, files: SRC, directMounts: 1 },
  { name: 'a destination with ..', dockerfile: `${BASE}COPY a.txt /usr/../newtop/x.txt\n`, files: { 'a.txt': 'a\n' }, directMounts: 0 },
  {
    // the first source writes the symlink p/x/link, the second is written through it: the direct
    // copy gives up and starts over in the merged view
    name: 'a symlink the copy made itself, on the way of a later source',
    dockerfile: `${BASE}COPY --parents x/ x/link/f.txt /p/\n`,
    files: { 'x/real/f.txt': 'f\n' },
    setup: async (ctx) => symlink('real', path.join(ctx, 'x/link')),
    directMounts: 1,
  },
  {
    // the same with an absolute link: the merged view resolves it into the image's /usr/local
    name: 'an absolute symlink the copy made itself, on the way of a later source',
    dockerfile: `${BASE}COPY --parents x/ x/link/f.txt /p/\n`,
    files: { 'usr/local/f.txt': 'f\n', 'x/keep.txt': 'k\n' },
    setup: async (ctx) => symlink('/usr/local', path.join(ctx, 'x/link')),
    directMounts: 1,
  },
  { name: 'FROM scratch', dockerfile: 'FROM scratch\nCOPY src/ /app/\n', files: SRC, directMounts: 0 },
  { name: 'FROM scratch, into /', dockerfile: 'FROM scratch\nCOPY src/ /\nCOPY a.txt /a2.txt\n', files: { ...SRC, 'a.txt': 'a\n' }, directMounts: 0 },
  {
    name: 'COPY --from a stage',
    dockerfile: `FROM localhost/busybox:latest AS b\nRUN mkdir /out && echo hi > /out/f\n${BASE}COPY --from=b /out/ /fromb/\nCOPY --from=b /out/f /usr/local/bin/\n`,
  },
];

async function archive(ctx: string): Promise<void> {
  const dir = path.join(ctx, '..', 'archive-src');
  await mkdir(path.join(dir, 'top/inner'), { recursive: true });
  await writeFile(path.join(dir, 'top/inner/file.txt'), 'in the archive\n');
  await symlink('inner/file.txt', path.join(dir, 'top/link'));
  execFileSync('tar', ['--owner=0', '--group=0', '--numeric-owner', '--mtime=@1600000000', '-cf', path.join(ctx, 't.tar'), '-C', dir, 'top']);
}

for (const c of cases) {
  serial(`direct and merged COPY give the same image: ${c.name}`, async (t) => {
    const e = await env();
    t.teardown(e.cleanup);
    await e.write({ Dockerfile: c.dockerfile, ...(c.files ?? {}) });
    await c.setup?.(e.ctx);
    const epoch = c.epoch === null ? undefined : (c.epoch ?? EPOCH);
    const direct = await buildOnce(e, false, epoch);
    const merged = await buildOnce(e, true, epoch);
    t.deepEqual(direct.layers, merged.layers);
    if (epoch !== undefined) t.is(direct.imageId, merged.imageId);
    if (c.directMounts !== undefined) t.is(direct.mounts, c.directMounts, 'overlay mounts without TSBUILD_COPY_VIA_MERGED');
    t.true(merged.mounts >= 1);
  });
}
