// One logical line → one AstNode: keyword, flags, then the arguments in the keyword's grammar
// (keywords.ts). Mirrors BuildKit's newNodeFromLine and its line parsers.

import { DockerfileError, type SourceRange } from '../errors.js';
import { parseJsonArray } from './json-array.js';
import { GRAMMAR, KEYWORDS, type ArgGrammar } from './keywords.js';
import { LIMITS } from './limits.js';
import { suggest } from './suggest.js';
import type { AstNode, EscapeChar, KeyValueNode } from './types.js';
import { extractFlags, isSpace, parseWords, splitFirstWord, splitWhitespace, trimLeft } from './words.js';

export interface NodeContext {
  escape: EscapeChar;
  location: SourceRange;
  comments: string[];
}

type Args = Pick<AstNode, 'args' | 'json' | 'pairs' | 'legacyKeyValue' | 'healthcheckCommand' | 'trigger'>;

export function buildNode(line: string, ctx: NodeContext, nested = false): AstNode {
  const [word, afterKeyword] = splitFirstWord(line.trim());
  const keyword = word.toLowerCase();
  const grammar = GRAMMAR[keyword];
  if (grammar === undefined) throw unknownInstruction(word, ctx.location);
  const { flags, rest } = extractFlags(afterKeyword);
  if (flags.length > LIMITS.maxFlags) {
    throw new DockerfileError('DF_TOO_MANY_FLAGS', `${word.toUpperCase()} has ${flags.length} flags; the limit is ${LIMITS.maxFlags}`, { location: ctx.location });
  }
  const restTrimmed = rest.trim();
  const args = parseArgs(grammar, keyword, restTrimmed, ctx, nested);
  // Object.assign, not spread: V8 clones spread objects slowly (seen at 50k instructions).
  return Object.assign({
    keyword,
    keywordAsWritten: word,
    flags,
    args: args.args,
    json: args.json,
    rest: restTrimmed,
    heredocs: [],
    original: line.trim(),
    comments: ctx.comments,
    location: ctx.location,
  }, args);
}

function unknownInstruction(word: string, location: SourceRange): DockerfileError {
  const guess = suggest(word.toUpperCase(), KEYWORDS);
  return new DockerfileError('DF_UNKNOWN_INSTRUCTION', `unknown instruction: ${word}`, {
    location,
    ...(guess === undefined ? {} : { hint: `did you mean ${guess}?` }),
    details: { instruction: word },
  });
}

function parseArgs(grammar: ArgGrammar, keyword: string, rest: string, ctx: NodeContext, nested: boolean): Args {
  switch (grammar) {
    case 'maybe-json': return parseMaybeJson(rest, keyword, ctx);
    case 'maybe-json-list': {
      const j = parseMaybeJson(rest, keyword, ctx);
      return j.json ? j : { args: splitWhitespace(rest), json: false };
    }
    case 'whitespace': return { args: splitWhitespace(rest), json: false };
    case 'string': return { args: rest === '' ? [] : [rest], json: false };
    case 'name-val': return parseNameVal(rest, keyword, ctx);
    case 'name-or-name-val': return { args: parseWords(rest, ctx.escape), json: false };
    case 'healthcheck': return parseHealthcheck(rest, keyword, ctx);
    case 'subcommand': return parseSubcommand(rest, ctx, nested);
  }
}

function parseMaybeJson(rest: string, keyword: string, ctx: NodeContext): Args {
  if (rest === '') return { args: [], json: false };
  const r = parseJsonArray(rest);
  if (r.kind === 'strings') return { args: r.values, json: true };
  if (r.kind === 'not-strings') {
    throw new DockerfileError('DF_JSON_NOT_STRINGS', `${keyword.toUpperCase()}: when using JSON array syntax, arrays must be comprised of strings only`, { location: ctx.location });
  }
  return { args: [rest], json: false };
}

/** ENV and LABEL: `KEY value` (legacy, when the first word has no '=') or `K=V K2="v 2"`. */
function parseNameVal(rest: string, keyword: string, ctx: NodeContext): Args {
  const words = parseWords(rest, ctx.escape);
  const name = keyword.toUpperCase();
  if (words.length === 0) {
    throw new DockerfileError('DF_MISSING_ARGUMENT', `${name} requires at least one argument`, { location: ctx.location });
  }
  if (!words[0]!.includes('=')) {
    const [key, value] = splitFirstWord(rest);
    if (value.trim() === '') {
      throw new DockerfileError('DF_MISSING_ARGUMENT', `${name} must have two arguments (${name} ${key} <value>)`, { location: ctx.location });
    }
    return { args: [key, value], json: false, pairs: [{ key, value: value.trim() }], legacyKeyValue: true };
  }
  const pairs: KeyValueNode[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) {
      throw new DockerfileError('DF_INVALID_KEY_VALUE', `${name}: can't find = in "${w}"; must be of the form name=value`, { location: ctx.location, details: { word: w } });
    }
    pairs.push({ key: w.slice(0, eq), value: w.slice(eq + 1) });
  }
  return { args: words, json: false, pairs, legacyKeyValue: false };
}

function parseHealthcheck(rest: string, keyword: string, ctx: NodeContext): Args {
  let sep = 0;
  while (sep < rest.length && !isSpace(rest[sep]!)) sep++;
  if (sep === 0) return { args: [], json: false };
  const type = rest.slice(0, sep);
  const cmd = parseMaybeJson(trimLeft(rest.slice(sep)), keyword, ctx);
  return { args: [type, ...cmd.args], json: cmd.json, healthcheckCommand: { args: cmd.args, json: cmd.json } };
}

function parseSubcommand(rest: string, ctx: NodeContext, nested: boolean): Args {
  if (rest === '') return { args: [], json: false };
  // ONBUILD ONBUILD is rejected later with a clear message; never recurse more than one level.
  const [word] = splitFirstWord(rest);
  if (nested || word.toLowerCase() === 'onbuild') {
    return { args: [rest], json: false };
  }
  const trigger = buildNode(rest, { ...ctx, comments: [] }, true);
  return { args: [rest], json: false, trigger };
}
