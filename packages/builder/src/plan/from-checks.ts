// Build checks on FROM lines, which need the global ARGs: UndefinedArgInFrom,
// InvalidDefaultArgInFrom, RedundantTargetPlatform, FromPlatformFlagConstDisallowed.

import type { EscapeChar, Warning } from '../dockerfile/types.js';
import { suggest } from '../dockerfile/suggest.js';
import type { FromInstruction } from '../instructions/types.js';
import { createWarning } from '../instructions/warnings.js';
import { expandWithMeta } from './args.js';

const REFERENCE = /^[a-z0-9][a-z0-9._\-/]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?(@[a-z0-9]+:[a-f0-9]+)?$/i;

function tryExpand(text: string, meta: Readonly<Record<string, string | undefined>>, escape: EscapeChar): { value: string; used: string[] } | undefined {
  try {
    return expandWithMeta(text, meta, escape);
  } catch {
    return undefined; // the real expansion (plan) reports the error
  }
}

export function checkFromLines(
  froms: readonly FromInstruction[],
  declared: ReadonlySet<string>,
  defaultsMeta: Readonly<Record<string, string | undefined>>,
  escape: EscapeChar,
): Warning[] {
  const out: Warning[] = [];
  const candidates = [...declared];
  for (const from of froms) {
    for (const text of [from.image, from.platform ?? '']) {
      const r = tryExpand(text, defaultsMeta, escape);
      for (const name of r?.used ?? []) {
        if (declared.has(name)) continue;
        const guess = suggest(name, candidates, true);
        out.push(createWarning('UndefinedArgInFrom', `FROM argument '${name}' is not declared${guess === undefined ? '' : ` (did you mean ${guess}?)`}`, from.location));
      }
    }
    const base = tryExpand(from.image, defaultsMeta, escape);
    if (base !== undefined && base.used.length > 0 && base.used.every((n) => declared.has(n)) && !REFERENCE.test(base.value.trim())) {
      out.push(createWarning('InvalidDefaultArgInFrom', `Default value for ARG ${from.image} results in empty or invalid base image name`, from.location));
    }
    if (from.platform !== undefined) {
      const p = from.platform.trim();
      if (p === '$TARGETPLATFORM' || p === '${TARGETPLATFORM}') {
        out.push(createWarning('RedundantTargetPlatform', `Setting platform to predefined ${p} in FROM is redundant as this is the default behavior`, from.location));
      } else if (!p.includes('$')) {
        // BuildKit allows a constant when the stage name says which platform it is for.
        const parts = p.toLowerCase().split('/');
        const name = from.stageName ?? '';
        if (!parts.some((x) => x !== '' && name.includes(x))) {
          out.push(createWarning('FromPlatformFlagConstDisallowed', `FROM --platform flag should not use constant value "${p}"`, from.location));
        }
      }
    }
  }
  return out;
}
