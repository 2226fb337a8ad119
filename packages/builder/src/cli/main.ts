// The tsbuild command line: yargs parses argv into options; each command's module does the work.
// Heavy modules (the store, the runner, the executor) are imported only by the command that needs
// them, so `tsbuild --help` and a no-op rebuild start fast.
import type { Argv } from 'yargs';
import { EXIT, UsageError } from '../errors.js';
import { reportError } from './render-error.js';
import { trapInterrupts } from './signals.js';
import { buildCommand } from './commands/build.js';
import { checkCommand, parseCommand } from './commands/check.js';
import { runCommand, separateRunCommand } from './commands/run.js';
import { imageCommands } from './commands/images.js';
import { archiveCommands } from './commands/archive.js';
import { registryCommands } from './commands/registry.js';
import type { CommandContext, CommandSpec } from './command.js';

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    the build or command failed (a RUN step exited non-zero, a source is missing...)
  2    usage error or invalid Dockerfile
  70   internal error (a bug: please report it)
  130  interrupted (SIGINT); 143 on SIGTERM
  run: the container's own exit status`;

const commands: CommandSpec[] = [
  buildCommand,
  checkCommand,
  parseCommand,
  runCommand,
  ...imageCommands,
  ...archiveCommands,
  ...registryCommands,
];

/**
 * `tsbuild build …` is the default command spelled out. Naming a command makes yargs build that
 * command's whole help text (25-30 ms, a tenth of a no-op rebuild), so unless help is asked for it
 * runs as the default command.
 */
export function dropExplicitBuild(argv: string[]): string[] {
  if (argv.includes('--help') || argv.includes('-h')) return argv;
  // Only where `build` can be nothing but the command word: first, or after `--root DIR`
  // (in `-t build .` it is a tag).
  const at = argv[0] === '--root' ? 2 : 0;
  return argv[at] === 'build' ? [...argv.slice(0, at), ...argv.slice(at + 1)] : argv;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const { default: yargs } = await import('yargs');
  const interrupt = trapInterrupts();
  let exitCode: number = EXIT.ok;
  const ctx: CommandContext = {
    stdout: process.stdout,
    stderr: process.stderr,
    signal: interrupt.signal,
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  let y: Argv = yargs(separateRunCommand(dropExplicitBuild(argv)))
    .scriptName('tsbuild')
    .usage('$0 [build] [options] CONTEXT\n\nA daemonless Dockerfile image builder.')
    .option('root', {
      type: 'string',
      describe: 'store root (default: $TSBUILD_ROOT, /var/lib/tsbuild for root, else $XDG_DATA_HOME/tsbuild)',
      global: true,
    })
    .option('debug', { type: 'boolean', describe: 'print stack traces with errors', global: true, hidden: true })
    // docker's flags include --no-cache and --no-trunc: names of their own, not negations of --cache.
    .parserConfiguration({ 'boolean-negation': false })
    .strictCommands()
    .strictOptions()
    .exitProcess(false)
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue(EXIT_CODES_HELP)
    .fail((msg, err) => {
      throw err ?? new UsageError('USAGE', msg ?? 'invalid command line', { hint: 'see tsbuild --help' });
    });
  for (const c of commands) {
    y = y.command({
      command: c.command,
      aliases: c.aliases ?? [],
      describe: c.describe,
      builder: c.builder,
      handler: async (args) => {
        await c.run(args as Record<string, unknown>, ctx);
      },
    });
  }
  try {
    await y.parseAsync();
  } catch (err) {
    exitCode = interrupt.exitCode() ?? reportError(err, process.stderr, argv.includes('--debug'));
  } finally {
    interrupt.dispose();
  }
  return interrupt.exitCode() ?? exitCode;
}
