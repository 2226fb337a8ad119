// Typed, validated Dockerfile instructions. One interface per keyword, discriminated by `kind`.
//
// Values are kept AS WRITTEN (unexpanded) wherever BuildKit expands them at dispatch time, because
// their value depends on the ENV/ARG state at that step. The executor calls `expandInstruction`
// (instructions/expand.ts) per step to get the `Expanded*` form. Fields documented as "raw" are
// such values.

import type { SourceRange } from '../errors.js';
import type { Heredoc } from '../dockerfile/types.js';

export type InstructionKind =
  | 'FROM' | 'RUN' | 'CMD' | 'LABEL' | 'MAINTAINER' | 'EXPOSE' | 'ENV' | 'ADD' | 'COPY'
  | 'ENTRYPOINT' | 'VOLUME' | 'USER' | 'WORKDIR' | 'ARG' | 'ONBUILD' | 'STOPSIGNAL'
  | 'HEALTHCHECK' | 'SHELL';

export interface InstructionBase<K extends InstructionKind> {
  readonly kind: K;
  /** The keyword as written ('Run'), for messages and casing checks. */
  readonly keyword: string;
  /** Every line the instruction spans (continuations and heredoc bodies included). */
  readonly location: SourceRange;
  /** The instruction text as BuildKit's `Original` (continuations joined): history `created_by`. */
  readonly original: string;
  /** Flags as written, quotes removed (`--mount=type=cache,target=/x`). */
  readonly rawFlags: readonly string[];
}

/**
 * Shell form is run as `[...SHELL, text]` (default `/bin/sh -c`); exec form runs `args` directly.
 * Exec form is chosen only when the argument is a valid JSON array of strings.
 */
export type CommandLine =
  | { form: 'shell'; text: string }
  | { form: 'exec'; args: string[] };

export interface FromInstruction extends InstructionBase<'FROM'> {
  /** Raw: image reference or stage name; expanded with the global ARGs at plan time. */
  image: string;
  /** Lower-cased `AS` name; undefined for an unnamed stage. */
  stageName?: string;
  /** Raw `--platform` value; expanded with the global ARGs at plan time. */
  platform?: string;
}

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

/**
 * A `RUN --mount` spec as written. Values are raw (BuildKit expands each option value at dispatch);
 * options that contain no `$` were already validated. `from` never holds a variable.
 */
export interface MountSpec {
  raw: string;
  type: MountType;
  from?: string;
  /** Canonical option name (`dst` → `target`, `src` → `source`, `ro` → `readonly`) → raw value. */
  options: Record<string, string>;
}

/** A `--mount` after expansion and validation; defaults filled as BuildKit does. */
export interface RunMount {
  type: MountType;
  /** Absent only for secret mounts with `env` set; ssh/secret defaults are filled in. */
  target?: string;
  source?: string;
  /** Stage name (lower-cased), stage index or image reference; the plan resolves it. */
  from?: string;
  readOnly: boolean;
  /** cache: defaults to target; secret: defaults to basename(target); ssh: 'default'. */
  id?: string;
  /** cache only; default 'shared'. */
  sharing?: CacheSharing;
  mode?: number;
  uid?: number;
  gid?: number;
  /** secret and ssh: fail the step when the secret/agent is not provided. */
  required?: boolean;
  /** secret: expose the secret as this environment variable. */
  env?: string;
  /** tmpfs: size limit in bytes. */
  sizeBytes?: number;
}

export type NetworkMode = 'default' | 'none' | 'host';
export type SecurityMode = 'sandbox' | 'insecure';

export interface RunInstruction extends InstructionBase<'RUN'> {
  /** Left to the shell: never expanded by tsbuild. */
  command: CommandLine;
  heredocs: Heredoc[];
  mounts: MountSpec[];
  /** Literal: tsbuild does not expand --network/--security. 'host'/'insecure' need a CLI grant. */
  network: NetworkMode;
  security: SecurityMode;
}

export interface CmdInstruction extends InstructionBase<'CMD'> {
  command: CommandLine;
}

export interface EntrypointInstruction extends InstructionBase<'ENTRYPOINT'> {
  command: CommandLine;
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface LabelInstruction extends InstructionBase<'LABEL'> {
  /** Raw keys and values, quotes kept; expanded (and unquoted) at dispatch. */
  labels: KeyValue[];
  legacyFormat: boolean;
}

export interface EnvInstruction extends InstructionBase<'ENV'> {
  /** Raw keys and values, quotes kept; expanded (and unquoted) at dispatch. */
  env: KeyValue[];
  legacyFormat: boolean;
}

export interface ArgDecl {
  name: string;
  /** Raw default, quotes kept; undefined when declared without one. */
  default?: string;
}

export interface ArgInstruction extends InstructionBase<'ARG'> {
  args: ArgDecl[];
}

export interface MaintainerInstruction extends InstructionBase<'MAINTAINER'> {
  maintainer: string;
}

export interface ExposeInstruction extends InstructionBase<'EXPOSE'> {
  /** Raw words (`80`, `8080/udp`, `$PORT`); expanded into PortSpec at dispatch. */
  ports: string[];
}

export interface PortSpec {
  /** First port of the range. */
  port: number;
  /** Last port of the range (== port when not a range). */
  endPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

/** `--chown=user[:group]` after expansion; names are resolved against the image's /etc files. */
export interface ChownSpec {
  user: string;
  group?: string;
}

/** `--chmod`: octal (`0755`) or symbolic (`u+x,g=r`), see instructions/chmod.ts for `applyChmod`. */
export type ChmodSpec =
  | { kind: 'octal'; mode: number }
  | { kind: 'symbolic'; clauses: ChmodClause[] };

export interface ChmodClause {
  /** Subset of 'ugo'; empty means 'a' (all). */
  who: string;
  op: '+' | '-' | '=';
  /** Subset of 'rwxXst' (X = execute only for directories or already-executable files). */
  perms: string;
}

/** A heredoc used as a COPY/ADD source: a file named `path` holding `data`. */
export interface SourceContent {
  path: string;
  data: string;
  /** Expand variables in `data` at dispatch (unquoted delimiter). */
  expand: boolean;
}

interface CopyLike {
  /** Raw source paths (no heredocs), expanded at dispatch. */
  sources: string[];
  /** Heredoc sources. */
  sourceContents: SourceContent[];
  /** Raw destination. */
  dest: string;
  /** Raw `--chown` value. */
  chown?: string;
  /** Raw `--chmod` value. */
  chmod?: string;
  link: boolean;
  /** Raw `--exclude` patterns (repeatable flag). */
  excludes: string[];
  heredocs: Heredoc[];
  /** True when the sources/dest were given as a JSON array (allows spaces in paths). */
  json: boolean;
}

export interface CopyInstruction extends InstructionBase<'COPY'>, CopyLike {
  /** `--from` as written: stage name, stage index or image reference; the plan resolves it. */
  from?: string;
  parents: boolean;
}

export interface AddInstruction extends InstructionBase<'ADD'>, CopyLike {
  /** Raw `--checksum` (`sha256:<hex>`), for remote sources. */
  checksum?: string;
  keepGitDir: boolean;
  /** `--unpack`: undefined means "auto" (local archives are unpacked, URLs are not). */
  unpack?: boolean;
}

export interface VolumeInstruction extends InstructionBase<'VOLUME'> {
  /** Raw paths; expanded at dispatch. */
  volumes: string[];
}

export interface UserInstruction extends InstructionBase<'USER'> {
  /** Raw `user[:group]`; expanded at dispatch. */
  user: string;
}

export interface WorkdirInstruction extends InstructionBase<'WORKDIR'> {
  /** Raw path; expanded at dispatch, relative paths resolve against the current WORKDIR. */
  path: string;
}

export interface OnbuildInstruction extends InstructionBase<'ONBUILD'> {
  /** The trigger text as stored in the image config `OnBuild` list ("RUN echo hi"). */
  expression: string;
  /** The trigger parsed and validated now; it is expanded when a child build runs it. */
  trigger: Instruction;
}

export interface StopsignalInstruction extends InstructionBase<'STOPSIGNAL'> {
  /** Raw signal (`SIGTERM`, `9`, `$SIG`); validated when it has no variable, else at dispatch. */
  signal: string;
}

export interface HealthcheckInstruction extends InstructionBase<'HEALTHCHECK'> {
  /**
   * The image config `Healthcheck.Test`: ['NONE'], ['CMD', ...args] (exec form) or
   * ['CMD-SHELL', text] (shell form).
   */
  test: string[];
  /** Durations in nanoseconds, as the image config stores them; undefined = inherit/default. */
  intervalNs?: number;
  timeoutNs?: number;
  startPeriodNs?: number;
  startIntervalNs?: number;
  retries?: number;
}

export interface ShellInstruction extends InstructionBase<'SHELL'> {
  /** JSON form only. */
  shell: string[];
}

export type Instruction =
  | FromInstruction | RunInstruction | CmdInstruction | LabelInstruction | MaintainerInstruction
  | ExposeInstruction | EnvInstruction | AddInstruction | CopyInstruction | EntrypointInstruction
  | VolumeInstruction | UserInstruction | WorkdirInstruction | ArgInstruction | OnbuildInstruction
  | StopsignalInstruction | HealthcheckInstruction | ShellInstruction;

// ---- after expandInstruction -------------------------------------------------------------------

export interface ExpandedRun extends RunInstruction {
  /** Every --mount expanded, validated, defaults filled. */
  resolvedMounts: RunMount[];
}

export interface ExpandedCopy extends Omit<CopyInstruction, 'chown' | 'chmod'> {
  chown?: ChownSpec;
  chmod?: ChmodSpec;
}

export interface ExpandedAdd extends Omit<AddInstruction, 'chown' | 'chmod'> {
  chown?: ChownSpec;
  chmod?: ChmodSpec;
}

export interface ExpandedExpose extends ExposeInstruction {
  /** Parsed ports; `ports` holds the expanded words. */
  portSpecs: PortSpec[];
}

/**
 * The instruction with every value BuildKit expands replaced by its expansion (quotes removed).
 * RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK commands stay as written: the shell expands them.
 */
export type ExpandedInstruction =
  | FromInstruction | ExpandedRun | CmdInstruction | LabelInstruction | MaintainerInstruction
  | ExpandedExpose | EnvInstruction | ExpandedAdd | ExpandedCopy | EntrypointInstruction
  | VolumeInstruction | UserInstruction | WorkdirInstruction | ArgInstruction | OnbuildInstruction
  | StopsignalInstruction | HealthcheckInstruction | ShellInstruction;

/** Narrow an Instruction union by its kind. */
export type InstructionOf<K extends InstructionKind> = Extract<Instruction, { kind: K }>;
