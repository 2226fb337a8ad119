// Exclusion rules in .dockerignore syntax (moby patternmatcher semantics through @balena/dockerignore):
// the last matching pattern wins, `!` re-includes, and a matched directory excludes what is below it.
// Used for COPY/ADD --exclude, and as the stand-in for the context's own .dockerignore rules when a
// source root is given plain patterns. Evaluating pattern by pattern is what lets us name the line.
import dockerignore from '@balena/dockerignore';

// The package is CommonJS (`module.exports = factory`) with ESM-style typings: under NodeNext the
// default import is the factory at run time but typed as the module object.
type Factory = typeof dockerignore.default;
const ignore: Factory = (dockerignore as unknown as { default?: Factory }).default ?? (dockerignore as unknown as Factory);

export interface ExclusionHit {
  /** 1-based index of the pattern in the list (the .dockerignore line when the list is that file). */
  line: number;
  pattern: string;
}

/** Exclusion rules over paths relative to a root ('/'-separated, no leading slash). */
export interface ExclusionRules {
  /** The rule that excludes `rel`, or undefined when `rel` is included. */
  excludedBy(rel: string, isDir: boolean): ExclusionHit | undefined;
  /** True when an excluded directory may still hold included paths (a later `!` rule). */
  hasExceptions(): boolean;
}

interface Rule {
  line: number;
  pattern: string;
  negated: boolean;
  matcher: ReturnType<typeof ignore>;
}

/**
 * Builds rules from patterns. `lines` gives each pattern's line number (defaults to its 1-based index);
 * blank and comment entries are skipped by the caller or here.
 */
export function compileExclusions(patterns: readonly string[], lines?: readonly number[]): ExclusionRules {
  const rules: Rule[] = [];
  patterns.forEach((raw, i) => {
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    const negated = text.startsWith('!');
    const body = negated ? text.slice(1).trim() : text;
    if (body === '') return;
    rules.push({ line: lines?.[i] ?? i + 1, pattern: text, negated, matcher: ignore().add(body) });
  });
  const exceptions = rules.some((r) => r.negated);
  return {
    excludedBy(rel: string): ExclusionHit | undefined {
      if (rel === '' || rules.length === 0) return undefined;
      let hit: Rule | undefined;
      for (const r of rules) if (r.matcher.ignores(rel)) hit = r;
      return hit === undefined || hit.negated ? undefined : { line: hit.line, pattern: hit.pattern };
    },
    hasExceptions: () => exceptions,
  };
}

/** Rules that exclude nothing. */
export const NO_EXCLUSIONS: ExclusionRules = { excludedBy: () => undefined, hasExceptions: () => false };
