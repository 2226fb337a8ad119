// The argv a RUN step executes, as Docker builds it: shell form through SHELL (default /bin/sh -c),
// exec form as written, heredocs either as the whole script (`RUN <<EOF`) or fed to the shell with
// the command line (`RUN python3 <<EOF`), which is what BuildKit does.
import type { Heredoc } from '../dockerfile/types.js';
import type { CommandLine } from '../instructions/types.js';

export interface RunArgv {
  argv: string[];
  /** Files to provide read-only in the rootfs (a heredoc script with a #! line), host content. */
  files: { target: string; content: string; mode: number }[];
}

const HEREDOC_ONLY = /^<<-?\s*(["']?)([^\s"']+)\1\s*$/;

export function runArgv(command: CommandLine, heredocs: readonly Heredoc[], shell: readonly string[]): RunArgv {
  if (command.form === 'exec') return { argv: [...command.args], files: [] };
  const text = command.text;
  if (heredocs.length === 0) return { argv: [...shell, text], files: [] };
  const only = HEREDOC_ONLY.exec(text.trim());
  const first = heredocs[0] as Heredoc;
  if (only && heredocs.length === 1 && only[2] === first.name) {
    // `RUN <<EOF`: the body is the script. With a #! line it runs as a file through its interpreter.
    // (BuildKit uses /dev/pipes/NAME; the runner builds /dev after the step's mounts, so the file is
    // mounted beside it instead, and the stub is removed from the layer like any mount point.)
    if (first.content.startsWith('#!')) {
      const target = `/.tsbuild-heredoc/${first.name}`;
      return { argv: [target], files: [{ target, content: first.content, mode: 0o755 }] };
    }
    return { argv: [...shell, first.content], files: [] };
  }
  // Heredocs used by the command: give the shell the whole text, bodies and terminators included.
  let script = text;
  for (const h of heredocs) script += `\n${h.content}${h.content.endsWith('\n') || h.content === '' ? '' : '\n'}${h.name}`;
  return { argv: [...shell, script], files: [] };
}
