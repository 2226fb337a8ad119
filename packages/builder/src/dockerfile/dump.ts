// A stable, reviewable dump of the AST (`tsbuild parse --dump`, and the fixture goldens).
// JSON with one object per instruction; keys in a fixed order; empty fields left out.

import type { AstNode, ParseResult } from './types.js';

function nodeToJson(n: AstNode): Record<string, unknown> {
  const o: Record<string, unknown> = {
    lines: [n.location.start.line, n.location.end.line],
    keyword: n.keyword,
  };
  if (n.keywordAsWritten !== n.keyword.toUpperCase()) o['asWritten'] = n.keywordAsWritten;
  if (n.flags.length > 0) o['flags'] = n.flags;
  if (n.json) o['json'] = true;
  if (n.pairs !== undefined) {
    o['pairs'] = n.pairs.map((p) => (p.value === undefined ? [p.key] : [p.key, p.value]));
    if (n.legacyKeyValue === true) o['legacy'] = true;
  } else {
    o['args'] = n.args;
  }
  if (n.trigger !== undefined) o['trigger'] = nodeToJson(n.trigger);
  if (n.comments.length > 0) o['comments'] = n.comments;
  if (n.heredocs.length > 0) {
    o['heredocs'] = n.heredocs.map((h) => ({
      name: h.name,
      lines: [h.location.start.line, h.location.end.line],
      expand: h.expand,
      ...(h.chomp ? { chomp: true } : {}),
      ...(h.fd === undefined ? {} : { fd: h.fd }),
      content: h.content,
    }));
  }
  return o;
}

export function dumpAst(ast: ParseResult | readonly AstNode[]): string {
  const nodes = Array.isArray(ast) ? (ast as readonly AstNode[]) : (ast as ParseResult).nodes;
  const out: Record<string, unknown> = {};
  if (!Array.isArray(ast)) {
    const d = (ast as ParseResult).directives;
    if (d.list.length > 0) out['directives'] = Object.fromEntries(d.list.map((x) => [x.name, x.value]));
    const w = (ast as ParseResult).warnings;
    if (w.length > 0) out['warnings'] = w.map((x) => ({ rule: x.rule, line: x.location.start.line }));
  }
  // One line per directive set, warning and node: goldens then diff line by line, per instruction.
  const head = Object.entries(out).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`).join('');
  const body = nodes.map((n) => `    ${JSON.stringify(nodeToJson(n))}`).join(',\n');
  return `{\n${head}  "nodes": [${body === '' ? '' : `\n${body}\n  `}]\n}\n`;
}
