// Construct build-check warnings with BuildKit's rule names, messages and documentation links,
// and apply `# check=skip=...` to a list of them.

import type { SourceRange } from '../errors.js';
import type { CheckConfig, CheckRule, Warning } from '../dockerfile/types.js';

function kebab(rule: string): string {
  return rule.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();
}

export function createWarning(rule: CheckRule, message: string, location: SourceRange): Warning {
  return { rule, message, location, url: `https://docs.docker.com/go/dockerfile/rule/${kebab(rule)}/` };
}

export function isSkipped(config: CheckConfig, rule: string): boolean {
  if (config.skip === 'all') return true;
  const r = rule.toLowerCase();
  return config.skip.some((s) => s.toLowerCase() === r);
}

/** Drop skipped rules; sort by position so the output reads top to bottom. */
export function filterWarnings(config: CheckConfig, warnings: readonly Warning[]): Warning[] {
  return warnings
    .filter((w) => !isSkipped(config, w.rule))
    .sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column);
}
