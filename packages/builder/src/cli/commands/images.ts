// Image management: images, inspect, history, tag, rmi, prune, verify.
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { BuildError } from '../../errors.js';
import type { CommandSpec } from '../command.js';
import { stringList } from '../command.js';
import { formatTable, humanAge, humanSize, withStore } from '../store-access.js';

function splitName(name: string): [string, string] {
  const at = name.indexOf('@');
  const base = at < 0 ? name : name.slice(0, at);
  const colon = base.lastIndexOf(':');
  if (colon > base.lastIndexOf('/')) return [base.slice(0, colon), base.slice(colon + 1)];
  return [base, '<none>'];
}

const images: CommandSpec = {
  command: 'images',
  describe: 'list the images in the store',
  builder: (y) => y.option('quiet', { alias: 'q', type: 'boolean', describe: 'print only image ids' }).option('json', { type: 'boolean', describe: 'JSON output' }),
  async run(args, ctx) {
    const { listImages } = await import('@tsbuild/layerstore');
    await withStore(args.root, async (store) => {
      const list = await listImages(store);
      if (args.json === true) return void ctx.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      if (args.quiet === true) return void ctx.stdout.write(list.map((i) => `${i.id.slice(7, 19)}\n`).join(''));
      const now = Date.now();
      const rows = list.flatMap((i) => (i.names.length ? i.names : ['<none>:<none>']).map((n) => {
        const [repo, tag] = splitName(n);
        return [repo, tag, i.id.slice(7, 19), humanAge(i.created, now), humanSize(i.size)];
      }));
      ctx.stdout.write(formatTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows));
    });
  },
};

const inspect: CommandSpec = {
  command: 'inspect <image..>',
  describe: 'print the details of images as JSON (like docker image inspect)',
  builder: (y) => y.positional('image', { type: 'string', array: true }),
  async run(args, ctx) {
    const { inspectImage } = await import('@tsbuild/layerstore');
    await withStore(args.root, async (store) => {
      const out = [];
      for (const ref of stringList(args.image)) out.push(await inspectImage(store, ref));
      ctx.stdout.write(`${JSON.stringify(out, null, 4)}\n`);
    });
  },
};

const history: CommandSpec = {
  command: 'history <image>',
  describe: 'show the history of an image (newest first)',
  builder: (y) => y.positional('image', { type: 'string' }).option('no-trunc', { type: 'boolean' }).option('json', { type: 'boolean' }),
  async run(args, ctx) {
    const { imageHistory } = await import('@tsbuild/layerstore');
    await withStore(args.root, async (store) => {
      const rows = await imageHistory(store, String(args.image));
      if (args.json === true) return void ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      const now = Date.now();
      const trunc = (s: string): string => (args['no-trunc'] === true || s.length <= 60 ? s : `${s.slice(0, 57)}...`);
      ctx.stdout.write(formatTable(
        ['LAYER', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
        rows.map((r) => [r.id.startsWith('sha256:') ? r.id.slice(7, 19) : r.id, humanAge(r.created, now), trunc(r.createdBy), humanSize(r.size), r.comment]),
      ));
    });
  },
};

const tag: CommandSpec = {
  command: 'tag <source> <target>',
  describe: 'give an image another name',
  builder: (y) => y.positional('source', { type: 'string' }).positional('target', { type: 'string' }),
  async run(args) {
    const { tagImage } = await import('@tsbuild/layerstore');
    await withStore(args.root, (store) => tagImage(store, String(args.source), String(args.target)));
  },
};

const rmi: CommandSpec = {
  command: 'rmi <image..>',
  describe: 'remove image names (and the image when no name is left)',
  builder: (y) => y.positional('image', { type: 'string' }).option('force', { alias: 'f', type: 'boolean' }),
  async run(args, ctx) {
    const { removeImage } = await import('@tsbuild/layerstore');
    await withStore(args.root, async (store) => {
      for (const ref of stringList(args.image)) {
        const r = await removeImage(store, ref, { force: args.force === true });
        for (const n of r.untagged) ctx.stdout.write(`Untagged: ${n}\n`);
        for (const d of r.deleted) ctx.stdout.write(`Deleted: ${d}\n`);
      }
    });
  },
};

const prune: CommandSpec = {
  command: 'prune',
  describe: 'remove unreferenced blobs, snapshots and records (and, with --all-cache, the build cache)',
  builder: (y) => y.option('all-cache', { type: 'boolean', describe: 'drop every build-cache record too' }).option('dry-run', { type: 'boolean' }),
  async run(args, ctx) {
    const layerstore = await import('@tsbuild/layerstore');
    await withStore(args.root, async (store) => {
      const dryRun = args['dry-run'] === true;
      const r = await layerstore.prune(store, { cache: args['all-cache'] === true ? 'all' : 'none', dryRun });
      const logs = await pruneStepLogs(await store.stateDir('logs'), args['all-cache'] === true ? LIVE_LOG_MS : LOG_KEEP_MS, dryRun);
      const verb = dryRun ? 'Would free' : 'Freed';
      ctx.stdout.write(`${verb} ${humanSize(r.bytes + logs.bytes)}: ${r.blobs.length} blobs, ${r.layers.length} snapshots/layer records, ${r.images.length} unnamed images, ${r.cacheRecords} cache records, ${logs.files} step logs, ${r.tmp.length} leftovers of dead processes\n`);
    });
  },
};

const verify: CommandSpec = {
  command: 'verify',
  describe: 'check every blob, snapshot and reference in the store',
  builder: (y) => y.option('repair', { type: 'boolean', describe: 'move what is broken into quarantine/' }).option('json', { type: 'boolean' }),
  async run(args, ctx) {
    const layerstore = await import('@tsbuild/layerstore');
    await withStore(args.root, async (store) => {
      const r = await layerstore.verify(store, { repair: args.repair === true });
      if (args.json === true) ctx.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        for (const p of r.problems) ctx.stdout.write(`${p.code}\t${p.path}\t${p.message}${p.repaired ? ' (quarantined)' : ''}\n`);
        ctx.stdout.write(`${r.checked.blobs} blobs, ${r.checked.images} images, ${r.checked.cacheRecords} cache records checked: ${r.problems.length} problem(s)\n`);
      }
      if (!r.ok && !(args.repair === true && r.problems.every((p) => p.repaired))) {
        throw new BuildError('STORE_VERIFY_FAILED', `the store has ${r.problems.length} problem(s)`, { hint: 'tsbuild verify --repair quarantines them' });
      }
    });
  },
};

export const imageCommands: CommandSpec[] = [images, inspect, history, tag, rmi, prune, verify];

/**
 * Step logs are kept a week; with --all-cache every one goes (a build running meanwhile keeps writing
 * through its open file, so all it loses is that log).
 */
const LOG_KEEP_MS = 7 * 24 * 3600 * 1000;
const LIVE_LOG_MS = 0;

async function pruneStepLogs(dir: string, olderThanMs: number, dryRun: boolean): Promise<{ files: number; bytes: number }> {
  const now = Date.now();
  let files = 0;
  let bytes = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const p = path.join(dir, name);
    const st = await stat(p).catch(() => undefined);
    if (!st || now - st.mtimeMs < olderThanMs) continue;
    files++;
    bytes += st.isFile() ? st.size : 0;
    if (!dryRun) await rm(p, { recursive: true, force: true });
  }
  return { files, bytes };
}
