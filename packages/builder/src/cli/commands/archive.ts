// load and save: image archives in and out of the store.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { PassThrough, type Readable } from 'node:stream';
import { UsageError } from '../../errors.js';
import type { CommandSpec } from '../command.js';
import { optionalString, stringList } from '../command.js';
import { withStore } from '../store-access.js';

const load: CommandSpec = {
  command: 'load [name]',
  describe: 'load an OCI archive or a docker-save archive into the store (optionally naming the image)',
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'name to give the (single) loaded image' })
      .option('input', { alias: 'i', type: 'string', describe: 'archive to read (default: stdin)' })
      .option('quiet', { alias: 'q', type: 'boolean' }),
  async run(args, ctx) {
    const input = optionalString(args.input);
    const name = optionalString(args.name);
    await withStore(args.root, async (store) => {
      const source: Readable = input === undefined || input === '-' ? process.stdin : createReadStream(input);
      const loaded = await store.load(source, name === undefined ? {} : { tags: [name] });
      if (args.quiet !== true) {
        for (const img of loaded) {
          const names = img.names.length ? img.names.join(', ') : '<none>';
          ctx.stdout.write(`Loaded image: ${names} (${img.configDigest})\n`);
        }
      }
    });
  },
};

const save: CommandSpec = {
  command: 'save <image..>',
  describe: 'write images to an archive that is both an OCI layout and docker-loadable (by default)',
  builder: (y) =>
    y
      .positional('image', { type: 'string', array: true })
      .option('output', { alias: 'o', type: 'string', describe: 'file to write (default: stdout)' })
      .option('format', { type: 'string', choices: ['both', 'oci', 'docker'], default: 'both' })
      .option('compression', { type: 'string', choices: ['gzip', 'zstd', 'none'], default: 'gzip' }),
  async run(args, ctx) {
    const out = optionalString(args.output);
    if (out === undefined && ctx.stdout.isTTY) {
      throw new UsageError('USAGE_SAVE_TTY', 'refusing to write an archive to a terminal', { hint: 'use -o FILE or redirect stdout' });
    }
    await withStore(args.root, async (store) => {
      const refs = stringList(args.image);
      const images = [];
      for (const ref of refs) {
        const img = await store.images.resolve(ref);
        if (!img) throw new UsageError('IMAGE_NOT_FOUND', `image "${ref}" is not in the store`);
        images.push(img);
      }
      const opts = {
        format: String(args.format) as 'both' | 'oci' | 'docker',
        compression: String(args.compression) as 'gzip' | 'zstd' | 'none',
        names: refs.filter((r) => !/^(sha256:)?[0-9a-f]{6,64}$/.test(r)),
      };
      if (out === undefined || out === '-') {
        const pass = new PassThrough();
        await Promise.all([store.save(images, pass, opts), pipeline(pass, ctx.stdout, { end: false, signal: ctx.signal })]);
        return;
      }
      // Write beside the destination and rename, so a failed save never leaves a truncated archive.
      const tmp = `${out}.tsbuild-${process.pid}.tmp`;
      try {
        const file = createWriteStream(tmp, { flags: 'wx', mode: 0o644 });
        const pass = new PassThrough();
        // SIGINT aborts the write; the producer then fails on its closed stream and `finally` removes tmp.
        await Promise.all([store.save(images, pass, opts), pipeline(pass, file, { signal: ctx.signal })]);
        ctx.signal.throwIfAborted();
        await rename(tmp, out);
      } finally {
        await rm(tmp, { force: true });
      }
    });
  },
};

export const archiveCommands: CommandSpec[] = [load, save];
