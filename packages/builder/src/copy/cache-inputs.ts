// The cache-key inputs of a COPY/ADD, as a pure function: what the step reads (each source entry's
// content digest and mode) and every flag that changes the result. Never mtimes (a touched but
// unchanged file must hit) and never host paths (two checkouts of one project share a cache).
import { createHash } from 'node:crypto';
import { modeRuleOf } from './chmod.js';
import { chownText } from './chown.js';
import { destOf } from './run.js';
import type { CopyParams } from './types.js';

/** One source entry as the context (or a stage's file index) describes it. */
export interface SourceDigest {
  /** Path relative to the source root ('/'-separated). */
  path: string;
  /** Content digest ("sha256:..."; for symlinks the digest of the target text, for dirs of the listing). */
  digest: string;
  /** st_mode (type bits included or not: only the permission bits are keyed). */
  mode: number;
}

/**
 * Flat inputs ("file:<path>" → "<digest>:<mode>", "copy:<flag>" → value) for the executor's StepInputs.
 * Deterministic: equal inputs give equal records whatever the order of `sources`.
 */
export function copyCacheInputs(params: CopyParams, sources: readonly SourceDigest[]): Record<string, string> {
  const dest = destOf(params.dest, params.workdir);
  const out: Record<string, string> = {
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
  for (const s of [...sources].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    out[`file:${s.path}`] = `${s.digest}:${(s.mode & 0o7777).toString(8).padStart(4, '0')}`;
  }
  return out;
}

function sha256(text: string): string {
  return 'sha256:' + createHash('sha256').update(text).digest('hex');
}
