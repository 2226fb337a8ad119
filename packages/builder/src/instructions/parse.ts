// AST node → typed, validated instruction (BuildKit instructions.ParseInstruction). Errors carry
// the node's whole line range, or the offending flag's position when it can be found.

import type { AstNode } from '../dockerfile/types.js';
import { fail } from './common.js';
import type { ParseContext } from './context.js';
import { parseAdd, parseCopy } from './parse-copy.js';
import { parseCmd, parseEntrypoint, parseHealthcheck, parseRun, parseShell } from './parse-exec.js';
import { parseFrom, parseOnbuild } from './parse-from.js';
import {
  parseArg, parseEnv, parseExpose, parseLabel, parseMaintainer, parseStopsignal, parseUser,
  parseVolume, parseWorkdir,
} from './parse-meta.js';
import type { Instruction } from './types.js';

export function parseInstruction(node: AstNode, ctx: ParseContext): Instruction {
  switch (node.keyword) {
    case 'from': return parseFrom(node, ctx);
    case 'run': return parseRun(node, ctx);
    case 'cmd': return parseCmd(node, ctx);
    case 'entrypoint': return parseEntrypoint(node, ctx);
    case 'shell': return parseShell(node, ctx);
    case 'healthcheck': return parseHealthcheck(node, ctx);
    case 'copy': return parseCopy(node, ctx);
    case 'add': return parseAdd(node, ctx);
    case 'env': return parseEnv(node, ctx);
    case 'label': return parseLabel(node, ctx);
    case 'arg': return parseArg(node, ctx);
    case 'expose': return parseExpose(node, ctx);
    case 'volume': return parseVolume(node, ctx);
    case 'user': return parseUser(node, ctx);
    case 'workdir': return parseWorkdir(node, ctx);
    case 'stopsignal': return parseStopsignal(node, ctx);
    case 'maintainer': return parseMaintainer(node, ctx);
    case 'onbuild': return parseOnbuild(node, ctx, parseInstruction);
    default: return fail(node, 'DF_UNKNOWN_INSTRUCTION', `unknown instruction: ${node.keywordAsWritten}`);
  }
}

export function parseInstructions(nodes: readonly AstNode[], ctx: ParseContext): Instruction[] {
  return nodes.map((n) => parseInstruction(n, ctx));
}
