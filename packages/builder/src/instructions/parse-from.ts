// FROM and ONBUILD.

import type { AstNode } from '../dockerfile/types.js';
import { baseOf, fail } from './common.js';
import type { ParseContext } from './context.js';
import { parseFlags } from './flags.js';
import type { FromInstruction, Instruction, OnbuildInstruction } from './types.js';

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

export function parseFrom(node: AstNode, ctx: ParseContext): FromInstruction {
  const flags = parseFlags('FROM', node.flags, { platform: 'string' }, node.location, ctx);
  const args = node.args;
  if (args.length === 0) fail(node, 'DF_MISSING_ARGUMENT', 'FROM requires an image or stage name');
  if (!(args.length === 1 || (args.length === 3 && args[1]!.toLowerCase() === 'as'))) {
    fail(node, 'DF_TOO_MANY_ARGUMENTS', 'FROM requires either one argument, or three: FROM <image> AS <name>');
  }
  const out: FromInstruction = Object.assign(baseOf(node, 'FROM'), { image: args[0]! });
  if (args.length === 3) {
    const name = args[2]!.toLowerCase();
    if (!STAGE_NAME.test(name)) {
      fail(node, 'DF_INVALID_STAGE_NAME', `invalid name for build stage: "${args[2]}": name can't start with a number or contain symbols`);
    }
    out.stageName = name;
  }
  const platform = flags.string('platform');
  if (platform !== undefined) {
    if (platform === '') fail(node, 'DF_FLAG_VALUE', 'FROM: --platform needs a value');
    out.platform = platform;
  }
  return out;
}

const FORBIDDEN_TRIGGERS = new Set(['onbuild', 'from', 'maintainer']);

export function parseOnbuild(node: AstNode, ctx: ParseContext, parseTrigger: (n: AstNode, c: ParseContext) => Instruction): OnbuildInstruction {
  parseFlags('ONBUILD', node.flags, {}, node.location, ctx);
  if (node.args.length === 0) fail(node, 'DF_MISSING_ARGUMENT', 'ONBUILD requires at least one argument');
  const word = node.args[0]!.trim().split(/[\t\v\f\r ]/, 1)[0]!;
  if (FORBIDDEN_TRIGGERS.has(word.toLowerCase())) {
    fail(node, 'DF_ONBUILD_FORBIDDEN', `${word.toUpperCase()} isn't allowed as an ONBUILD trigger`);
  }
  if (node.trigger === undefined) fail(node, 'DF_MISSING_ARGUMENT', 'ONBUILD requires an instruction');
  const trigger = parseTrigger({ ...node.trigger, location: node.location }, ctx);
  // The image config keeps heredoc bodies in the trigger text, as BuildKit does.
  const expression = node.heredocs.reduce((e, h) => `${e}\n${h.content}${h.name}`, node.args[0]!.trim());
  return Object.assign(baseOf(node, 'ONBUILD'), { expression, trigger });
}
