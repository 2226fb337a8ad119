// The Dockerfile syntax tree: what the parser knows before any instruction is interpreted.
// One node per instruction (a logical line: continuations joined, comments dropped), with the
// physical line range it came from, so every later error can point back at the text.

import type { SourceRange } from '../errors.js';

export type EscapeChar = '\\' | '`';

/** BuildKit's build-check names. Only the ones tsbuild can emit are listed. */
export type CheckRule =
  | 'JSONArgsRecommended'
  | 'StageNameCasing'
  | 'FromAsCasing'
  | 'MaintainerDeprecated'
  | 'UndefinedVar'
  | 'UndefinedArgInFrom'
  | 'NoEmptyContinuation'
  | 'ConsistentInstructionCasing'
  | 'DuplicateStageName'
  | 'ReservedStageName'
  | 'MultipleInstructionsDisallowed'
  | 'WorkdirRelativePath'
  | 'SecretsUsedInArgOrEnv'
  | 'InvalidDefaultArgInFrom'
  | 'LegacyKeyValueFormat'
  | 'RedundantTargetPlatform'
  | 'FromPlatformFlagConstDisallowed'
  | 'ExposeProtoCasing'
  | 'ExposeInvalidFormat';

/** A build-check finding. Data, not a log line: the CLI decides how to print it. */
export interface Warning {
  rule: CheckRule;
  message: string;
  location: SourceRange;
  /** Documentation of the rule (BuildKit's page when the rule is BuildKit's). */
  url: string;
}

/** `# check=skip=A,B;error=true`. */
export interface CheckConfig {
  /** Rules not to report; 'all' skips every rule. */
  skip: readonly string[] | 'all';
  /** When true, any reported warning fails the build (BuildKit's behaviour). */
  error: boolean;
}

export interface Directive {
  /** Lower-cased name: syntax, escape or check. */
  name: string;
  value: string;
  line: number;
}

export interface Directives {
  syntax?: string;
  escape: EscapeChar;
  check: CheckConfig;
  /** Every directive in file order, as written. */
  list: Directive[];
}

/**
 * A here-document attached to RUN, COPY or ADD.
 * `content` ends with a newline per body line; with `chomp` (`<<-`) leading tabs are already removed.
 */
export interface Heredoc {
  /** The delimiter word with quotes removed (`EOF` for `<<"EOF"`). */
  name: string;
  content: string;
  /** False when any part of the delimiter was quoted: the body must not be expanded. */
  expand: boolean;
  chomp: boolean;
  /** `3<<EOF` gives 3; undefined when no file descriptor was written. */
  fd?: number;
  /** The body lines and the terminator line. */
  location: SourceRange;
}

/** A `KEY=value` (or legacy `KEY value`) pair of ENV, LABEL or ARG, unexpanded, quotes kept. */
export interface KeyValueNode {
  key: string;
  /** Undefined only for `ARG NAME` without a default. */
  value?: string;
}

/**
 * One instruction as written. The argument shape depends on the keyword, as in BuildKit's parser:
 * - json: `args` is the decoded JSON array (exec form).
 * - RUN, CMD, ENTRYPOINT, SHELL in shell form, and MAINTAINER, STOPSIGNAL, USER, WORKDIR: `args` = [rest].
 * - ADD, COPY, VOLUME in word form: `args` are whitespace-separated words with quotes kept.
 * - FROM, EXPOSE: `args` are whitespace-separated (no quote handling).
 * - ENV, LABEL, ARG: `pairs`; `legacyKeyValue` marks the `ENV K V` form.
 * - HEALTHCHECK: `args[0]` is the type (CMD/NONE), the command is in `healthcheckCommand`.
 * - ONBUILD: `trigger` is the parsed sub-instruction.
 */
export interface AstNode {
  /** Lower-cased keyword: 'run', 'from', ... (unknown keywords are rejected by the parser). */
  keyword: string;
  /** The keyword exactly as written ('Run'), for casing checks. */
  keywordAsWritten: string;
  /** Flags before the arguments (`--mount=...`), quotes removed, as BuildKit extracts them. */
  flags: string[];
  args: string[];
  json: boolean;
  /** Argument text after the flags, trimmed: the shell-form command of RUN/CMD/ENTRYPOINT. */
  rest: string;
  pairs?: KeyValueNode[];
  legacyKeyValue?: boolean;
  /** HEALTHCHECK CMD's command: json or shell form, like RUN. */
  healthcheckCommand?: { args: string[]; json: boolean };
  trigger?: AstNode;
  heredocs: Heredoc[];
  /** The logical line as BuildKit's Node.Original: continuations joined, comment lines dropped. */
  original: string;
  /** Comments right above the instruction (without `#`), for stage descriptions. */
  comments: string[];
  /** From the keyword's line to the last continuation or heredoc terminator line. */
  location: SourceRange;
}

export interface ParseResult {
  file: string;
  directives: Directives;
  nodes: AstNode[];
  warnings: Warning[];
  /** Physical lines of the decoded text, for error excerpts and column lookups. */
  lines: readonly string[];
}
