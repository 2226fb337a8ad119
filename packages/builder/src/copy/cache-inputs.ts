// The cache-key inputs of a COPY/ADD, as a pure function: what the step reads (its source entries'
// content digests and modes) and every flag that changes the result. Never mtimes (a touched but
// unchanged file must hit) and never host paths (two checkouts of one project share a cache).
//
// The source entries are one input, `copy:files`, keyed by the SourceSet's digest: a key over 10,000
// files hashes a few hundred bytes, and a cache hit never lists the files. The per-file inputs
// ("file:<path>" → "<digest>:<mode>") are the group's members, listed only when a miss is explained
// or a probe record written.
import { createHash } from 'node:crypto';
import { modeText, type SourceSet } from '../context/source-set.js';
import type { EntryDigest } from '../context/types.js';
import { modeRuleOf } from './chmod.js';
import { chownText } from './chown.js';
import { destOf } from './run.js';
import type { CopyParams } from './types.js';

/**
 * Many inputs keyed as one: the step key hashes `digest` alone; `members()` lists what it stands for,
 * in the flat form of other inputs, and is only called on a cache miss.
 */
export interface InputGroup {
  readonly digest: string;
  members(): Record<string, string>;
}

/** A COPY's inputs: flags as strings, the source files as one group. */
export type CopyInputs = Record<string, string | InputGroup>;

/**
 * The inputs of a COPY/ADD reading `sources` from the context (none for --from: the caller adds the
 * stage's key). Deterministic: equal inputs give equal keys whatever the order of the sources.
 */
export function copyCacheInputs(params: CopyParams, sources?: SourceSet): CopyInputs {
  const dest = destOf(params.dest, params.workdir);
  const out: CopyInputs = {
    'copy:kind': params.kind,
    'copy:dest': dest.isDir && dest.path !== '/' ? dest.path + '/' : dest.path,
    'copy:sources': JSON.stringify(params.sources),
  };
  if (params.chown !== undefined) out['copy:chown'] = chownText(params.chown);
  if (params.chmod !== undefined) out['copy:chmod'] = modeRuleOf(params.chmod).text;
  if (params.parents === true) out['copy:parents'] = 'true';
  if (params.excludes !== undefined && params.excludes.length > 0) out['copy:excludes'] = JSON.stringify(params.excludes);
  if (params.link === true) out['copy:link'] = 'true';
  if (params.kind === 'ADD') out['copy:unpack'] = params.unpack === undefined ? 'auto' : String(params.unpack);
  (params.sourceContents ?? []).forEach((c, i) => {
    out[`copy:heredoc:${i}`] = sha256(`${c.path}\0${c.data}`);
  });
  if (sources !== undefined) {
    let members: Record<string, string> | undefined;
    out['copy:files'] = { digest: sources.digest, members: () => (members ??= fileInputs(sources.entries())) };
  }
  return out;
}

/**
 * The per-file inputs a source list stands for: "file:<path>" → "<digest>:<mode>", prefixed with the
 * type for a directory or symlink ("symlink:<digest>:<mode>"), so a file turned into a link is named.
 */
export function fileInputs(list: readonly EntryDigest[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of list) {
    // A name that is not UTF-8 renders lossily; its bytes keep two such names apart.
    const name = e.pathBytes === undefined ? e.path : `${e.path} (bytes ${e.pathBytes.toString('base64')})`;
    out[`file:${name}`] = `${e.type === 'dir' || e.type === 'symlink' ? `${e.type}:` : ''}${e.digest}:${modeText(e.mode)}`;
  }
  return out;
}

function sha256(text: string): string {
  return 'sha256:' + createHash('sha256').update(text).digest('hex');
}
