// Word expansion for Dockerfile instructions, with BuildKit's semantics (frontend/dockerfile/shell).
// Pure: no fs, no process, no clock.
export type { ExpandOptions, Expansion, Lookup } from './types.js';
export { ExpansionError } from './types.js';
export { expandWord, expandWords } from './lexer.js';
