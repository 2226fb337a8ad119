// Real temp trees for COPY/ADD tests: a sandbox S holding a context dir, a rootfs dir and sentinel
// files outside both, so tests can assert that nothing outside the rootfs changed.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanInRoot, resolveInRootSync } from '@tsbuild/layerstore';
import { contextSourceRoot, copyInto, type CopyEnv, type CopyParams, type CopyResult, type LookedUpUser } from '../../src/copy/index.js';
import type { ExclusionRules } from '../../src/copy/ignore.js';

export interface Sandbox {
  /** The sandbox dir holding everything ("S"). */
  dir: string;
  ctx: string;
  root: string;
  /** A dir outside ctx and root with sentinel files. */
  outside: string;
}

export function makeSandbox(t: { teardown(fn: () => void): void }): Sandbox {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsb-copy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sb = { dir, ctx: `${dir}/ctx`, root: `${dir}/root`, outside: `${dir}/S` };
  for (const d of [sb.ctx, sb.root, sb.outside]) mkdirSync(d);
  writeFileSync(`${sb.outside}/sentinel`, 'SENTINEL-DO-NOT-TOUCH');
  return sb;
}

/** Writes files: { 'a/b.txt': 'text' }; parents created. */
export function writeTree(base: string, files: Record<string, string>): void {
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(path.dirname(`${base}/${rel}`), { recursive: true });
    writeFileSync(`${base}/${rel}`, data);
  }
}

/** A listing of a tree: path → "d 0755 0:0" | "f 0644 0:0 <sha8>" | "l -> target". */
export function snapshot(base: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const n of readdirSync(rel === '' ? base : `${base}/${rel}`).sort()) {
      const r = rel === '' ? n : `${rel}/${n}`;
      const st = lstatSync(`${base}/${r}`);
      const meta = `${(st.mode & 0o7777).toString(8).padStart(4, '0')} ${st.uid}:${st.gid}`;
      if (st.isSymbolicLink()) out[r] = `l -> ${readlinkSync(`${base}/${r}`)}`;
      else if (st.isDirectory()) {
        out[r] = `d ${meta}`;
        walk(r);
      } else out[r] = `f ${meta} ${createHash('sha256').update(readFileSync(`${base}/${r}`)).digest('hex').slice(0, 8)}`;
    }
  };
  walk('');
  return out;
}

/** A /etc/passwd + /etc/group lookup in-root, enough for tests (the runner's resolveUser is the real one). */
export async function testLookup(rootDir: string, user: string): Promise<LookedUpUser> {
  const [u, g] = user.split(':');
  const read = (f: string): string[][] => {
    try {
      return readFileSync(resolveInRootSync(rootDir, f), 'utf8').split('\n').filter(Boolean).map((l) => l.split(':'));
    } catch {
      return [];
    }
  };
  let uid: number;
  let gid: number;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    gid = 0;
  } else {
    const e = read('/etc/passwd').find((p) => p[0] === u);
    if (!e) throw Object.assign(new Error(`unknown user ${u}`), { code: 'ENOUSER' });
    uid = Number(e[2]);
    gid = Number(e[3]);
  }
  if (g !== undefined) {
    const e = read('/etc/group').find((p) => p[0] === g);
    if (!e) throw Object.assign(new Error(`unknown group ${g}`), { code: 'ENOGROUP' });
    gid = Number(e[2]);
  }
  return { uid, gid };
}

export function params(p: Partial<CopyParams> & { sources: string[]; dest: string }): CopyParams {
  return { kind: 'COPY', workdir: '/', ...p };
}

export function envFor(sb: Sandbox, extra: Partial<CopyEnv> = {}, ignore?: ExclusionRules): CopyEnv {
  return { destRoot: sb.root, source: contextSourceRoot(sb.ctx, ignore), lookupUser: testLookup, ...extra };
}

export function copy(sb: Sandbox, p: Partial<CopyParams> & { sources: string[]; dest: string }, extra: Partial<CopyEnv> = {}, ignore?: ExclusionRules): Promise<CopyResult> {
  return copyInto(params(p), envFor(sb, extra, ignore));
}

/** Content of a rootfs file by its rooted path, without following anything out of the root. */
export function readIn(root: string, p: string): string {
  return readFileSync(`${root}/${cleanInRoot(p)}`, 'utf8');
}
