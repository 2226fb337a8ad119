// The errors the context and source matching raise. Codes shared with copy/ (COPY_*) mean the same thing there.
import { BuildError, UsageError } from '../errors.js';

export const CONTEXT_CODES = {
  /** The context directory does not exist or is not a directory (usage). */
  notADirectory: 'CONTEXT_NOT_DIRECTORY',
  /** The Dockerfile is missing, not a regular file, or over the size cap (usage). */
  dockerfile: 'DOCKERFILE_UNREADABLE',
  dockerfileTooLarge: 'DOCKERFILE_TOO_LARGE',
  /** The ignore file is a symlink out of the context, unreadable, too large or invalid (fail closed). */
  ignoreInvalid: 'DOCKERIGNORE_INVALID',
  /** A context path cannot be read (EACCES, ENAMETOOLONG, ELOOP...). */
  unreadable: 'CONTEXT_UNREADABLE',
  /** A file changed while it was hashed, or is bigger than the configured cap. */
  fileChanged: 'CONTEXT_FILE_CHANGED',
  fileTooLarge: 'CONTEXT_FILE_TOO_LARGE',
  /** A COPY source names a FIFO, socket or device. */
  specialFile: 'CONTEXT_SPECIAL_FILE',
  /** Symlinks in a source path loop or chain more than 255 times. */
  symlinkLoop: 'CONTEXT_SYMLINK_LOOP',
  /** The same in a stage's or image's rootfs (COPY --from). */
  copySymlinkLoop: 'COPY_SYMLINK_LOOP',
  notFound: 'COPY_SOURCE_NOT_FOUND',
  excluded: 'COPY_EXCLUDED',
  outside: 'COPY_OUTSIDE_CONTEXT',
} as const;

export function usageError(code: string, message: string, details: Record<string, unknown>, cause?: unknown): UsageError {
  return new UsageError(code, message, { details, ...(cause === undefined ? {} : { cause }) });
}

export function buildError(code: string, message: string, details: Record<string, unknown>, hint?: string, cause?: unknown): BuildError {
  return new BuildError(code, message, { details, ...(hint === undefined ? {} : { hint }), ...(cause === undefined ? {} : { cause }) });
}

/**
 * Turns an fs error on a source path into CONTEXT_UNREADABLE naming the path and the reason. `where`
 * names the root for the message ("the build context", "stage builder").
 */
export function unreadable(rel: string, err: unknown, where = 'the build context'): BuildError {
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'ENAMETOOLONG' ? 'path too long' : code === 'ELOOP' ? 'too many levels of symbolic links' : code;
  return buildError(CONTEXT_CODES.unreadable, `cannot read ${JSON.stringify(rel === '' ? '.' : rel)} in ${where}: ${why}`,
    { path: rel, errno: code }, code === 'EACCES' ? 'make it readable by the user running tsbuild, or add it to .dockerignore' : undefined, err);
}
