// Instruction flags (`--name=value`), with BuildKit's BFlags rules: unknown flags are errors (with a
// suggestion), string flags need `=value`, bool flags take nothing or true/false, only repeatable
// flags may appear twice.

import type { SourceRange } from '../errors.js';
import { suggest } from '../dockerfile/suggest.js';
import { failNear, type ParseContext } from './context.js';

export type FlagType = 'string' | 'strings' | 'bool';

export interface ParsedFlags {
  string(name: string): string | undefined;
  strings(name: string): string[];
  bool(name: string): boolean;
  /** Bool flag given explicitly (true or false); undefined when absent. */
  optionalBool(name: string): boolean | undefined;
}

export function parseFlags(
  keyword: string,
  raw: readonly string[],
  spec: Readonly<Record<string, FlagType>>,
  range: SourceRange,
  ctx: ParseContext,
): ParsedFlags {
  const values = new Map<string, string[]>();
  const names = Object.keys(spec);
  for (const arg of raw) {
    if (!arg.startsWith('--')) {
      failNear(ctx, range, arg, 'DF_FLAG_SYNTAX', `${keyword}: flag should start with --: ${arg}`);
    }
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const value = eq < 0 ? undefined : body.slice(eq + 1);
    const type = Object.prototype.hasOwnProperty.call(spec, name) ? spec[name] : undefined;
    if (type === undefined) {
      const guess = suggest(name, names, true);
      failNear(ctx, range, `--${name}`, 'DF_UNKNOWN_FLAG', `${keyword}: unknown flag: --${name}`,
        guess === undefined ? (names.length === 0 ? `${keyword} takes no flags` : `valid flags: ${names.map((n) => '--' + n).join(', ')}`) : `did you mean --${guess}?`);
    }
    const seen = values.get(name);
    if (seen !== undefined && type !== 'strings') {
      failNear(ctx, range, `--${name}`, 'DF_FLAG_DUPLICATE', `${keyword}: duplicate flag specified: --${name}`);
    }
    let v: string;
    if (type === 'bool') {
      if (value === '') failNear(ctx, range, `--${name}`, 'DF_FLAG_VALUE', `${keyword}: missing a value on flag: --${name}`);
      const lower = (value ?? 'true').toLowerCase();
      if (lower !== 'true' && lower !== 'false') {
        failNear(ctx, range, `--${name}`, 'DF_FLAG_VALUE', `${keyword}: expecting boolean value for flag --${name}, not: ${value}`);
      }
      v = lower;
    } else {
      if (value === undefined) failNear(ctx, range, `--${name}`, 'DF_FLAG_VALUE', `${keyword}: missing a value on flag: --${name}`);
      v = value;
    }
    if (seen === undefined) values.set(name, [v]);
    else seen.push(v);
  }
  return {
    string: (name) => values.get(name)?.[0],
    strings: (name) => values.get(name) ?? [],
    bool: (name) => values.get(name)?.[0] === 'true',
    optionalBool: (name) => {
      const v = values.get(name)?.[0];
      return v === undefined ? undefined : v === 'true';
    },
  };
}
