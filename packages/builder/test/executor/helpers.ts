// Builds a Dockerfile with the fake store and runner (see fakes.ts) from a context written to a
// temp dir, returning what the executor reported.
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { executeBuild, type ExecuteBuildOptions, type ExecuteBuildResult } from '../../src/executor/index.js';
import { fakeRunner, fakeStore, recordProgress, type FakeRunner, type FakeStore, type RecordedProgress } from './fakes.js';

export interface Harness {
  store: FakeStore;
  runner: FakeRunner;
  ctx: string;
  write(files: Record<string, string | { data: string; mode: number }>): Promise<void>;
  build(dockerfile: string, opts?: Partial<ExecuteBuildOptions>): Promise<{ result: ExecuteBuildResult; progress: RecordedProgress }>;
}

// Every harness lives below one temp dir per test process, removed when the process exits.
const base = mkdtempSync(path.join(os.tmpdir(), 'tsbuild-exec-tests-'));
process.on('exit', () => rmSync(base, { recursive: true, force: true }));

export async function harness(): Promise<Harness> {
  const store = await fakeStore(base);
  const runner = fakeRunner();
  const ctx = await mkdtemp(path.join(base, 'ctx-'));
  const h: Harness = {
    store,
    runner,
    ctx,
    async write(files) {
      for (const [name, v] of Object.entries(files)) {
        const p = path.join(ctx, name);
        await mkdir(path.dirname(p), { recursive: true });
        await writeFile(p, typeof v === 'string' ? v : v.data);
        if (typeof v !== 'string') await chmod(p, v.mode);
      }
    },
    async build(dockerfile, opts = {}) {
      const progress = recordProgress();
      const result = await executeBuild({
        contextDir: ctx,
        dockerfile: path.join(ctx, 'Dockerfile'),
        dockerfileText: dockerfile,
        buildArgs: {},
        tags: [],
        labels: {},
        noCache: false,
        pull: false,
        network: 'host',
        secrets: [],
        maxParallelStages: 2,
        outputs: [],
        env: {},
        stdout: new Writable({ write: (_c, _e, cb) => cb() }),
        progress,
        store,
        runner,
        // Files written a moment ago are "racy" for the stat cache; these tests control time.
        contextOptions: { racyWindowMs: 0 },
        registry: false,
        ...opts,
      });
      return { result, progress };
    },
  };
  return h;
}
