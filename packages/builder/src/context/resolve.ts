// In-root resolution of a source path (containerd fs.RootPath / fsutil semantics), for the build
// context and for a stage's or image's rootfs (COPY --from) alike: components are walked one by one
// with lstat; a symlink's target is resolved as if the root were `/` (absolute targets restart at the
// root, `..` stops at it), so a link can never lead to a host file. What .dockerignore excludes does not
// exist, even when a symlink points at it (a rootfs has no ignore rules).
import type { BigIntStats } from 'node:fs';
import { CONTEXT_CODES, buildError, unreadable } from './codes.js';
import type { ContextFs } from './fs-port.js';
import type { ExclusionHit, IgnoreRules } from './ignore-rules.js';
import { walkBelow } from './walk.js';

const MAX_SYMLINK_HOPS = 255;

export interface Resolved {
  /** Context-relative path after following symlinks ('' = the root); the unresolved rest when missing. */
  rel: string;
  /** lstat of the result; undefined when it does not exist. */
  stat: BigIntStats | undefined;
  /** The excluded path that stopped resolution. */
  excluded?: ExclusionHit & { path: string };
  /** A `..` in the path climbed above the root and was clamped. */
  clamped: boolean;
  /** A symlink on the way pointed outside the context (absolute, or `..` above the root); kept for messages. */
  escapeLink?: { link: string; target: string };
}

export interface ResolveEnv {
  /** Host directory of the root: the context directory, or a stage's/image's rootfs. */
  root: string;
  fs: ContextFs;
  /** .dockerignore for the context; NO_IGNORE_RULES for a rootfs. */
  ignore: IgnoreRules;
  /**
   * Set for a stage's or image's rootfs: its label for messages ("stage builder", "image alpine").
   * Absent for the build context, whose symlinks out of it are worth their own error code.
   */
  rootfs?: string;
}

/** How messages name the root. */
export function whereOf(env: ResolveEnv): string {
  return env.rootfs === undefined ? 'the build context' : `the ${env.rootfs}`;
}

/** Splits a '/'-separated path into components, dropping empty ones and `.`. */
export function splitComponents(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * Lexical clean rooted at `/` (Go path.Join("/", p), what BuildKit's llb does to every COPY source):
 * `..` never climbs above the root; `clamped` says it tried to.
 */
export function cleanRooted(p: string): { rel: string; clamped: boolean } {
  const out: string[] = [];
  let clamped = false;
  for (const c of splitComponents(p)) {
    if (c !== '..') out.push(c);
    else if (out.length > 0) out.pop();
    else clamped = true;
  }
  return { rel: out.join('/'), clamped };
}

export function hostOf(root: string, rel: string): string {
  return rel === '' ? root : `${root}/${rel}`;
}

/**
 * Resolves `rel` inside `env.root` (the context or a rootfs). `followFinal` also follows a symlink in the last component
 * (what COPY does for its sources). Throws CONTEXT_SYMLINK_LOOP (COPY_SYMLINK_LOOP in a rootfs)
 * after 255 hops, CONTEXT_UNREADABLE when a component cannot be examined.
 */
export function resolveInContext(env: ResolveEnv, rel: string, followFinal: boolean): Resolved {
  const pending = splitComponents(rel).reverse();
  const done: string[] = [];
  let clamped = false;
  let escapeLink: Resolved['escapeLink'];
  let hops = 0;
  let stat: BigIntStats | undefined = env.fs.lstat(env.root);
  while (pending.length > 0) {
    const c = pending.pop()!;
    if (c === '..') {
      if (done.length > 0) done.pop();
      else clamped = true;
      stat = undefined;
      continue;
    }
    const candidate = done.length === 0 ? c : `${done.join('/')}/${c}`;
    try {
      stat = env.fs.lstat(hostOf(env.root, candidate));
    } catch (err) {
      throw unreadable(candidate, err, whereOf(env));
    }
    if (stat === undefined) {
      const rest = pending.reverse().join('/');
      return { rel: rest === '' ? candidate : `${candidate}/${rest}`, stat: undefined, clamped, escapeLink };
    }
    const isDir = stat.isDirectory();
    const hit = env.ignore.excludedBy(candidate, isDir);
    // An excluded directory still exists as the parent of something a `!` line re-includes.
    if (hit !== undefined && !(isDir && env.ignore.hasExceptions() && keepsSomething(env, candidate))) {
      return { rel: candidate, stat: undefined, excluded: { ...hit, path: candidate }, clamped, escapeLink };
    }
    if (stat.isSymbolicLink() && (pending.length > 0 || followFinal)) {
      if (++hops > MAX_SYMLINK_HOPS) {
        throw buildError(env.rootfs === undefined ? CONTEXT_CODES.symlinkLoop : CONTEXT_CODES.copySymlinkLoop,
          `too many levels of symbolic links resolving ${JSON.stringify(rel)} in ${whereOf(env)}`, { path: rel });
      }
      const target = readTarget(env, candidate);
      if (target.startsWith('/')) {
        done.length = 0;
        escapeLink ??= { link: candidate, target };
      } else if (climbsAbove(done.length, target)) {
        escapeLink ??= { link: candidate, target };
      }
      pending.push(...splitComponents(target).reverse());
      stat = undefined;
      continue;
    }
    done.push(c);
  }
  const resolvedRel = done.join('/');
  // `..` and symlink hops leave the last stat stale; look again at what we ended on.
  if (stat === undefined) stat = env.fs.lstat(hostOf(env.root, resolvedRel));
  return { rel: resolvedRel, stat, clamped, escapeLink };
}

function keepsSomething(env: ResolveEnv, rel: string): boolean {
  return walkBelow(rel, hostOf(env.root, rel), { fs: env.fs, ignore: env.ignore, where: whereOf(env) }).length > 0;
}

function readTarget(env: ResolveEnv, rel: string): string {
  try {
    return env.fs.readlink(hostOf(env.root, rel)).toString('utf8');
  } catch (err) {
    throw unreadable(rel, err, whereOf(env));
  }
}

/** Whether a relative symlink target, read in a directory `depth` levels down, climbs above the root. */
function climbsAbove(depth: number, target: string): boolean {
  let level = depth;
  for (const c of splitComponents(target)) {
    level += c === '..' ? -1 : 1;
    if (level < 0) return true;
  }
  return false;
}
