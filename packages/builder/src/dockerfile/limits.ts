// Caps that keep hostile Dockerfiles from exhausting memory or time (SECURITY.md DF-01..DF-03).
// They are far above what real Dockerfiles need; docs/front-end.md lists them with reasons.

export const LIMITS = {
  /** Whole Dockerfile, in bytes (checked before decoding, so a 64 MiB input is rejected at once). */
  maxFileBytes: 16 * 1024 * 1024,
  /** One logical line (an instruction with its continuations joined), in UTF-16 code units. */
  maxLineLength: 1024 * 1024,
  /** Instructions per file, ONBUILD triggers included. */
  maxInstructions: 50_000,
  /** Heredocs per file. */
  maxHeredocs: 10_000,
  /** ENV/LABEL/ARG key-value pairs per file (moby#38986: 26 M LABEL keys took a daemon down). */
  maxKeyValuePairs: 100_000,
  /** Flags on one instruction (`--mount` is repeatable). */
  maxFlags: 256,
  /** Nesting depth tolerated while deciding whether an argument is a JSON array. */
  maxJsonDepth: 64,
  /** One word after variable expansion, in bytes (passed to the shell expander). */
  maxExpansionBytes: 1024 * 1024,
  /** Nesting of `${a:-${b:-...}}` (passed to the shell expander). */
  maxExpansionDepth: 64,
} as const;
