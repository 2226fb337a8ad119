// resolveUser: Docker USER syntax against the rootfs' own /etc/passwd and /etc/group, read in-root.
import { readFileInRoot } from './in-root.js';
import { lookupUser } from './user-spec.js';
import type { ResolvedUser } from './types.js';

/** Largest /etc/passwd or /etc/group we parse (an image could ship a 200 MB one: CVE-2026-47262). */
export const USER_DB_CAP = 4 * 1024 * 1024;

export async function resolveUser(rootDir: string, user: string): Promise<ResolvedUser> {
  const passwd = readFileInRoot(rootDir, '/etc/passwd', USER_DB_CAP);
  const group = readFileInRoot(rootDir, '/etc/group', USER_DB_CAP);
  return lookupUser(user, passwd, group);
}
