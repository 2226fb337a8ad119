// --chown for COPY/ADD (and uid/gid of mounts): "user", "user:group", numeric or names.
// Names are looked up in the DESTINATION rootfs' /etc/passwd and /etc/group (read in-root by the
// runner's resolveUser), like BuildKit. Docker's rule for a missing group: a numeric user gets gid = uid,
// a named user gets its primary group from /etc/passwd. Unknown names are errors (old BuildKit silently
// used 0, which hides typos and gives files to root).
import { BuildError, DockerfileError } from '../errors.js';
import type { ChownSpec } from '../instructions/types.js';

export interface Owner {
  uid: number;
  gid: number;
}

/** What a user lookup must give (the runner's ResolvedUser has these and more). */
export interface LookedUpUser {
  uid: number;
  gid: number;
}

/** Looks a Docker USER string up inside a rootfs: the runner's `resolveUser`. */
export type UserLookup = (rootDir: string, user: string) => Promise<LookedUpUser>;

/** Largest id accepted: ids above int32 have been mapped to root by runtimes (CVE-2024-40635). */
export const MAX_ID = 0x7fffffff;

function parseId(text: string, spec: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n > MAX_ID) {
    throw new DockerfileError('COPY_CHOWN_INVALID', `invalid --chown=${spec}: id ${text} is out of range (0-${MAX_ID})`);
  }
  return n;
}

/** Splits "user[:group]"; throws COPY_CHOWN_INVALID for empty parts or extra colons. */
export function parseChownSpec(spec: string): ChownSpec {
  const parts = spec.split(':');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new DockerfileError('COPY_CHOWN_INVALID', `invalid --chown=${spec}: expected user, user:group, uid or uid:gid`);
  }
  return parts.length === 2 ? { user: parts[0], group: parts[1] } : { user: parts[0] };
}

/** "user" or "user:group", as written. */
export function chownText(spec: ChownSpec): string {
  return spec.group === undefined ? spec.user : `${spec.user}:${spec.group}`;
}

/**
 * Resolves --chown against `destRoot`. Numeric ids never touch the rootfs; names need `lookup`.
 * Throws BuildError COPY_CHOWN_UNKNOWN_USER / COPY_CHOWN_UNKNOWN_GROUP naming the file searched.
 */
export async function resolveChown(destRoot: string, chown: ChownSpec | string, lookup: UserLookup): Promise<Owner> {
  const { user, group } = typeof chown === 'string' ? parseChownSpec(chown) : chown;
  const spec = typeof chown === 'string' ? chown : chownText(chown);
  const numericUid = parseId(user, spec);
  let uid: number;
  let gid: number;
  if (numericUid === undefined) {
    const found = await lookupOrFail(destRoot, user, lookup, 'user', spec);
    uid = found.uid;
    gid = found.gid;
  } else {
    uid = numericUid;
    gid = numericUid;
  }
  if (group !== undefined) {
    const numeric = parseId(group, spec);
    // "0:<group>" asks the lookup for the group alone: uid 0 needs no passwd entry.
    gid = numeric ?? (await lookupOrFail(destRoot, `0:${group}`, lookup, 'group', spec)).gid;
  }
  return { uid, gid };
}

async function lookupOrFail(
  root: string,
  user: string,
  lookup: UserLookup,
  what: 'user' | 'group',
  spec: string,
): Promise<LookedUpUser> {
  try {
    return await lookup(root, user);
  } catch (e) {
    const name = what === 'user' ? user : user.slice(2);
    const file = what === 'user' ? '/etc/passwd' : '/etc/group';
    throw new BuildError(
      what === 'user' ? 'COPY_CHOWN_UNKNOWN_USER' : 'COPY_CHOWN_UNKNOWN_GROUP',
      `--chown=${spec}: ${what} ${JSON.stringify(name)} not found in the image's ${file}`,
      { cause: e, hint: `use a numeric id, or create the ${what} in an earlier RUN step`, details: { [what]: name } },
    );
  }
}
