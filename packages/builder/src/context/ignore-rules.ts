// The one exclusion-pattern implementation of the builder, for .dockerignore and COPY/ADD --exclude
// (BuildKit uses moby's patternmatcher for both): moby's reading (comments, trimming, `!`,
// filepath.Clean, leading `/` dropped) and @balena/dockerignore's matching (patternmatcher semantics:
// `*`/`?` within a component, `**` across, case-sensitive, a matched directory excludes everything below
// it, the last matching line wins). Rules are kept one per line so a decision can name the line that
// made it.
import dockerignore from '@balena/dockerignore';
import { CONTEXT_CODES, usageError } from './codes.js';

// The package is CommonJS with ESM-style typings; under NodeNext the default import is the factory at
// run time but typed as the module object.
type Factory = typeof dockerignore.default;
const createIgnore: Factory = (dockerignore as unknown as { default?: Factory }).default ?? (dockerignore as unknown as Factory);

/** The line that decided a path's exclusion. */
export interface ExclusionHit {
  /** 1-based line number in the ignore file. */
  line: number;
  /** The line as written (trimmed). */
  pattern: string;
}

/** What a walk asks of exclusion rules (.dockerignore or --exclude); the copier and mounts take this. */
export interface ExclusionRules {
  /** The line excluding `rel` ('/'-separated, relative to the rules' root), or undefined when included. */
  excludedBy(rel: string, isDir: boolean): ExclusionHit | undefined;
  /** True when some `!` line may re-include paths below an excluded directory. */
  hasExceptions(): boolean;
}

/** Parsed rules with where they came from. */
export interface IgnoreRules extends ExclusionRules {
  /** The ignore file these rules came from (host path), if any. */
  readonly file: string | undefined;
  /** The patterns, as moby normalises them (for BuildKit-compatible reporting). */
  readonly patterns: readonly string[];
}

interface Rule {
  line: number;
  pattern: string;
  /** The pattern without `!`. */
  body: string;
  negated: boolean;
  matcher: ReturnType<Factory>;
}

/**
 * Parses ignore-file text. Throws DOCKERIGNORE_INVALID for a lone `!` (moby: "illegal exclusion
 * pattern") or a pattern that does not compile, naming the line: a broken ignore file must never
 * silently let files through.
 */
export function parseIgnoreRules(text: string, file?: string): IgnoreRules {
  const rules: Rule[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.startsWith('#')) return;
    let body = raw.trim();
    if (body === '') return;
    const negated = body.startsWith('!');
    if (negated) body = body.slice(1).trim();
    if (body === '') {
      throw invalid(file, line, raw, 'a lone "!" excludes nothing and is rejected (illegal exclusion pattern)');
    }
    const matcher = createIgnore({ ignorecase: false }).add(body);
    try {
      // Matching compiles the pattern; do it now so a bad pattern fails here and not mid-walk.
      matcher.ignores('probe');
    } catch (err) {
      throw invalid(file, line, raw, `the pattern does not compile (${(err as Error).message})`);
    }
    rules.push({ line, pattern: raw.trim(), body, negated, matcher });
  });
  const exceptions = rules.some((r) => r.negated);
  // One matcher over all lines answers the common question (excluded or not) with one cache entry per
  // path; the per-line matchers only run for excluded paths, to name the line. Their caches grow with
  // every path asked, so they are rebuilt now and then instead of holding lines × paths entries.
  const all = createIgnore({ ignorecase: false }).add(rules.map((r) => (r.negated ? `!${r.body}` : r.body)));
  let asked = 0;
  return {
    file,
    patterns: rules.map((r) => r.pattern),
    hasExceptions: () => exceptions,
    excludedBy(rel: string): ExclusionHit | undefined {
      if (rel === '' || rules.length === 0 || !all.ignores(rel)) return undefined;
      if (++asked > PER_LINE_CACHE_LIMIT) {
        asked = 0;
        for (const rule of rules) rule.matcher = createIgnore({ ignorecase: false }).add(rule.body);
      }
      let hit: Rule | undefined;
      for (const rule of rules) if (rule.matcher.ignores(rel)) hit = rule;
      return hit === undefined || hit.negated ? undefined : { line: hit.line, pattern: hit.pattern };
    },
  };
}

const PER_LINE_CACHE_LIMIT = 20_000;

/** Rules that exclude nothing (no ignore file). */
export const NO_IGNORE_RULES: IgnoreRules = {
  file: undefined,
  patterns: [],
  excludedBy: () => undefined,
  hasExceptions: () => false,
};

/**
 * Rules for COPY/ADD --exclude: the same syntax, numbered by position in the list (a hit's `line` is
 * the 1-based index of the pattern). Throws DOCKERIGNORE_INVALID like an ignore file (BuildKit's
 * patternmatcher refuses a lone `!` too).
 */
export function parseExcludePatterns(patterns: readonly string[]): IgnoreRules {
  return patterns.length === 0 ? NO_IGNORE_RULES : parseIgnoreRules(patterns.join('\n'), '--exclude');
}

function invalid(file: string | undefined, line: number, raw: string, why: string): Error {
  return usageError(CONTEXT_CODES.ignoreInvalid, `${file ?? '.dockerignore'} line ${line} (${JSON.stringify(raw.trim())}): ${why}`,
    { file, line });
}
