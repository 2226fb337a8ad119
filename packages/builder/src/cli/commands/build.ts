// `tsbuild [build] [options] CONTEXT`: docker build's flags, mapped onto the builder API.
import path from 'node:path';
import { UsageError } from '../../errors.js';
import type { CommandSpec } from '../command.js';
import { optionalString, stringList } from '../command.js';
import { parseAssignments, parseDuration, parseOutput, parsePlatform, parseSecret, parseSize, type OutputSpec } from '../options.js';

const PROGRESS = ['auto', 'tty', 'plain', 'quiet', 'json'] as const;

export const buildCommand: CommandSpec = {
  command: ['build [context]', '$0 [context]'],
  describe: 'build an image from a Dockerfile',
  builder: (y) =>
    y
      .positional('context', { type: 'string', describe: 'build context directory', default: '.' })
      .option('tag', { alias: 't', type: 'string', describe: 'name (and tag) for the image; repeatable' })
      .option('file', { alias: 'f', type: 'string', describe: 'Dockerfile path (default: CONTEXT/Dockerfile; - for stdin)' })
      .option('build-arg', { type: 'string', describe: 'KEY=VALUE build-time variable; repeatable' })
      .option('target', { type: 'string', describe: 'stage to build' })
      .option('no-cache', { type: 'boolean', describe: 'do not use the build cache' })
      .option('pull', { type: 'boolean', describe: 'resolve base images again (pull when a registry is named)' })
      .option('output', { alias: 'o', type: 'string', describe: 'type=oci|docker|tar|local|registry,dest=PATH' })
      .option('push', { type: 'boolean', describe: 'push the image to its registry (-o type=registry)' })
      .option('progress', { type: 'string', default: 'auto', describe: 'progress output: auto, tty, plain, quiet or json (the last one given wins)' })
      .option('memory', { alias: 'm', type: 'string', describe: 'memory limit of each RUN step (e.g. 512m); OOM is reported as such' })
      .option('pids-limit', { type: 'number', describe: 'process limit of each RUN step (default 16384)' })
      .option('step-timeout', { type: 'string', describe: 'wall-clock limit of each RUN step (e.g. 90s, 10m, 1h)' })
      .option('label', { type: 'string', describe: 'KEY=VALUE image label; repeatable' })
      .option('iidfile', { type: 'string', describe: 'write the image id to this file' })
      .option('metadata-file', { type: 'string', describe: 'write build result metadata (JSON) to this file' })
      .option('platform', { type: 'string', describe: 'target platform (only linux/amd64 runs here)' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'print only the image id' })
      .option('network', { type: 'string', choices: ['default', 'host', 'none'], describe: 'network for RUN steps (default: host)' })
      .option('secret', { type: 'string', describe: 'id=NAME,src=PATH|env=VAR secret for RUN --mount=type=secret' })
      .option('insecure-registry', { type: 'string', describe: 'host[:port] reached over plain HTTP or unverified TLS (pull and push); repeatable' })
      .option('cert-dir', { type: 'string', describe: 'docker-style certs.d folder for registries (default /etc/docker/certs.d)' })
      .example('$0 -t app .', 'build ./Dockerfile and tag it app')
      .example('$0 -t app -o type=oci,dest=app.tar .', 'also export an OCI archive'),
  async run(args, ctx) {
    const { build } = await import('../../build.js');
    const contextDir = path.resolve(String(args.context ?? '.'));
    const file = optionalString(args.file);
    const outputs: OutputSpec[] = stringList(args.output).map(parseOutput);
    if (args.push === true) outputs.push({ type: 'registry' });
    const quiet = args.quiet === true;
    const progress = quiet ? 'quiet' : parseProgress(stringList(args.progress).pop() ?? 'auto');
    const stepLimits = {
      ...(args.memory === undefined ? {} : { memoryBytes: parseSize(String(args.memory), '--memory') }),
      ...(args['pids-limit'] === undefined ? {} : { pids: positiveInteger(args['pids-limit'], '--pids-limit') }),
      ...(args['step-timeout'] === undefined ? {} : { timeoutMs: parseDuration(String(args['step-timeout']), '--step-timeout') }),
    };
    const network = args.network === 'none' ? 'none' : 'host';
    const tags = stringList(args.tag);
    if (outputs.some((o) => o.type === 'registry' && !o.name) && tags.length === 0) {
      throw new UsageError('USAGE_PUSH_NO_TAG', '--push needs a -t name to push to');
    }
    const result = await build(
      {
        contextDir,
        dockerfile: file === undefined ? undefined : file === '-' ? '-' : path.resolve(file),
        tags,
        buildArgs: parseAssignments(stringList(args['build-arg']), '--build-arg', process.env),
        target: optionalString(args.target),
        noCache: args['no-cache'] === true,
        pull: args.pull === true,
        outputs,
        progress,
        labels: parseAssignments(stringList(args.label), '--label'),
        iidfile: optionalString(args.iidfile),
        metadataFile: optionalString(args['metadata-file']),
        platform: args.platform === undefined ? undefined : parsePlatform(String(args.platform)),
        network,
        secrets: stringList(args.secret).map(parseSecret),
        root: optionalString(args.root),
        signal: ctx.signal,
        stepLimits,
        registry: {
          insecureRegistries: stringList(args['insecure-registry']),
          ...(args['cert-dir'] === undefined ? {} : { certsDir: String(args['cert-dir']) }),
        },
      },
      { stdout: ctx.stdout, stderr: ctx.stderr, stdin: process.stdin },
    );
    if (quiet) ctx.stdout.write(`${result.imageId}\n`);
  },
};

function parseProgress(v: string): (typeof PROGRESS)[number] {
  if (!(PROGRESS as readonly string[]).includes(v)) {
    throw new UsageError('USAGE_PROGRESS', `--progress "${v}" is not one of ${PROGRESS.join(', ')}`);
  }
  return v as (typeof PROGRESS)[number];
}

function positiveInteger(v: unknown, flag: string): number {
  const n = Number(Array.isArray(v) ? v[v.length - 1] : v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError('USAGE_NUMBER', `${flag} needs a positive whole number, not "${String(v)}"`);
  return n;
}
