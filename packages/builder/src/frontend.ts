// The Dockerfile front end's public face: text → AST → typed instructions → build plan.
// Everything here is pure: no fs, no clock, no environment. Errors are DockerfileErrors with a
// stable code and the file:line:column range of the offending instruction.

import { DockerfileError, type SourceRange } from './errors.js';
import { dumpAst as dump } from './dockerfile/dump.js';
import { parse } from './dockerfile/parser.js';
import type { AstNode, EscapeChar, ParseResult } from './dockerfile/types.js';
import { parseInstruction, parseInstructions } from './instructions/parse.js';
import type { Instruction } from './instructions/types.js';
import { makePlan } from './plan/plan.js';
import type { BuildPlan, Platform } from './plan/types.js';

export interface PlanOptions {
  file: string;
  buildArgs: Record<string, string>;
  /** Stage name to build (case-insensitive); default the last stage. */
  target?: string;
  /** Target platform; default linux/amd64. */
  platform?: Platform;
  /** Platform of the build host; default the target platform. */
  buildPlatform?: Platform;
}

/** Text → AST with directives and parser warnings (NoEmptyContinuation). */
export function parseDockerfile(text: string | Uint8Array, opts: { file: string }): ParseResult {
  return parse(text, opts.file);
}

/** Parse, then type and validate every instruction. */
export function parseDockerfileInstructions(text: string | Uint8Array, opts: { file: string }): { parsed: ParseResult; instructions: Instruction[] } {
  const parsed = parse(text, opts.file);
  const instructions = parseInstructions(parsed.nodes, { file: opts.file, lines: parsed.lines, escape: parsed.directives.escape });
  return { parsed, instructions };
}

/** Parse + instructions + plan. Throws DockerfileError (never anything else for any input). */
export function planBuild(text: string | Uint8Array, opts: PlanOptions): BuildPlan {
  const { parsed, instructions } = parseDockerfileInstructions(text, opts);
  return makePlan(parsed, instructions, opts);
}

/** `tsbuild parse --dump`: a stable JSON rendering of the AST. */
export function dumpAst(ast: ParseResult | readonly AstNode[]): string {
  return dump(ast);
}

/**
 * Parse one ONBUILD trigger from a base image's config (`"RUN echo hi"`, heredoc bodies included)
 * into an instruction. It gets the location `at` (the FROM that pulled the trigger in), since it
 * has no line of its own in this Dockerfile.
 */
export function parseTrigger(text: string, at: SourceRange, escape: EscapeChar = '\\'): Instruction {
  const relocate = (e: unknown): never => {
    if (e instanceof DockerfileError) throw new DockerfileError(e.code, `ONBUILD trigger "${text.slice(0, 200)}": ${e.message}`, { location: at, cause: e, details: e.details });
    throw e;
  };
  let nodes: AstNode[] = [];
  try {
    nodes = parse(escape === '`' ? `# escape=\`\n${text}` : text, at.file).nodes;
  } catch (e) {
    relocate(e);
  }
  if (nodes.length !== 1) {
    throw new DockerfileError('DF_ONBUILD_INVALID', `an ONBUILD trigger must be a single instruction, got ${nodes.length}`, { location: at });
  }
  const node = { ...nodes[0]!, location: at };
  if (node.keyword === 'onbuild' || node.keyword === 'from' || node.keyword === 'maintainer') {
    throw new DockerfileError('DF_ONBUILD_FORBIDDEN', `${node.keyword.toUpperCase()} isn't allowed as an ONBUILD trigger`, { location: at });
  }
  try {
    return parseInstruction(node, { file: at.file, lines: [], escape });
  } catch (e) {
    return relocate(e);
  }
}

export { LIMITS } from './dockerfile/limits.js';
export { expandInstruction, expandInstructionWithInfo, type ExpansionInfo, type InstructionExpandOptions } from './instructions/expand.js';
export { applyChmod, parseChmod, parseChown } from './instructions/chmod.js';
export { resolveArgValue, PROXY_ARGS } from './plan/args.js';
export { filterWarnings, isSkipped } from './instructions/warnings.js';
export { formatPlatform, parsePlatform } from './plan/platform.js';
