// Real temp trees for COPY/ADD tests: a sandbox S holding a context dir, a rootfs dir and sentinel
// files outside both, so tests can assert that nothing outside the rootfs changed.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanInRoot } from '@tsbuild/layerstore';
import { resolveUser } from '@tsbuild/runner';
import { openContext } from '../../src/context/index.js';
import { copyInto, matchedContext, type CopyEnv, type CopyParams, type CopyResult } from '../../src/copy/index.js';

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

export function params(p: Partial<CopyParams> & { sources: string[]; dest: string }): CopyParams {
  return { kind: 'COPY', workdir: '/', ...p };
}

/**
 * One COPY/ADD as the executor runs it: the real context (its .dockerignore included) matches the
 * sources, unless `extra.source` names a rootfs.
 */
export async function copy(sb: Sandbox, p: Partial<CopyParams> & { sources: string[]; dest: string }, extra: Partial<CopyEnv> = {}): Promise<CopyResult> {
  const ps = params(p);
  const source = extra.source ?? matchedContext(openContext(sb.ctx, { dockerfileText: '' }), ps);
  return copyInto(ps, { destRoot: sb.root, lookupUser: resolveUser, ...extra, source });
}

/** Content of a rootfs file by its rooted path, without following anything out of the root. */
export function readIn(root: string, p: string): string {
  return readFileSync(`${root}/${cleanInRoot(p)}`, 'utf8');
}
