import type { ExpandOptions, Expansion, Lookup } from './types.js';
import { ExpansionError } from './types.js';

export function expandWord(_word: string, _lookup: Lookup, _opts: ExpandOptions = {}): Expansion<string> {
  throw new ExpansionError('EXPAND_SYNTAX', 'not implemented yet');
}

export function expandWords(_text: string, _lookup: Lookup, _opts: ExpandOptions = {}): Expansion<string[]> {
  throw new ExpansionError('EXPAND_SYNTAX', 'not implemented yet');
}
