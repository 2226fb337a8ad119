// Docker USER semantics (moby/sys/user GetExecUser), pure: "user[:group]" against the text of
// /etc/passwd and /etc/group. First matching line wins; supplementary groups come from /etc/group
// membership only when the group is implicit; numeric ids need no entry.
import { RunnerError } from './errors.js';
import type { ResolvedUser } from './types.js';

/** 2^32-1 is the kernel's "no change" id, so the largest usable id is 2^32-2. */
// Docker (and BuildKit) refuse ids above 2^31-1; so do we, everywhere (COPY --chown too): see SECURITY.md RT-06.
export const MAX_ID = 2147483647;

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

/** The numeric value of a decimal id, null if `s` is not all digits; out-of-range ids throw. */
export function parseId(s: string, what: string): number | null {
  if (/^-\d+$/.test(s)) throw invalid(`${what} ${s} is negative`);
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  if (s.length > 10 || n > MAX_ID) throw invalid(`${what} ${s} is out of range (0..${MAX_ID})`);
  return n;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    const uid = strictId(f[2]);
    const gid = strictId(f[3]);
    if (uid === null || gid === null) continue;
    out.push({ name: f[0], uid, gid, home: f[5] ?? '' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const gid = strictId(f[2]);
    if (gid === null) continue;
    out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').filter((m) => m !== '') });
  }
  return out;
}

/** Resolves a USER string; `passwd`/`group` are null when the image has no such file. */
export function lookupUser(spec: string, passwd: string | null, group: string | null): ResolvedUser {
  const parts = spec.split(':');
  if (parts.length > 2) throw invalid(`USER "${spec}" has more than one ':'`);
  const [userArg, groupArg = ''] = parts;
  if (spec.includes('\0') || spec.includes('\n')) throw invalid('USER contains a NUL or newline');
  if (parts.length === 2 && groupArg === '') throw invalid(`USER "${spec}" has an empty group`);
  const uidArg = parseId(userArg, 'uid');
  const gidArg = groupArg === '' ? null : parseId(groupArg, 'gid');

  const users = passwd === null ? [] : parsePasswd(passwd);
  const match = users.find((u) => (userArg === '' ? u.uid === 0 : u.name === userArg || (uidArg !== null && u.uid === uidArg)));
  const user = { name: '', uid: 0, gid: 0, home: '/' };
  if (match) {
    Object.assign(user, { name: match.name, uid: match.uid, gid: match.gid, home: match.home || '/' });
  } else if (userArg !== '') {
    if (uidArg === null) throw new RunnerError('RUNNER_USER_NOT_FOUND', `unable to find user ${userArg}: no matching entries in passwd file`, { details: { user: userArg } });
    user.uid = uidArg;
  }

  let additionalGids: number[] = [];
  const groups = group === null ? [] : parseGroup(group);
  if (groupArg !== '') {
    const g = groups.find((x) => (gidArg !== null ? x.gid === gidArg : x.name === groupArg));
    if (g) user.gid = g.gid;
    else if (gidArg !== null) user.gid = gidArg;
    else throw new RunnerError('RUNNER_USER_NOT_FOUND', `unable to find group ${groupArg}: no matching entries in group file`, { details: { group: groupArg } });
  } else if (user.name !== '') {
    additionalGids = groups.filter((g) => g.members.includes(user.name)).map((g) => g.gid);
  }
  return { uid: user.uid, gid: user.gid, additionalGids: [...new Set(additionalGids)], home: user.home };
}

function strictId(s: string | undefined): number | null {
  if (s === undefined || !/^\d{1,10}$/.test(s)) return null;
  const n = Number(s);
  return n > MAX_ID ? null : n;
}

function invalid(message: string): RunnerError {
  return new RunnerError('RUNNER_USER_INVALID', message);
}
