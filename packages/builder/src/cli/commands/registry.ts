// pull, push, login, logout: the registry client over the store.
import type { TransferProgress } from '@tsbuild/layerstore';
import { UsageError } from '../../errors.js';
import type { CommandContext, CommandSpec } from '../command.js';
import { optionalString, stringList } from '../command.js';
import { humanSize, withStore } from '../store-access.js';

function transportFlags(args: Record<string, unknown>, ctx: CommandContext) {
  return {
    insecureRegistries: stringList(args['insecure-registry']),
    ...(args['tls-verify'] === false ? { insecure: true } : {}),
    ...(args['cert-dir'] === undefined ? {} : { certsDir: String(args['cert-dir']) }),
    signal: ctx.signal,
  };
}

/** Prints one line per blob when it finishes (plain progress, fit for CI logs). */
function progressPrinter(ctx: CommandContext, quiet: boolean): (p: TransferProgress) => void {
  return (p) => {
    if (quiet) return;
    const id = p.digest.slice(7, 19);
    if (p.phase === 'done') ctx.stderr.write(`${id}: ${p.kind} done (${humanSize(p.total)})\n`);
    else if (p.phase === 'exists') ctx.stderr.write(`${id}: ${p.kind} already exists\n`);
    else if (p.phase === 'mounted') ctx.stderr.write(`${id}: ${p.kind} mounted from another repository\n`);
    else if (p.phase === 'retrying') ctx.stderr.write(`${id}: retrying (attempt ${p.attempt ?? '?'}): ${p.reason ?? ''}\n`);
  };
}

const common = (y: import('yargs').Argv): import('yargs').Argv =>
  y
    .option('insecure-registry', { type: 'string', describe: 'host[:port] to reach over plain HTTP or unverified TLS' })
    .option('tls-verify', { type: 'boolean', default: true, describe: 'verify the registry TLS certificate' })
    .option('cert-dir', { type: 'string', describe: 'docker-style certs.d folder (default /etc/docker/certs.d)' })
    .option('quiet', { alias: 'q', type: 'boolean' });

const pull: CommandSpec = {
  command: 'pull <reference>',
  describe: 'pull an image from a registry into the store',
  builder: (y) => common(y).positional('reference', { type: 'string' }).option('platform', { type: 'string', default: 'linux/amd64' }),
  async run(args, ctx) {
    const layerstore = await import('@tsbuild/layerstore');
    await withStore(args.root, async (store) => {
      const r = await layerstore.pull(store, String(args.reference), {
        ...transportFlags(args, ctx),
        platform: String(args.platform),
        pull: true,
        onProgress: progressPrinter(ctx, args.quiet === true),
      });
      ctx.stdout.write(`${r.reference.canonical}: ${r.image.manifestDigest}\n`);
    });
  },
};

const push: CommandSpec = {
  command: 'push <image> [destination]',
  describe: 'push an image from the store to a registry',
  builder: (y) => common(y).positional('image', { type: 'string' }).positional('destination', { type: 'string', describe: 'registry reference (default: the image name)' }),
  async run(args, ctx) {
    const layerstore = await import('@tsbuild/layerstore');
    await withStore(args.root, async (store) => {
      const r = await layerstore.push(store, String(args.image), optionalString(args.destination), {
        ...transportFlags(args, ctx),
        onProgress: progressPrinter(ctx, args.quiet === true),
      });
      ctx.stdout.write(`${r.reference.canonical}: digest: ${r.digest}\n`);
    });
  },
};

const login: CommandSpec = {
  command: 'login <registry>',
  describe: 'store credentials for a registry in ~/.docker/config.json (as docker does)',
  builder: (y) =>
    common(y)
      .positional('registry', { type: 'string' })
      .option('username', { alias: 'u', type: 'string' })
      .option('password', { alias: 'p', type: 'string', describe: 'prefer --password-stdin' })
      .option('password-stdin', { type: 'boolean', describe: 'read the password from stdin' }),
  async run(args, ctx) {
    const layerstore = await import('@tsbuild/layerstore');
    const username = optionalString(args.username);
    let password = optionalString(args.password);
    if (args['password-stdin'] === true) password = (await readAll(process.stdin)).replace(/\r?\n$/, '');
    if (!username || !password) throw new UsageError('USAGE_LOGIN', 'login needs --username and --password or --password-stdin');
    await layerstore.login(String(args.registry), username, password, transportFlags(args, ctx));
    ctx.stdout.write('Login Succeeded\n');
  },
};

const logout: CommandSpec = {
  command: 'logout <registry>',
  describe: 'remove stored credentials for a registry',
  builder: (y) => y.positional('registry', { type: 'string' }),
  async run(args, ctx) {
    const layerstore = await import('@tsbuild/layerstore');
    const removed = await layerstore.logout(String(args.registry));
    ctx.stdout.write(removed ? `Removing login credentials for ${String(args.registry)}\n` : `Not logged in to ${String(args.registry)}\n`);
  },
};

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const chunk of stream) s += chunk.toString();
  return s;
}

export const registryCommands: CommandSpec[] = [pull, push, login, logout];
