// ENV, LABEL, ARG, EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, MAINTAINER: instructions that only
// change the image config (or the build's variables).

import type { AstNode } from '../dockerfile/types.js';
import { baseOf, fail, isStatic, requireAtLeastOne, requireExactlyOne } from './common.js';
import { failNear, type ParseContext } from './context.js';
import { parseFlags } from './flags.js';
import type {
  ArgDecl, ArgInstruction, EnvInstruction, ExposeInstruction, KeyValue, LabelInstruction,
  MaintainerInstruction, StopsignalInstruction, UserInstruction, VolumeInstruction, WorkdirInstruction,
} from './types.js';
import { containerPortOf, isValidSignal, parsePort } from './values.js';

function pairsOf(node: AstNode, name: string): KeyValue[] {
  const pairs = node.pairs ?? [];
  if (pairs.length === 0) fail(node, 'DF_MISSING_ARGUMENT', `${name} requires at least one argument`);
  for (const p of pairs) {
    if (p.key === '') fail(node, 'DF_EMPTY_NAME', `${name} names can not be blank`);
  }
  return pairs.map((p) => ({ key: p.key, value: p.value ?? '' }));
}

export function parseEnv(node: AstNode, ctx: ParseContext): EnvInstruction {
  parseFlags('ENV', node.flags, {}, node.location, ctx);
  return Object.assign(baseOf(node, 'ENV'), { env: pairsOf(node, 'ENV'), legacyFormat: node.legacyKeyValue === true });
}

export function parseLabel(node: AstNode, ctx: ParseContext): LabelInstruction {
  parseFlags('LABEL', node.flags, {}, node.location, ctx);
  return Object.assign(baseOf(node, 'LABEL'), { labels: pairsOf(node, 'LABEL'), legacyFormat: node.legacyKeyValue === true });
}

export function parseArg(node: AstNode, ctx: ParseContext): ArgInstruction {
  parseFlags('ARG', node.flags, {}, node.location, ctx);
  requireAtLeastOne(node, 'ARG');
  const args: ArgDecl[] = node.args.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) return { name: word };
    if (eq === 0) fail(node, 'DF_EMPTY_NAME', 'ARG names can not be blank');
    return { name: word.slice(0, eq), default: word.slice(eq + 1) };
  });
  return Object.assign(baseOf(node, 'ARG'), { args });
}

export function parseExpose(node: AstNode, ctx: ParseContext): ExposeInstruction {
  parseFlags('EXPOSE', node.flags, {}, node.location, ctx);
  requireAtLeastOne(node, 'EXPOSE');
  for (const p of node.args) {
    if (isStatic(p) && parsePort(containerPortOf(p)) === undefined) {
      failNear(ctx, node.location, p, 'DF_INVALID_PORT', `EXPOSE: invalid port '${p}': expected port[-port][/tcp|udp|sctp]`);
    }
  }
  return Object.assign(baseOf(node, 'EXPOSE'), { ports: [...node.args] });
}

export function parseVolume(node: AstNode, ctx: ParseContext): VolumeInstruction {
  parseFlags('VOLUME', node.flags, {}, node.location, ctx);
  requireAtLeastOne(node, 'VOLUME');
  for (const v of node.args) {
    if (v.trim() === '') fail(node, 'DF_MISSING_ARGUMENT', 'VOLUME specified can not be an empty string');
  }
  return Object.assign(baseOf(node, 'VOLUME'), { volumes: [...node.args] });
}

export function parseUser(node: AstNode, ctx: ParseContext): UserInstruction {
  parseFlags('USER', node.flags, {}, node.location, ctx);
  return Object.assign(baseOf(node, 'USER'), { user: requireExactlyOne(node, 'USER') });
}

export function parseWorkdir(node: AstNode, ctx: ParseContext): WorkdirInstruction {
  parseFlags('WORKDIR', node.flags, {}, node.location, ctx);
  return Object.assign(baseOf(node, 'WORKDIR'), { path: requireExactlyOne(node, 'WORKDIR') });
}

export function parseStopsignal(node: AstNode, ctx: ParseContext): StopsignalInstruction {
  parseFlags('STOPSIGNAL', node.flags, {}, node.location, ctx);
  const signal = requireExactlyOne(node, 'STOPSIGNAL');
  if (isStatic(signal) && !isValidSignal(signal)) fail(node, 'DF_INVALID_SIGNAL', `STOPSIGNAL: invalid signal '${signal}'`);
  return Object.assign(baseOf(node, 'STOPSIGNAL'), { signal });
}

export function parseMaintainer(node: AstNode, ctx: ParseContext): MaintainerInstruction {
  parseFlags('MAINTAINER', node.flags, {}, node.location, ctx);
  return Object.assign(baseOf(node, 'MAINTAINER'), { maintainer: requireExactlyOne(node, 'MAINTAINER') });
}
