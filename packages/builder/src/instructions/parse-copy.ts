// COPY and ADD: sources (paths or heredocs), destination and their flags.

import { parseHeredocMarker } from '../dockerfile/heredoc.js';
import type { AstNode } from '../dockerfile/types.js';
import { parseChmod } from './chmod.js';
import { baseOf, fail, isStatic } from './common.js';
import { failNear, type ParseContext } from './context.js';
import { parseFlags, type ParsedFlags } from './flags.js';
import type { AddInstruction, CopyInstruction, SourceContent } from './types.js';

const CHECKSUM = /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;

interface Split {
  sources: string[];
  sourceContents: SourceContent[];
  dest: string;
}

function splitSources(node: AstNode, name: string): Split {
  if (node.args.length < 2) {
    fail(node, 'DF_MISSING_ARGUMENT', `${name} requires at least two arguments, but only ${node.args.length} was provided: the destination could not be determined`);
  }
  const dest = node.args[node.args.length - 1]!;
  if (!node.json && parseHeredocMarker(dest) !== undefined) fail(node, 'DF_HEREDOC_INVALID', `${name}: a heredoc cannot be the destination`);
  const byName = new Map(node.heredocs.map((h) => [h.name, h]));
  const sources: string[] = [];
  const sourceContents: SourceContent[] = [];
  for (const src of node.args.slice(0, -1)) {
    const marker = node.json ? undefined : parseHeredocMarker(src);
    const doc = marker === undefined ? undefined : byName.get(marker.name);
    if (marker !== undefined && doc !== undefined) {
      sourceContents.push({ path: marker.name, data: doc.content, expand: doc.expand });
    } else {
      sources.push(src);
    }
  }
  return { sources, sourceContents, dest };
}

function checkCommon(node: AstNode, ctx: ParseContext, flags: ParsedFlags, name: string): void {
  const chmod = flags.string('chmod');
  if (chmod !== undefined && isStatic(chmod) && parseChmod(chmod) === undefined) {
    failNear(ctx, node.location, '--chmod', 'DF_INVALID_CHMOD', `${name}: invalid --chmod=${chmod}: expected an octal mode (0755) or a symbolic one (u+x,g=r)`);
  }
  const chown = flags.string('chown');
  if (chown !== undefined && isStatic(chown) && (chown === '' || chown.startsWith(':'))) {
    failNear(ctx, node.location, '--chown', 'DF_FLAG_VALUE', `${name}: invalid --chown=${chown}: expected user[:group]`);
  }
}

export function parseCopy(node: AstNode, ctx: ParseContext): CopyInstruction {
  const flags = parseFlags('COPY', node.flags, {
    from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'strings',
  }, node.location, ctx);
  checkCommon(node, ctx, flags, 'COPY');
  const from = flags.string('from');
  if (from === '') failNear(ctx, node.location, '--from', 'DF_FLAG_VALUE', 'COPY: --from needs a stage name, a stage index or an image');
  if (from !== undefined && !isStatic(from)) {
    // BuildKit refuses it too: the stage graph must be known before any variable has a value.
    failNear(ctx, node.location, '--from', 'DF_FROM_VARIABLE', 'COPY: variable expansion is not supported for --from',
      'define a stage with FROM ${VAR} AS name (global ARGs work in FROM) and use --from=name');
  }
  const out: CopyInstruction = Object.assign(baseOf(node, 'COPY'), splitSources(node, 'COPY'), {
    link: flags.bool('link'),
    parents: flags.bool('parents'),
    excludes: flags.strings('exclude'),
    heredocs: node.heredocs,
    json: node.json,
  });
  if (from !== undefined) out.from = from;
  setOptional(out, flags);
  return out;
}

export function parseAdd(node: AstNode, ctx: ParseContext): AddInstruction {
  const flags = parseFlags('ADD', node.flags, {
    chown: 'string', chmod: 'string', link: 'bool', exclude: 'strings', checksum: 'string',
    'keep-git-dir': 'bool', unpack: 'bool',
  }, node.location, ctx);
  checkCommon(node, ctx, flags, 'ADD');
  const checksum = flags.string('checksum');
  if (checksum !== undefined && isStatic(checksum) && !CHECKSUM.test(checksum)) {
    failNear(ctx, node.location, '--checksum', 'DF_FLAG_VALUE', `ADD: invalid --checksum=${checksum}: expected sha256:<64 hex digits>`);
  }
  const out: AddInstruction = Object.assign(baseOf(node, 'ADD'), splitSources(node, 'ADD'), {
    link: flags.bool('link'),
    excludes: flags.strings('exclude'),
    keepGitDir: flags.bool('keep-git-dir'),
    heredocs: node.heredocs,
    json: node.json,
  });
  if (checksum !== undefined) out.checksum = checksum;
  const unpack = flags.optionalBool('unpack');
  if (unpack !== undefined) out.unpack = unpack;
  setOptional(out, flags);
  return out;
}

function setOptional(out: { chown?: string; chmod?: string }, flags: ParsedFlags): void {
  const chown = flags.string('chown');
  const chmod = flags.string('chmod');
  if (chown !== undefined) out.chown = chown;
  if (chmod !== undefined) out.chmod = chmod;
}
