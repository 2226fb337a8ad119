// --chmod for COPY/ADD: octal ("755", "0644") or symbolic chmod(1) clauses ("u+x,g-w", "a=rX", "go=u").
// BuildKit applies the mode to every copied file and directory (not to destination parents it creates),
// so a mode rule is a function of (source mode, is-directory): `X` needs both. Symbolic clauses start
// from the source's own bits and ignore the umask (a build has none), as BuildKit does.
import { DockerfileError } from '../errors.js';
import type { ChmodClause, ChmodSpec } from '../instructions/types.js';

/** A --chmod ready to apply: maps a source's permission bits to the copied entry's. */
export interface ModeRule {
  /** Canonical text, for cache keys and messages ("0755", "u+x,g-w"). */
  readonly text: string;
  /** The new bits (07777) for an entry whose source bits are `mode`. */
  apply(mode: number, isDir: boolean): number;
}

const WHO_BITS: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007 };
const SHIFT: Record<string, number> = { u: 6, g: 3, o: 0 };
const CLAUSE = /^([ugoa]*)((?:[-+=](?:[ugo]|[rwxXst]*))+)$/;

function invalid(text: string, why: string): DockerfileError {
  return new DockerfileError('COPY_CHMOD_INVALID', `invalid --chmod=${text}: ${why}`, {
    hint: 'use octal (--chmod=755) or chmod(1) symbolic clauses (--chmod=u=rwX,go=rX)',
  });
}

/**
 * Parses a raw --chmod into the instruction form (the front end does this for Dockerfiles; this is for
 * callers holding a string). `perms` may also be one class letter to copy ("g=u"). Throws
 * DockerfileError COPY_CHMOD_INVALID.
 */
export function parseChmod(text: string): ChmodSpec {
  if (/^[0-7]{1,4}$/.test(text)) return { kind: 'octal', mode: parseInt(text, 8) };
  if (text === '') throw invalid(text, 'empty mode');
  const clauses: ChmodClause[] = [];
  for (const c of text.split(',')) {
    const m = CLAUSE.exec(c);
    if (m === null) throw invalid(text, `bad clause ${JSON.stringify(c)}`);
    const who = m[1].includes('a') ? '' : m[1];
    for (const o of m[2].matchAll(/([-+=])([ugo]|[rwxXst]*)/g)) {
      clauses.push({ who, op: o[1] as ChmodClause['op'], perms: o[2] });
    }
  }
  return { kind: 'symbolic', clauses };
}

/** The rule a parsed --chmod stands for. */
export function modeRuleOf(spec: ChmodSpec): ModeRule {
  if (spec.kind === 'octal') {
    const bits = spec.mode & 0o7777;
    return { text: bits.toString(8).padStart(4, '0'), apply: () => bits };
  }
  const clauses = spec.clauses.map((c) => ({ ...c, who: c.who === '' ? 'ugo' : c.who.replace('a', 'ugo') }));
  return {
    text: spec.clauses.map((c) => `${c.who}${c.op}${c.perms}`).join(','),
    apply(mode: number, isDir: boolean): number {
      let cur = mode & 0o7777;
      for (const c of clauses) cur = applyClause(cur, mode, isDir, c.who, c.op, c.perms);
      return cur;
    },
  };
}

/** The bits `perms` stands for, restricted to the classes in `who`. */
function permBits(cur: number, original: number, isDir: boolean, who: string, perms: string): number {
  let rwx = 0;
  let special = 0;
  if (perms === 'u' || perms === 'g' || perms === 'o') {
    rwx = (cur >> SHIFT[perms]) & 7; // copy another class's current bits ("g=u")
  } else {
    for (const p of perms) {
      if (p === 'r') rwx |= 4;
      else if (p === 'w') rwx |= 2;
      else if (p === 'x') rwx |= 1;
      else if (p === 'X' && (isDir || (original & 0o111) !== 0)) rwx |= 1;
      else if (p === 's') special |= 0o6000;
      else if (p === 't') special |= 0o1000;
    }
  }
  let bits = 0;
  for (const w of new Set(who)) bits |= (rwx << SHIFT[w]) | (special & WHO_BITS[w]);
  return bits;
}

function applyClause(cur: number, original: number, isDir: boolean, who: string, op: string, perms: string): number {
  const bits = permBits(cur, original, isDir, who, perms);
  if (op === '+') return cur | bits;
  if (op === '-') return cur & ~bits;
  let mask = 0;
  for (const w of who) mask |= WHO_BITS[w];
  // chmod(1) keeps a directory's setuid/setgid bits on "=" unless they are named explicitly.
  if (isDir) mask &= ~0o6000 | (bits & 0o6000);
  return (cur & ~mask) | bits;
}
