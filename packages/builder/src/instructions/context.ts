// What instruction parsers need besides the node: where to point errors.

import { DockerfileError, type SourceRange } from '../errors.js';
import { rangeOfText } from '../dockerfile/location.js';
import type { EscapeChar } from '../dockerfile/types.js';

export interface ParseContext {
  file: string;
  /** Physical lines, to narrow error ranges to the offending flag or word. */
  lines: readonly string[];
  escape: EscapeChar;
}

/** Throw a DockerfileError located at `needle` inside `range` when it can be found there. */
export function failNear(ctx: ParseContext, range: SourceRange, needle: string, code: string, message: string, hint?: string): never {
  throw new DockerfileError(code, message, {
    location: rangeOfText(range, ctx.lines, needle),
    ...(hint === undefined ? {} : { hint }),
  });
}
