// `tsbuild check`: parse and lint a Dockerfile (build checks with locations); `tsbuild parse --dump`.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DockerfileError, UsageError } from '../../errors.js';
import type { CommandSpec } from '../command.js';
import { optionalString, stringList } from '../command.js';
import { parseAssignments } from '../options.js';
import { renderExcerpt } from '../render-error.js';

const MAX_DOCKERFILE_BYTES = 16 * 1024 * 1024;

/** Reads a Dockerfile for check/parse: `-f FILE`, else DIR/Dockerfile; `-` is stdin. */
async function readDockerfile(dir: string, file: string | undefined): Promise<{ file: string; text: string }> {
  if (file === '-') {
    let text = '';
    for await (const chunk of process.stdin) {
      text += chunk.toString();
      if (text.length > MAX_DOCKERFILE_BYTES) throw new UsageError('DF_TOO_LARGE', 'the Dockerfile on stdin is larger than 16 MiB');
    }
    return { file: '<stdin>', text };
  }
  const p = file === undefined ? path.join(dir, 'Dockerfile') : path.resolve(file);
  let size: number;
  try {
    size = (await stat(p)).size;
  } catch (err) {
    throw new UsageError('DOCKERFILE_NOT_FOUND', `cannot read Dockerfile ${p}: ${(err as Error).message}`, { cause: err });
  }
  if (size > MAX_DOCKERFILE_BYTES) throw new DockerfileError('DF_TOO_LARGE', `${p} is ${size} bytes; the limit is 16 MiB`);
  return { file: p, text: await readFile(p, 'utf8') };
}

export const checkCommand: CommandSpec = {
  command: 'check [context]',
  describe: 'parse and lint a Dockerfile: warnings and errors with their lines',
  builder: (y) =>
    y
      .positional('context', { type: 'string', default: '.' })
      .option('file', { alias: 'f', type: 'string', describe: 'Dockerfile (default: CONTEXT/Dockerfile)' })
      .option('build-arg', { type: 'string' })
      .option('target', { type: 'string' })
      .option('format', { type: 'string', choices: ['text', 'json'], default: 'text' }),
  async run(args, ctx) {
    const { planBuild } = await import('../../frontend.js');
    const { file, text } = await readDockerfile(path.resolve(String(args.context)), optionalString(args.file));
    const target = optionalString(args.target);
    const plan = planBuild(text, {
      file,
      buildArgs: parseAssignments(stringList(args['build-arg']), '--build-arg', process.env),
      ...(target === undefined ? {} : { target }),
    });
    if (args.format === 'json') {
      ctx.stdout.write(`${JSON.stringify({ file, stages: plan.stageCount, warnings: plan.warnings }, null, 2)}\n`);
    } else {
      for (const w of plan.warnings) {
        ctx.stdout.write(`warning: ${w.location.file}:${w.location.start.line}:${w.location.start.column}: ${w.rule}: ${w.message}\n`);
        ctx.stdout.write(renderExcerpt(w.location, text));
        ctx.stdout.write(`  see ${w.url}\n`);
      }
      const n = plan.warnings.length;
      ctx.stdout.write(`${file}: ${plan.stageCount} stage(s), ${n} warning${n === 1 ? '' : 's'}\n`);
    }
    if (plan.directives.check.error && plan.warnings.length > 0) {
      const first = plan.warnings[0]!;
      throw new DockerfileError('DF_CHECK_FAILED', `${plan.warnings.length} build check(s) failed and # check=error=true is set`, { location: first.location });
    }
  },
};

export const parseCommand: CommandSpec = {
  command: 'parse [dockerfile]',
  describe: 'print the parsed Dockerfile (AST) as JSON, for debugging',
  builder: (y) =>
    y
      .positional('dockerfile', { type: 'string', default: 'Dockerfile' })
      .option('dump', { type: 'boolean', default: true, describe: 'dump the AST (the default)' }),
  async run(args, ctx) {
    const { parseDockerfile, dumpAst } = await import('../../frontend.js');
    const df = String(args.dockerfile);
    const { file, text } = await readDockerfile(process.cwd(), df === '-' ? '-' : path.resolve(df));
    ctx.stdout.write(`${dumpAst(parseDockerfile(text, { file }))}\n`);
  },
};
