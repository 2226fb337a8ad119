// What a COPY reads from the context, as one digest: sha256 over the sorted (path, type, content
// digest, mode) list of its entries. A cache key hashes this one digest (a few hundred bytes), never the list;
// the list itself is only built when someone asks (a cache miss explaining itself). Pure: no fs.
import { createHash } from 'node:crypto';
import type { EntryDigest } from './types.js';

/** The entries a COPY reads from the context. */
export interface SourceSet {
  /** "sha256:<hex>" of the sorted list (digestSourceList). */
  readonly digest: string;
  /** The list, sorted by path, one entry per path; may read files (the stat cache answers most). */
  entries(): readonly EntryDigest[];
}

// 2: the entry type is part of each line (a file holding "t" and a symlink to "t" were one input).
const LIST_VERSION = 'tsbuild-source-list/2\n';

/**
 * Sorts by path (raw bytes for names that are not UTF-8) and keeps the last entry of a path named
 * twice (two sources bringing the same file), so the order of sources never matters.
 */
export function sortSourceList(list: readonly EntryDigest[]): EntryDigest[] {
  const sorted = [...list].sort((a, b) => compare(a.path, b.path) || compare(bytesField(a), bytesField(b)));
  const out: EntryDigest[] = [];
  for (const e of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last.path === e.path && bytesField(last) === bytesField(e)) out[out.length - 1] = e;
    else out.push(e);
  }
  return out;
}

/** The digest of a list sorted by sortSourceList: one line per entry, "path\0bytes\0type\0digest\0mode\n". */
export function digestSourceList(sorted: readonly EntryDigest[]): string {
  // One string, one update: 10,000 entries hash in about a millisecond.
  let text = LIST_VERSION;
  for (const e of sorted) text += `${e.path}\0${bytesField(e)}\0${e.type ?? ''}\0${e.digest}\0${modeText(e.mode)}\n`;
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** A SourceSet over a list already in memory (tests, and callers without a stat cache). */
export function sourceSetOf(list: readonly EntryDigest[]): SourceSet {
  const sorted = sortSourceList(list);
  const digest = digestSourceList(sorted);
  return { digest, entries: () => sorted };
}

/** Permission bits as four octal digits, the form cache inputs show ("0644"). */
export function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function bytesField(e: EntryDigest): string {
  return e.pathBytes === undefined ? '' : e.pathBytes.toString('base64');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
