// `tsbuild run IMAGE [CMD...]`: runs an image from the store in the sandbox, writes going to a
// throwaway upper dir; the container's exit status becomes tsbuild's.
import path from 'node:path';
import type { Options } from 'yargs';
import { UsageError } from '../../errors.js';
import type { CommandSpec } from '../command.js';
import { optionalString, stringList } from '../command.js';
import { parseAssignments, parseSize, parseVolume } from '../options.js';
import { containerArgv, containerEnv } from '../run-config.js';

/** The flags of `run`: one table for yargs and for telling where IMAGE starts (separateRunCommand). */
const RUN_OPTIONS: Record<string, Options> = {
  rm: { type: 'boolean', describe: 'accepted for docker compatibility: writes are always discarded' },
  interactive: { alias: 'i', type: 'boolean', describe: 'keep stdin open' },
  tty: { alias: 't', type: 'boolean', describe: 'allocate a pseudo-terminal' },
  volume: { alias: 'v', type: 'string', describe: 'HOST:CONTAINER[:ro] bind mount; repeatable' },
  env: { alias: 'e', type: 'string', describe: 'KEY=VALUE environment variable; repeatable' },
  workdir: { alias: 'w', type: 'string', describe: 'working directory inside the container' },
  user: { alias: 'u', type: 'string', describe: 'user[:group] or uid[:gid]' },
  network: { type: 'string', choices: ['none', 'host'], default: 'none', describe: 'network' },
  memory: { alias: 'm', type: 'string', describe: 'memory limit (e.g. 64m)' },
  'pids-limit': { type: 'number', describe: 'maximum number of processes' },
  cpus: { type: 'number', describe: 'CPU quota in cores (e.g. 0.5)' },
  hostname: { type: 'string', describe: 'hostname inside the container' },
  entrypoint: { type: 'string', describe: 'override the image ENTRYPOINT' },
};

export const runCommand: CommandSpec = {
  command: 'run [image] [command..]',
  describe: 'run a command in a new sandbox from an image in the store',
  builder: (y) =>
    Object.entries(RUN_OPTIONS)
      .reduce((acc, [name, spec]) => acc.option(name, spec), y)
      .parserConfiguration({ 'populate--': true })
      .positional('image', { type: 'string', describe: 'image name or id' })
      .positional('command', { type: 'string', array: true, describe: 'command and arguments (default: the image CMD)' })
      .example('$0 run --rm -v "$PWD:/w" localhost/busybox:latest ls /w', 'list the current dir from inside'),
  async run(args, ctx) {
    const [{ openStore }, runner] = await Promise.all([import('@tsbuild/layerstore'), import('@tsbuild/runner')]);
    // separateRunCommand put IMAGE and its command after `--` (see there).
    const rest = stringList(args['--']);
    const ref = optionalString(args.image) ?? rest.shift();
    const command = args.image === undefined ? rest : [...stringList(args.command), ...rest];
    if (ref === undefined) throw new UsageError('USAGE', 'run needs an IMAGE', { hint: 'tsbuild run [options] IMAGE [COMMAND...]' });
    const store = await openStore(optionalString(args.root));
    try {
      const image = await store.images.resolve(ref);
      if (!image) {
        throw new UsageError('IMAGE_NOT_FOUND', `image "${ref}" is not in the store`, {
          hint: 'build it with tsbuild -t NAME ., or load it with tsbuild load -i FILE',
        });
      }
      const cfg = image.config.config;
      const argv = containerArgv(cfg, command, optionalString(args.entrypoint));
      if (argv.length === 0) throw new UsageError('RUN_NO_COMMAND', `image "${ref}" has no CMD or ENTRYPOINT: give a command`);
      const lowerDirs = (await Promise.all(image.layers.map((l) => store.layers.snapshot(l)))).reverse();
      const area = await store.workArea();
      try {
        const mounts = stringList(args.volume).map((v) => {
          const spec = parseVolume(v);
          return { type: 'bind' as const, source: path.resolve(spec.source), target: spec.target, readonly: spec.readonly };
        });
        const limits = {
          ...(args.memory === undefined ? {} : { memoryBytes: parseSize(String(args.memory), '--memory') }),
          ...(args['pids-limit'] === undefined ? {} : { pids: Number(args['pids-limit']) }),
          ...(args.cpus === undefined ? {} : { cpus: Number(args.cpus) }),
        };
        const result = await runner.run({
          rootfs: lowerDirs.length === 0
            ? { type: 'dir', path: area.scratchDir }
            : { type: 'overlay', lowerDirs, upperDir: area.upperDir, workDir: area.workDir },
          argv,
          env: containerEnv(cfg.Env ?? [], parseAssignments(stringList(args.env), '-e', process.env)),
          cwd: optionalString(args.workdir) ?? (cfg.WorkingDir || '/'),
          user: optionalString(args.user) ?? cfg.User ?? '',
          hostname: optionalString(args.hostname) ?? image.configDigest.slice(7, 19),
          network: args.network === 'host' ? 'host' : 'none',
          mounts,
          limits,
          stdin: args.interactive === true ? 'inherit' : 'ignore',
          stdout: 'inherit',
          stderr: 'inherit',
          tty: args.tty === true,
          signal: ctx.signal,
        });
        if (result.oomKilled) ctx.stderr.write('tsbuild: the container was killed: out of memory\n');
        if (result.timedOut) ctx.stderr.write('tsbuild: the container was killed: time limit reached\n');
        ctx.setExitCode(result.exitCode ?? 128 + signalNumber(result.signal));
      } finally {
        await area.dispose();
      }
    } finally {
      await store.close();
    }
  },
};

/** Flags whose next word is their value (so it is not IMAGE): run's non-boolean ones, and the global --root. */
const VALUE_OPTIONS = new Set([
  '--root',
  ...Object.entries(RUN_OPTIONS)
    .filter(([, o]) => o.type !== 'boolean')
    .flatMap(([name, o]) => [`--${name}`, ...(typeof o.alias === 'string' ? [`-${o.alias}`] : [])]),
]);

/**
 * docker run's rule: flags after IMAGE belong to the container's command. yargs would take them as
 * tsbuild's, so a `--` goes in front of IMAGE before parsing.
 */
export function separateRunCommand(argv: string[]): string[] {
  // The command word: the first word that is not a flag or a flag's value (only global flags precede it).
  let at = 0;
  while (at < argv.length && argv[at]!.startsWith('-')) at += VALUE_OPTIONS.has(argv[at]!) ? 2 : 1;
  if (argv[at] !== 'run') return argv;
  for (let i = at + 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv;
    if (!a.startsWith('-') || a === '-') return [...argv.slice(0, i), '--', ...argv.slice(i)];
    if (VALUE_OPTIONS.has(a)) i++;
  }
  return argv;
}

function signalNumber(name: string | null): number {
  const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
  return name === null ? 0 : (signals[name] ?? 0);
}
