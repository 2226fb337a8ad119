// Word expansion for Dockerfile instructions, with BuildKit's semantics (frontend/dockerfile/shell).
// Pure: no fs, no process, no clock.
export type { ExpandOptions, Expansion, ExpansionCode, Lookup } from './types.js';
export { ExpansionError, DEFAULT_MAX_DEPTH, DEFAULT_MAX_OUTPUT_BYTES } from './types.js';
export { expandWord, expandWords } from './lexer.js';
