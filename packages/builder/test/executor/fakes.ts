// Fakes of the store and the runner for executor logic tests: real directories (so the copy module
// and the context work for real), but layers are content digests of the upper dir, and a RUN only
// records what it was asked and writes one file describing it.
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type {
  CacheRecord,
  CommittedLayer,
  ImageConfig,
  ImageRecord,
  LayerRef,
  Store,
  WorkArea,
} from '@tsbuild/layerstore';
import type { MountSession, RunResult, RunSpec } from '@tsbuild/runner';
import type { RunnerApi } from '../../src/executor/types.js';
import type { ProgressEvent, ProgressSink } from '../../src/progress/index.js';

const sha = (s: string | Buffer): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

export interface FakeStore extends Store {
  commits: number;
  records: Map<string, CacheRecord>;
  addImage(name: string, config: Partial<ImageConfig>, files?: Record<string, string>): Promise<ImageRecord>;
}

async function describeTree(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(path.join(dir, rel))).sort()) {
    const r = rel === '' ? name : `${rel}/${name}`;
    const p = path.join(dir, r);
    const st = await lstat(p);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      out.push(`d ${r} ${mode} ${st.uid}:${st.gid}`);
      out.push(...(await describeTree(dir, r)));
    } else if (st.isSymbolicLink()) out.push(`l ${r} ${await readlink(p)}`);
    else out.push(`f ${r} ${mode} ${st.uid}:${st.gid} ${sha(await readFile(p))}`);
  }
  return out;
}

export async function fakeStore(parent = os.tmpdir()): Promise<FakeStore> {
  const root = await mkdtemp(path.join(parent, 'fake-store-'));
  const snapshots = path.join(root, 'snapshots');
  await mkdir(snapshots, { recursive: true });
  const blobs = new Set<string>();
  const records = new Map<string, CacheRecord>();
  const images = new Map<string, ImageRecord>();
  let n = 0;

  const commitDir = async (upperDir: string): Promise<CommittedLayer> => {
    const entries = await describeTree(upperDir);
    const diffID = sha(entries.join('\n'));
    const snapshotDir = path.join(snapshots, diffID.slice(7));
    if (entries.length === 0) return { empty: true, diffID, blob: { mediaType: 'x', digest: diffID, size: 0 }, snapshotDir };
    await rm(snapshotDir, { recursive: true, force: true });
    await rename(upperDir, snapshotDir);
    blobs.add(diffID);
    return { empty: false, diffID, blob: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffID, size: entries.length * 100 }, snapshotDir };
  };

  const store: FakeStore = {
    root,
    commits: 0,
    records,
    blobs: {
      async stat(d: string) {
        return blobs.has(d) ? { size: 1 } : undefined;
      },
    } as unknown as Store['blobs'],
    layers: {
      async commit(upperDir: string) {
        store.commits++;
        return commitDir(upperDir);
      },
      async snapshot(l: LayerRef) {
        return path.join(snapshots, l.diffID.slice(7));
      },
    } as unknown as Store['layers'],
    images: {
      async resolve(ref: string) {
        return images.get(ref);
      },
      async write(o: { config: ImageConfig; layers: LayerRef[]; tags?: string[] }) {
        const configDigest = sha(JSON.stringify(o.config));
        const manifest = { schemaVersion: 2 as const, mediaType: 'm', config: { mediaType: 'c', digest: configDigest, size: 1 }, layers: o.layers.map((l) => l.blob) };
        const rec: ImageRecord = { names: o.tags ?? [], manifestDigest: sha(JSON.stringify(manifest)), manifest, configDigest, config: o.config, layers: o.layers };
        for (const t of o.tags ?? []) images.set(t, rec);
        return rec;
      },
    } as unknown as Store['images'],
    cache: {
      async get(k: string) {
        return records.get(k);
      },
      async put(k: string, r: CacheRecord) {
        records.set(k, structuredClone(r));
      },
      async delete(k: string) {
        records.delete(k);
      },
    },
    async workArea(): Promise<WorkArea> {
      const dir = path.join(root, 'tmp', String(n++));
      const area = { upperDir: path.join(dir, 'upper'), workDir: path.join(dir, 'work'), scratchDir: path.join(dir, 'scratch') };
      for (const d of Object.values(area)) await mkdir(d, { recursive: true });
      return { ...area, dispose: () => rm(dir, { recursive: true, force: true }) };
    },
    async stateDir(name: string) {
      const d = path.join(root, 'state', name);
      await mkdir(d, { recursive: true });
      return d;
    },
    async save() {
      throw new Error('fake store: save');
    },
    async load() {
      throw new Error('fake store: load');
    },
    async close() {},
    async addImage(name, config, files = {}) {
      const upper = path.join(root, `img-${n++}`);
      await mkdir(upper, { recursive: true });
      for (const [f, c] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(upper, f)), { recursive: true });
        await writeFile(path.join(upper, f), c);
      }
      const l = await commitDir(upper);
      const full: ImageConfig = { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [l.diffID] }, history: [], ...config };
      const rec = await store.images.write({ config: full, layers: [{ diffID: l.diffID, blob: l.blob }], tags: [name] });
      return rec;
    },
  };
  return store;
}

export interface FakeRunner extends RunnerApi {
  runs: RunSpec[];
  /** Most runs alive at once. */
  maxConcurrent: number;
  /** Each run takes this long (or until its signal aborts). */
  delayMs: number;
}

/**
 * RUN writes /ran-<hash> holding its argv, env, user and cwd. In the command, "exit N" fails with N,
 * "oom" is killed for memory, "killme" dies of SIGKILL, "fast" ignores `delayMs`.
 */
export function fakeRunner(): FakeRunner {
  const runs: RunSpec[] = [];
  let alive = 0;
  const r: FakeRunner = {
    runs,
    maxConcurrent: 0,
    delayMs: 0,
    async run(spec: RunSpec): Promise<RunResult> {
      runs.push(spec);
      alive++;
      r.maxConcurrent = Math.max(r.maxConcurrent, alive);
      const cancelled = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), spec.argv.join(' ').includes('fast') ? 0 : r.delayMs);
        spec.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      alive--;
      if (cancelled) return { exitCode: null, signal: 'SIGKILL', oomKilled: false, timedOut: false, cancelled: true, durationMs: 1 };
      if (spec.rootfs.type !== 'overlay') throw new Error('fake runner: overlay only');
      const text = JSON.stringify({ argv: spec.argv, env: spec.env, user: spec.user, cwd: spec.cwd });
      await writeFile(path.join(spec.rootfs.upperDir, `ran-${sha(text).slice(7, 19)}`), text);
      const out = spec.stdout instanceof Writable ? spec.stdout : undefined;
      out?.write(`ran ${spec.argv.join(' ')}\n`);
      const cmd = spec.argv.join(' ');
      if (cmd.includes('oom')) return { exitCode: 137, signal: 'SIGKILL', oomKilled: true, timedOut: false, cancelled: false, durationMs: 1 };
      if (cmd.includes('killme')) return { exitCode: null, signal: 'SIGKILL', oomKilled: false, timedOut: false, cancelled: false, durationMs: 1 };
      const m = /exit (\d+)/.exec(cmd);
      const code = m ? Number(m[1]) : 0;
      return { exitCode: code, signal: null, oomKilled: false, timedOut: false, cancelled: false, durationMs: 1 };
    },
    async openMountSession(): Promise<MountSession> {
      // No overlay: the "merged view" is the upper dir itself (enough for COPY into new paths).
      return {
        async mountOverlay(_lowers: string[], upperDir: string) {
          return { path: upperDir, async unmount() {} };
        },
        async close() {},
      };
    },
    async resolveUser() {
      return { uid: 0, gid: 0, additionalGids: [], home: '/root' };
    },
  };
  return r;
}

export interface RecordedProgress extends ProgressSink {
  events: ProgressEvent[];
  /** "CACHED RUN x" / "RAN RUN x" per file step, in order. */
  outcomes(): string[];
  notes(): string[];
}

export function recordProgress(): RecordedProgress {
  const events: ProgressEvent[] = [];
  return {
    events,
    emit(e) {
      events.push(e);
    },
    async close() {},
    outcomes() {
      return events.flatMap((e) =>
        e.type === 'step-cached' ? [`CACHED ${e.step.text}`] : e.type === 'step-start' && !e.step.text.startsWith('FROM') ? [`RAN ${e.step.text}`] : [],
      );
    },
    notes() {
      return events.flatMap((e) => (e.type === 'step-note' ? [e.message] : []));
    },
  };
}
