// What every CLI command module provides: its yargs definition and the code that runs it.
import type { Argv } from 'yargs';

export interface CommandContext {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Aborted on SIGINT/SIGTERM: long work must stop, clean up and return. */
  signal: AbortSignal;
  /** A non-zero code that is not an error (e.g. `tsbuild run`'s container status). */
  setExitCode(code: number): void;
}

export interface CommandSpec {
  command: string | string[];
  aliases?: string[];
  describe: string;
  builder: (y: Argv) => Argv;
  run(args: Record<string, unknown>, ctx: CommandContext): Promise<void>;
}

export function stringList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

export function optionalString(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v);
}
