// ARG scoping (Dockerfile reference "Scope" and "Predefined ARGs"):
// - global ARGs (before the first FROM) are usable in FROM lines; inside a stage only after
//   `ARG NAME` re-declares them (which then inherits the global value);
// - a --build-arg overrides the default of a declared ARG, and is ignored (reported) otherwise;
// - proxy ARGs are usable without declaration, reach RUN only, never history;
// - platform ARGs are defined in the global scope automatically.

import { DockerfileError } from '../errors.js';
import { LIMITS } from '../dockerfile/limits.js';
import type { EscapeChar } from '../dockerfile/types.js';
import type { ArgInstruction } from '../instructions/types.js';
import { expandWord } from '../shell/index.js';
import { PLATFORM_ARG_NAMES } from './platform.js';
import type { GlobalArg } from './types.js';

export const PROXY_ARGS: ReadonlySet<string> = new Set([
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy',
  'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
]);

/** Build args that configure the builder itself; never reported as unused. */
function isBuilderArg(name: string): boolean {
  return name.startsWith('BUILDKIT_') || name === 'SOURCE_DATE_EPOCH';
}

export function expandWithMeta(text: string, meta: Readonly<Record<string, string | undefined>>, escape: EscapeChar): { value: string; used: string[]; unset: string[] } {
  return expandWord(text, (n) => (Object.hasOwn(meta, n) ? meta[n] : undefined), {
    escape, maxOutputBytes: LIMITS.maxExpansionBytes, maxDepth: LIMITS.maxExpansionDepth,
  });
}

/** Evaluate the global ARGs in order; each default may use the ones before it. */
export function resolveGlobalArgs(
  decls: readonly ArgInstruction[],
  buildArgs: Readonly<Record<string, string>>,
  platformValues: Readonly<Record<string, string>>,
  escape: EscapeChar,
  useBuildArgs = true,
): { globals: GlobalArg[]; meta: Record<string, string | undefined> } {
  const meta: Record<string, string | undefined> = { ...platformValues };
  const globals: GlobalArg[] = [];
  for (const ins of decls) {
    for (const a of ins.args) {
      let value: string | undefined;
      if (useBuildArgs && Object.hasOwn(buildArgs, a.name)) value = buildArgs[a.name];
      else if (a.default !== undefined) value = locate(ins, () => expandWithMeta(a.default!, meta, escape).value);
      else value = Object.hasOwn(platformValues, a.name) ? platformValues[a.name] : undefined;
      meta[a.name] = value;
      globals.push(value === undefined ? { name: a.name, location: ins.location } : { name: a.name, value, location: ins.location });
    }
  }
  return { globals, meta };
}

/** Proxy values from --build-arg: RUN's environment only. */
export function proxyEnvOf(buildArgs: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(buildArgs).filter(([k]) => PROXY_ARGS.has(k)));
}

export function unusedBuildArgs(buildArgs: Readonly<Record<string, string>>, declared: ReadonlySet<string>): string[] {
  return Object.keys(buildArgs)
    .filter((k) => !declared.has(k) && !PROXY_ARGS.has(k) && !PLATFORM_ARG_NAMES.has(k) && !isBuilderArg(k))
    .sort();
}

/** The value an `ARG name[=default]` in a stage takes (BuildKit dispatchArg). */
export function resolveArgValue(
  name: string,
  expandedDefault: string | undefined,
  buildArgs: Readonly<Record<string, string>>,
  meta: Readonly<Record<string, string | undefined>>,
): string | undefined {
  if (Object.hasOwn(buildArgs, name)) return buildArgs[name];
  if (expandedDefault !== undefined) return expandedDefault;
  return Object.hasOwn(meta, name) ? meta[name] : undefined;
}

export function locate<T>(ins: { location: DockerfileError['location'] }, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DockerfileError && e.location === undefined) {
      throw new DockerfileError(e.code, e.message, { location: ins.location, cause: e, details: e.details });
    }
    throw e;
  }
}
