// Dispatch-time expansion: an instruction + the variables of its point → the values BuildKit would
// use. Only what the Dockerfile reference expands is expanded: ADD, COPY (sources, dest, --chown,
// --chmod, --exclude, --checksum, heredoc bodies with an unquoted delimiter), ENV and LABEL (keys
// and values), ARG defaults, EXPOSE, USER, VOLUME, WORKDIR, STOPSIGNAL and RUN --mount values. RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK commands
// are left to the shell; FROM is expanded by the plan with the global ARGs; ONBUILD triggers are
// expanded when a child build runs them. Pure: the caller supplies the lookup.

import { DockerfileError } from '../errors.js';
import { LIMITS } from '../dockerfile/limits.js';
import type { EscapeChar, Warning } from '../dockerfile/types.js';
import { expandWord, expandWords, type Lookup } from '../shell/index.js';
import { parseChmod, parseChown } from './chmod.js';
import type { ParseContext } from './context.js';
import { resolveMount } from './mount.js';
import type {
  ChmodSpec, ChownSpec, ExpandedInstruction, Instruction, KeyValue, PortSpec,
} from './types.js';
import { containerPortOf, isValidSignal, parsePort } from './values.js';
import { createWarning } from './warnings.js';

export interface InstructionExpandOptions {
  escape?: EscapeChar;
  file?: string;
  /** Physical lines of the Dockerfile, to point errors at the offending word. */
  lines?: readonly string[];
  /**
   * Names declared by ARG in scope (set or not) or otherwise known (proxy args): an unset variable
   * with such a name is not reported as UndefinedVar.
   */
  isDeclared?: (name: string) => boolean;
  /**
   * The --build-arg values. An ARG default that a build arg overrides is not expanded (BuildKit
   * ignores it, so `ARG X=${Y:?}` with --build-arg X=1 must not fail).
   */
  buildArgs?: Readonly<Record<string, string>>;
}

export interface ExpansionInfo {
  instruction: ExpandedInstruction;
  /** Every variable name looked up, first-use order. */
  used: string[];
  /** Names looked up that had no value. */
  unset: string[];
  /** UndefinedVar findings (not yet filtered by `# check=skip`). */
  warnings: Warning[];
}

export function expandInstruction(ins: Instruction, lookup: Lookup, opts: InstructionExpandOptions = {}): ExpandedInstruction {
  return expandInstructionWithInfo(ins, lookup, opts).instruction;
}

export function expandInstructionWithInfo(ins: Instruction, lookup: Lookup, opts: InstructionExpandOptions = {}): ExpansionInfo {
  const used = new Set<string>();
  const unset = new Set<string>();
  const shellOpts = { escape: opts.escape ?? '\\', maxOutputBytes: LIMITS.maxExpansionBytes, maxDepth: LIMITS.maxExpansionDepth };
  const word = (w: string): string => {
    const r = withLocation(ins, () => expandWord(w, lookup, shellOpts));
    for (const n of r.used) used.add(n);
    for (const n of r.unset) unset.add(n);
    return r.value;
  };
  const words = (w: string): string[] => {
    const r = withLocation(ins, () => expandWords(w, lookup, shellOpts));
    for (const n of r.used) used.add(n);
    for (const n of r.unset) unset.add(n);
    return r.value;
  };
  const ctx: ParseContext = { file: opts.file ?? ins.location.file, lines: opts.lines ?? [], escape: opts.escape ?? '\\' };
  const raw = (w: string): string => {
    // COPY/ADD heredoc bodies: BuildKit expands them with quotes kept (SkipProcessQuotes) and `\`
    // as escape; escaping every quote gives the shell expander the same semantics.
    const r = withLocation(ins, () => expandWord(w.replace(/["']/g, '\\$&'), lookup, { ...shellOpts, escape: '\\', maxOutputBytes: LIMITS.maxFileBytes }));
    for (const n of r.used) used.add(n);
    for (const n of r.unset) unset.add(n);
    return r.value;
  };
  const overridden = (name: string): boolean => opts.buildArgs !== undefined && Object.hasOwn(opts.buildArgs, name);
  const instruction = expandByKind(ins, { word, words, raw, overridden }, ctx);
  const declared = opts.isDeclared ?? (() => false);
  const warnings = [...unset].filter((n) => !declared(n))
    .map((n) => createWarning('UndefinedVar', `Usage of undefined variable '$${n}'`, ins.location));
  return { instruction, used: [...used], unset: [...unset], warnings };
}

type Expand = (w: string) => string;

interface Expanders {
  word: Expand;
  words: (w: string) => string[];
  raw: Expand;
  overridden: (argName: string) => boolean;
}

function expandByKind(ins: Instruction, x: Expanders, ctx: ParseContext): ExpandedInstruction {
  const { word, words } = x;
  switch (ins.kind) {
    case 'RUN': {
      let ssh = 0;
      const resolvedMounts = ins.mounts.map((m) => resolveMount(m, word, ins.location, ctx, m.type === 'ssh' ? ssh++ : 0));
      return { ...ins, resolvedMounts };
    }
    case 'ENV': return { ...ins, env: expandPairs(ins.env, word) };
    case 'LABEL': return { ...ins, labels: expandPairs(ins.labels, word) };
    case 'ARG':
      // Names are not expanded (BuildKit dispatchArg); defaults only when no build arg replaces them.
      return {
        ...ins,
        args: ins.args.map((a) => (a.default === undefined || x.overridden(a.name) ? a : { name: a.name, default: word(a.default) })),
      };
    case 'EXPOSE': {
      const ports = ins.ports.flatMap((p) => words(p));
      const portSpecs: PortSpec[] = ports.map((p) => {
        const spec = parsePort(containerPortOf(p));
        if (spec === undefined) fail(ins, 'DF_INVALID_PORT', `EXPOSE: invalid port '${p}': expected port[-port][/tcp|udp|sctp]`);
        return spec;
      });
      return { ...ins, ports, portSpecs };
    }
    case 'VOLUME': {
      const volumes = ins.volumes.map(word);
      if (volumes.some((v) => v.trim() === '')) fail(ins, 'DF_MISSING_ARGUMENT', 'VOLUME specified can not be an empty string');
      return { ...ins, volumes };
    }
    case 'USER': return { ...ins, user: word(ins.user) };
    case 'WORKDIR': {
      const path = word(ins.path);
      if (path === '') fail(ins, 'DF_MISSING_ARGUMENT', 'WORKDIR path is empty after expansion');
      return { ...ins, path };
    }
    case 'STOPSIGNAL': {
      const signal = word(ins.signal);
      if (!isValidSignal(signal)) fail(ins, 'DF_INVALID_SIGNAL', `STOPSIGNAL: invalid signal '${signal}'`);
      return { ...ins, signal };
    }
    case 'COPY':
    case 'ADD': {
      const { chown: rawChown, chmod: rawChmod, ...rest } = ins;
      const dest = word(ins.dest);
      if (dest === '') fail(ins, 'DF_MISSING_ARGUMENT', `${ins.kind}: the destination is empty after expansion`);
      const sourceContents = ins.sourceContents.map((c) => (c.expand ? { ...c, data: x.raw(c.data) } : c));
      const out = { ...rest, sources: ins.sources.map(word), sourceContents, dest, excludes: ins.excludes.map(word) } as typeof rest & { chown?: ChownSpec; chmod?: ChmodSpec };
      if (rawChown !== undefined) {
        const v = word(rawChown);
        const spec = parseChown(v);
        if (spec === undefined && v !== '') fail(ins, 'DF_FLAG_VALUE', `${ins.kind}: invalid --chown=${v}: expected user[:group]`);
        if (spec !== undefined) out.chown = spec;
      }
      if (rawChmod !== undefined) {
        const v = word(rawChmod);
        const spec = parseChmod(v);
        if (spec === undefined) fail(ins, 'DF_INVALID_CHMOD', `${ins.kind}: invalid --chmod=${v}`);
        out.chmod = spec;
      }
      if (ins.kind === 'ADD' && ins.checksum !== undefined) (out as { checksum?: string }).checksum = word(ins.checksum);
      return out as ExpandedInstruction;
    }
    default:
      return ins;
  }
}

function expandPairs(pairs: readonly KeyValue[], word: Expand): KeyValue[] {
  return pairs.map((p) => ({ key: word(p.key), value: word(p.value) }));
}

function fail(ins: Instruction, code: string, message: string): never {
  throw new DockerfileError(code, message, { location: ins.location });
}

/** Expansion errors come without a location; give them the instruction's. */
function withLocation<T>(ins: Instruction, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DockerfileError && e.location === undefined) {
      throw new DockerfileError(e.code, e.message, { location: ins.location, cause: e, details: e.details, ...(e.hint === undefined ? {} : { hint: e.hint }) });
    }
    throw e;
  }
}
