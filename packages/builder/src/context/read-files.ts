// Reading the two files a build starts from: the Dockerfile (`-f`, default `Dockerfile`, else the
// docker CLI's lowercase `dockerfile`) and its ignore file (`<Dockerfile>.dockerignore` beside the
// Dockerfile first, else `.dockerignore` at the context root). Both are size-capped and must be regular
// files (opened non-blocking: a FIFO is refused, not waited on). An ignore file that cannot be trusted
// (a symlink out of the context, unreadable, not a file, invalid) is a hard error: failing open would
// silently send what the user meant to exclude (moby#42108).
import fs from 'node:fs';
import path from 'node:path';
import { CONTEXT_CODES, usageError } from './codes.js';
import type { ContextFs } from './fs-port.js';
import { parseIgnoreRules, NO_IGNORE_RULES, type IgnoreRules } from './ignore-rules.js';
import { hostOf, resolveInContext } from './resolve.js';

export const DEFAULT_MAX_DOCKERFILE_BYTES = 16 * 1024 * 1024;
const MAX_IGNORE_BYTES = 1024 * 1024;

export interface DockerfileSource {
  /** Absolute host path. */
  path: string;
  text: string;
}

/** Finds and reads the Dockerfile. `given` is relative to `cwd` (the `-f` flag), else looked up in the context. */
export function readDockerfile(root: string, given: string | undefined, cwd: string, maxBytes: number): DockerfileSource {
  let file: string;
  if (given !== undefined) {
    file = path.resolve(cwd, given);
  } else {
    file = path.join(root, 'Dockerfile');
    if (fs.lstatSync(file, { throwIfNoEntry: false }) === undefined &&
      fs.lstatSync(path.join(root, 'dockerfile'), { throwIfNoEntry: false }) !== undefined) {
      file = path.join(root, 'dockerfile');
    }
  }
  const bytes = readCapped(file, maxBytes, (why, cause) =>
    usageError(why === 'too large' ? CONTEXT_CODES.dockerfileTooLarge : CONTEXT_CODES.dockerfile,
      `cannot read the Dockerfile ${file}: ${why}`, { path: file, maxBytes }, cause));
  return { path: file, text: bytes.toString('utf8') };
}

/** Loads the ignore rules that apply to `dockerfile` in context `root`. */
export function readIgnoreRules(root: string, dockerfile: string, ctxFs: ContextFs): IgnoreRules {
  const beside = `${dockerfile}.dockerignore`;
  for (const candidate of [beside, path.join(root, '.dockerignore')]) {
    const rel = path.relative(root, candidate);
    const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
    const text = inside ? readInsideContext(root, rel.split(path.sep).join('/'), ctxFs) : readOutsideContext(candidate);
    if (text !== undefined) return parseIgnoreRules(text, candidate);
  }
  return NO_IGNORE_RULES;
}

/** An ignore file in the context: symlinks are followed only while they stay inside it. */
function readInsideContext(root: string, rel: string, ctxFs: ContextFs): string | undefined {
  const file = hostOf(root, rel);
  const stat = ctxFs.lstat(file);
  if (stat === undefined) return undefined;
  let target = file;
  if (stat.isSymbolicLink()) {
    const resolved = resolveInContext({ root, fs: ctxFs, ignore: NO_IGNORE_RULES }, rel, true);
    if (resolved.escapeLink !== undefined || resolved.clamped) {
      throw usageError(CONTEXT_CODES.ignoreInvalid,
        `${file} is a symlink to ${JSON.stringify(resolved.escapeLink?.target ?? '')}, outside the build context; refusing to build without its rules`,
        { path: file });
    }
    if (resolved.stat === undefined) {
      throw usageError(CONTEXT_CODES.ignoreInvalid, `${file} is a dangling symlink; refusing to build without its rules`, { path: file });
    }
    target = hostOf(root, resolved.rel);
  }
  return readIgnoreText(target, file);
}

function readOutsideContext(file: string): string | undefined {
  if (fs.lstatSync(file, { throwIfNoEntry: false }) === undefined) return undefined;
  return readIgnoreText(file, file);
}

function readIgnoreText(target: string, shown: string): string {
  return readCapped(target, MAX_IGNORE_BYTES, (why, cause) =>
    usageError(CONTEXT_CODES.ignoreInvalid, `cannot read ${shown}: ${why}; refusing to build without its rules`, { path: shown }, cause)
  ).toString('utf8');
}

type Fail = (why: string, cause?: unknown) => Error;

/** Reads a whole regular file of at most `maxBytes`, never blocking on a FIFO or device. */
function readCapped(file: string, maxBytes: number, fail: Fail): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code), err);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw fail('not a regular file');
    if (stat.size > maxBytes) throw fail('too large');
    const buffer = Buffer.allocUnsafe(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const got = fs.readSync(fd, buffer, length, buffer.length - length, length);
      if (got === 0) break;
      length += got;
      if (length > maxBytes) throw fail('too large');
    }
    return buffer.subarray(0, length);
  } catch (err) {
    if (err instanceof Error && 'code' in err && typeof (err as { code: unknown }).code === 'string' &&
      (err as { code: string }).code.startsWith('E')) {
      throw fail((err as { code: string }).code, err);
    }
    throw err;
  } finally {
    fs.closeSync(fd);
  }
}
