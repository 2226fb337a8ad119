// Sandbox S with the extraction root R inside and sentinels outside it (SECURITY.md §4 convention):
// S/marker (random bytes), S/sentinel (mode 0400), S/probe/ (empty dir). fingerprint() hashes
// everything in S except R: path, type, mode, uid, gid, nlink, size, content / link target.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Sandbox {
  S: string;
  R: string;
  fingerprint(): string;
}

export function makeSandbox(t: { teardown(fn: () => void): void }): Sandbox {
  const S = mkdtempSync(path.join(tmpdir(), 'tsb-S-'));
  t.teardown(() => rmSync(S, { recursive: true, force: true }));
  const R = path.join(S, 'R');
  mkdirSync(R);
  writeFileSync(path.join(S, 'marker'), randomBytes(64));
  writeFileSync(path.join(S, 'sentinel'), 'sentinel');
  chmodSync(path.join(S, 'sentinel'), 0o400);
  mkdirSync(path.join(S, 'probe'));
  const fingerprint = (): string => {
    const h = createHash('sha256');
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir).sort()) {
        const p = path.join(dir, name);
        if (p === R) continue;
        const st = lstatSync(p);
        h.update(`${path.relative(S, p)} ${st.mode} ${st.uid} ${st.gid} ${st.nlink} ${st.size} ${st.mtimeMs}\n`);
        if (st.isFile()) h.update(readFileSync(p));
        else if (st.isSymbolicLink()) h.update(readlinkSync(p));
        else if (st.isDirectory()) walk(p);
      }
    };
    walk(S);
    return h.digest('hex');
  };
  return { S, R, fingerprint };
}
