// Decide whether an argument is the exec (JSON array of strings) form, as BuildKit's parseJSON:
// valid JSON array of strings → exec form; valid JSON array holding a non-string → error;
// anything else → shell form. Nesting is bounded before JSON.parse sees the text, so a hostile
// `[[[[...` cannot exhaust the stack.

import { LIMITS } from './limits.js';

export type JsonArrayResult =
  | { kind: 'strings'; values: string[] }
  | { kind: 'not-strings' }
  | { kind: 'not-json' };

function nestingWithinLimit(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') {
      if (++depth > LIMITS.maxJsonDepth) return false;
    } else if (ch === ']' || ch === '}') depth--;
  }
  return true;
}

export function parseJsonArray(rest: string): JsonArrayResult {
  const text = rest.trimStart();
  if (!text.startsWith('[') || !nestingWithinLimit(text)) return { kind: 'not-json' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'not-json' };
  }
  if (!Array.isArray(value)) return { kind: 'not-json' };
  const values: string[] = [];
  for (const v of value) {
    if (typeof v !== 'string') return { kind: 'not-strings' };
    values.push(v);
  }
  return { kind: 'strings', values };
}
