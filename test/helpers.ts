// Shared set-up of the cross-package tests: a fresh store root with the conformance busybox base
// loaded as localhost/busybox:latest, and small readers of a built rootfs.
import { createReadStream, existsSync } from 'node:fs';
import { lstat, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { openStore } from '@tsbuild/layerstore';
import type { build as buildFn } from '../packages/builder/src/build.js';
import { execFileSync } from 'node:child_process';

export type { BuildOptions } from '../packages/builder/src/build.js';

export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const FIXTURES = path.join(REPO, 'fixtures');
/** A busybox base OCI archive: the shared conformance one, else built by tsbuild (fixtures/bases/base-archive.sh). */
export const BUSYBOX = execFileSync('bash', [path.join(REPO, 'fixtures/bases/base-archive.sh')], { encoding: 'utf8' }).trim();
export const haveBusybox = existsSync(BUSYBOX);

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A new store root holding localhost/busybox:latest. */
export async function storeWithBusybox(root: string): Promise<void> {
  const store = await openStore(root);
  try {
    await store.load(createReadStream(BUSYBOX), { tags: ['localhost/busybox:latest'] });
  } finally {
    await store.close();
  }
}

/** A Writable that keeps what it is given. */
export function sink(): Writable & { text(): string } {
  let buf = '';
  const w = new Writable({
    write(chunk: Buffer, _e, cb) {
      buf += chunk.toString();
      cb();
    },
  });
  return Object.assign(w, { text: () => buf });
}

/** Every regular file below `dir` (relative paths). */
export async function filesBelow(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(path.join(dir, rel))) {
    const r = rel ? `${rel}/${name}` : name;
    const st = await lstat(path.join(dir, r));
    if (st.isDirectory()) out.push(...(await filesBelow(dir, r)));
    else if (st.isFile()) out.push(r);
  }
  return out;
}

export async function readText(p: string): Promise<string> {
  return readFile(p, 'utf8');
}

/**
 * The builder's `build`, loaded from its compiled output. (Until @tsbuild/builder's index exports it,
 * the tests reach the module directly; types come from the source through the project reference.)
 */
export async function loadBuild(): Promise<typeof buildFn> {
  const mod = (await import(path.join(REPO, 'packages/builder/dist/src/build.js'))) as { build: typeof buildFn };
  return mod.build;
}
