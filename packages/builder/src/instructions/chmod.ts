// `--chmod` values: octal (`755`, `0644`, `4755`) or symbolic (`u+x,g=r,o-w`, `a+X`), and
// `applyChmod` so COPY/ADD apply them the same way everywhere. `--chown` splitting lives here too.

import type { ChmodClause, ChmodSpec, ChownSpec } from './types.js';

const SYMBOLIC = /^([ugoa]*)([+=-])([rwxXst]*)$/;

/** Undefined when the value is neither a valid octal mode (≤ 07777) nor a symbolic mode. */
export function parseChmod(value: string): ChmodSpec | undefined {
  if (/^[0-7]{1,5}$/.test(value)) {
    const mode = parseInt(value, 8);
    return mode <= 0o7777 ? { kind: 'octal', mode } : undefined;
  }
  if (value === '') return undefined;
  const clauses: ChmodClause[] = [];
  for (const part of value.split(',')) {
    const m = SYMBOLIC.exec(part);
    if (m === null) return undefined;
    clauses.push({ who: m[1]!.includes('a') ? '' : m[1]!, op: m[2] as ChmodClause['op'], perms: m[3]! });
  }
  return { kind: 'symbolic', clauses };
}

const SHIFT: Readonly<Record<string, number>> = { u: 6, g: 3, o: 0 };

/** The new permission bits (07777) for a file whose current mode is `mode`. */
export function applyChmod(spec: ChmodSpec, mode: number, isDir: boolean): number {
  if (spec.kind === 'octal') return spec.mode;
  let cur = mode & 0o7777;
  for (const c of spec.clauses) {
    const who = c.who === '' ? 'ugo' : c.who;
    let bits = 0;
    for (const w of who) {
      const s = SHIFT[w]!;
      for (const p of c.perms) {
        if (p === 'r') bits |= 4 << s;
        else if (p === 'w') bits |= 2 << s;
        else if (p === 'x') bits |= 1 << s;
        else if (p === 'X' && (isDir || (cur & 0o111) !== 0)) bits |= 1 << s;
        else if (p === 's' && w === 'u') bits |= 0o4000;
        else if (p === 's' && w === 'g') bits |= 0o2000;
        else if (p === 't' && w === 'o') bits |= 0o1000;
      }
    }
    if (c.op === '+') cur |= bits;
    else if (c.op === '-') cur &= ~bits;
    else {
      let clear = 0;
      for (const w of who) clear |= (7 << SHIFT[w]!) | (w === 'u' ? 0o4000 : w === 'g' ? 0o2000 : 0o1000);
      cur = (cur & ~clear) | bits;
    }
  }
  return cur & 0o7777;
}

/** `user[:group]`; undefined for an empty user. */
export function parseChown(value: string): ChownSpec | undefined {
  const colon = value.indexOf(':');
  const user = colon < 0 ? value : value.slice(0, colon);
  if (user === '') return undefined;
  if (colon < 0) return { user };
  const group = value.slice(colon + 1);
  return group === '' ? { user } : { user, group };
}
