// Real builds for the build() API tests: a fresh store root with the conformance busybox base, and a
// context written to a temp dir.
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { openStore } from '@tsbuild/layerstore';
import { execFileSync as execFileSyncForBase } from 'node:child_process';
import { fileURLToPath as fileURLToPathForBase } from 'node:url';

/** A busybox base OCI archive: the shared conformance one, else built by tsbuild (fixtures/bases/base-archive.sh). */
export const BUSYBOX = execFileSyncForBase('bash', [fileURLToPathForBase(new URL('../../../../../fixtures/bases/base-archive.sh', import.meta.url))], { encoding: 'utf8' }).trim();
export const haveBusybox = existsSync(BUSYBOX) && process.getuid?.() === 0;

export interface Env {
  root: string;
  ctx: string;
  tmp: string;
  write(files: Record<string, string>): Promise<void>;
  cleanup(): Promise<void>;
}

export async function env(): Promise<Env> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'tsbuild-build-'));
  const root = path.join(tmp, 'root');
  const ctx = path.join(tmp, 'ctx');
  await mkdir(ctx);
  const store = await openStore(root);
  try {
    await store.load(createReadStream(BUSYBOX), { tags: ['localhost/busybox:latest'] });
  } finally {
    await store.close();
  }
  return {
    root,
    ctx,
    tmp,
    async write(files) {
      for (const [name, data] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(ctx, name)), { recursive: true });
        await writeFile(path.join(ctx, name), data);
      }
    },
    cleanup: () => rm(tmp, { recursive: true, force: true }),
  };
}

export function sink(): Writable & { text(): string; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk: Buffer, _e, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  return Object.assign(w, { text: () => Buffer.concat(chunks).toString(), bytes: () => Buffer.concat(chunks) });
}
