// Real temporary trees for context tests, and a file system that counts what is opened.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeFs, type ContextFs, type HostPath } from '../../src/context/index.js';

/** A tree spec: a string is a file's content, `{ link }` a symlink, `{ mode }` a file mode, an object a directory. */
export type Spec = { [name: string]: string | { link: string } | { content: string; mode: number } | Spec };

const created: string[] = [];

/** A fresh temporary directory, removed by removeTempDirs. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every directory this test file created (call from test.after.always). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function makeTree(spec: Spec, root = tempDir('tsbuild-ctx-')): string {
  for (const [name, value] of Object.entries(spec)) {
    const p = path.join(root, name);
    if (typeof value === 'string') fs.writeFileSync(p, value);
    else if ('link' in value && typeof value.link === 'string') fs.symlinkSync(value.link, p);
    else if ('content' in value && typeof value.content === 'string') {
      fs.writeFileSync(p, value.content);
      fs.chmodSync(p, value.mode as number);
    } else {
      fs.mkdirSync(p, { recursive: true });
      makeTree(value as Spec, p);
    }
  }
  return root;
}

/** A sandbox with the context in `ctx/` and things that must never leak beside it. */
export function makeSandbox(spec: Spec): { sandbox: string; ctx: string; marker: string } {
  const sandbox = tempDir('tsbuild-sbx-');
  const marker = `MARKER-${Math.random().toString(36).slice(2)}-SECRET`;
  fs.writeFileSync(path.join(sandbox, 'marker'), marker);
  fs.mkdirSync(path.join(sandbox, 'ctx'));
  makeTree(spec, path.join(sandbox, 'ctx'));
  return { sandbox, ctx: path.join(sandbox, 'ctx'), marker };
}

export interface CountingFs extends ContextFs {
  opened: string[];
  reset(): void;
}

/** Records every path opened for reading (content reads); everything else goes to the real fs. */
export function countingFs(base: ContextFs = nodeFs): CountingFs {
  const opened: string[] = [];
  return {
    ...base,
    opened,
    reset: () => { opened.length = 0; },
    openRead(p: HostPath) {
      opened.push(p.toString());
      return base.openRead(p);
    },
  };
}

/** A clock far enough ahead that every file looks old to the stat cache's racy-entry rule. */
export const LATER = (): bigint => BigInt(Date.now() + 60_000) * 1_000_000n;

export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** Node has no mkfifo; the coreutils tool does it. */
export function mkfifo(p: string): void {
  execFileSync('mkfifo', [p]);
}
