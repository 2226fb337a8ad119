// Helpers shared by the instruction parsers.

import { DockerfileError } from '../errors.js';
import type { AstNode } from '../dockerfile/types.js';
import type { CommandLine, InstructionBase, InstructionKind } from './types.js';

export function baseOf<K extends InstructionKind>(node: AstNode, kind: K): InstructionBase<K> {
  return { kind, keyword: node.keywordAsWritten, location: node.location, original: node.original, rawFlags: node.flags };
}

export function fail(node: AstNode, code: string, message: string, hint?: string): never {
  throw new DockerfileError(code, message, { location: node.location, ...(hint === undefined ? {} : { hint }) });
}

export function requireAtLeastOne(node: AstNode, name: string): void {
  if (node.args.length === 0) fail(node, 'DF_MISSING_ARGUMENT', `${name} requires at least one argument`);
}

export function requireExactlyOne(node: AstNode, name: string): string {
  if (node.args.length !== 1) fail(node, node.args.length === 0 ? 'DF_MISSING_ARGUMENT' : 'DF_TOO_MANY_ARGUMENTS', `${name} requires exactly one argument`);
  return node.args[0]!;
}

/** Exec form when the node's argument was a JSON array of strings, else shell form. */
export function commandLineOf(args: readonly string[], json: boolean): CommandLine {
  return json ? { form: 'exec', args: [...args] } : { form: 'shell', text: args.join(' ') };
}

/** Values BuildKit expands at dispatch can only be checked now when they hold no variable. */
export function isStatic(value: string): boolean {
  return !value.includes('$');
}
