// Shared set-up of the end-to-end security tests (SECURITY.md §4): a fresh store root per test with
// localhost/busybox:latest in it, the tsbuild CLI run as a child process, a sentinel dir outside every
// root whose bytes and modes must never change, and searches of everything a store holds for marker
// bytes that must never land there.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';

export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
export const CLI = path.join(REPO, 'packages/builder/bin/tsbuild.js');
export const BUSYBOX_TAR = '/work/shared/conformance/bases/busybox.oci.tar';
export const MAKE_BUSYBOX = path.join(REPO, 'fixtures/bases/make-busybox-context.sh');
export const BASE = 'localhost/busybox:latest';

/** Whether a busybox base can be had at all (the conformance tar, or a static busybox to build one). */
export const canMakeBase = existsSync(BUSYBOX_TAR) || existsSync('/bin/busybox');
export const isRoot = process.getuid?.() === 0;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  /** Kill the CLI (SIGKILL) after this long; the test then fails on a null code. Default 120 s. */
  timeoutMs?: number;
}

/** Environment of a CLI child: no TSBUILD_ROOT/SOURCE_DATE_EPOCH from the caller unless given. */
function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.TSBUILD_ROOT;
  delete env.SOURCE_DATE_EPOCH;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Starts `tsbuild --root ROOT ARGS…` and leaves it running (for signal tests). */
export function startCli(root: string, args: string[], opts: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [CLI, '--root', root, ...args], {
    cwd: opts.cwd ?? os.tmpdir(),
    env: childEnv(opts.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Collects a started CLI's output and waits for it to end. */
export function collect(child: ChildProcess, timeoutMs = 120_000): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs `tsbuild --root ROOT ARGS…` to its end. */
export async function cli(root: string, args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const child = startCli(root, args, opts);
  const done = collect(child, opts.timeoutMs);
  child.stdin?.end(opts.input ?? '');
  return done;
}

export interface Sandbox {
  /** The test's temp dir (everything below it is removed at teardown). */
  dir: string;
  /** The store root. */
  root: string;
  /** A context dir, empty at first. */
  ctx: string;
  cleanup(): Promise<void>;
}

/**
 * A temp dir with a store root holding localhost/busybox:latest, loaded from the conformance tar when
 * there is one, else built with fixtures/bases/make-busybox-context.sh like the executor tests do.
 */
export async function sandbox(prefix = 'tsbuild-sec-', opts: { tmpfsSize?: string } = {}): Promise<Sandbox> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  let root = path.join(dir, 'root');
  const ctx = path.join(dir, 'ctx');
  await mkdir(ctx);
  const cleanup = async (): Promise<void> => {
    await detachMountsBelow(dir);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (opts.tmpfsSize !== undefined) {
      // The store on a small filesystem of its own (RES-03): dir/fs is a tmpfs of that size.
      const fs = path.join(dir, 'fs');
      await mkdir(fs);
      const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${opts.tmpfsSize}`, 'tsbuild-sec-test', fs]);
      if (m.status !== 0) throw new Error(`mount tmpfs: ${m.stderr}`);
      root = path.join(fs, 'root');
    }
    if (existsSync(BUSYBOX_TAR)) {
      const r = await cli(root, ['load', '-i', BUSYBOX_TAR, BASE]);
      if (r.code !== 0) throw new Error(`loading busybox failed: ${r.stderr}`);
    } else {
      const base = path.join(dir, 'busybox-ctx');
      await busyboxContext(base);
      const r = await cli(root, ['build', '--progress', 'quiet', '-t', BASE, base]);
      if (r.code !== 0) throw new Error(`building busybox failed: ${r.stderr}`);
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { dir, root, ctx, cleanup };
}

/** Writes the busybox base context (Dockerfile FROM scratch + rootfs/) to `dest`; hostile bases edit its rootfs. */
export async function busyboxContext(dest: string): Promise<string> {
  const r = spawnSync('bash', [MAKE_BUSYBOX, dest], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make-busybox-context.sh failed: ${r.stderr}`);
  return path.join(dest, 'rootfs');
}

/** Writes files below `dir` (parents created); a value is the content. */
export async function writeTree(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const p = path.join(dir, name);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, content);
  }
}

// ---------------------------------------------------------------------------------------------------
// The sentinel dir S (SECURITY.md §4 "Sentinel convention").

export interface Sentinel {
  /** S itself, outside every root. */
  dir: string;
  /** Random bytes in S/marker; they must never be found in a store, log or export. */
  marker: string;
  /** What in S differs from when it was made (empty when nothing does). */
  changes(): Promise<string[]>;
}

/** Makes S with marker (random), sentinel (0400), probe/ (empty), resolv.conf and hosts (empty). */
export async function sentinel(parent: string): Promise<Sentinel> {
  const dir = path.join(parent, 'S');
  await mkdir(path.join(dir, 'probe'), { recursive: true });
  const marker = `MARKER-${randomBytes(16).toString('hex')}`;
  await writeFile(path.join(dir, 'marker'), `${marker}\n`);
  await writeFile(path.join(dir, 'sentinel'), 'sentinel\n');
  await chmod(path.join(dir, 'sentinel'), 0o400);
  await writeFile(path.join(dir, 'resolv.conf'), '');
  await writeFile(path.join(dir, 'hosts'), '');
  const before = await snapshotTree(dir);
  return {
    dir,
    marker,
    changes: async () => diffSnapshots(before, await snapshotTree(dir)),
  };
}

type Snapshot = Map<string, string>;

/** path → "type mode uid gid nlink size sha256|target" of everything below `dir` (lstat, never following). */
export async function snapshotTree(dir: string): Promise<Snapshot> {
  const out: Snapshot = new Map();
  const walk = async (rel: string): Promise<void> => {
    const p = path.join(dir, rel);
    const st = await lstat(p);
    let what = '';
    if (st.isFile()) what = createHash('sha256').update(await readFile(p)).digest('hex');
    else if (st.isSymbolicLink()) what = `-> ${await readlink(p)}`;
    out.set(rel || '.', `${st.mode.toString(8)} ${st.uid}:${st.gid} n${st.nlink} ${st.size} ${what}`);
    if (st.isDirectory()) for (const n of (await readdir(p)).sort()) await walk(rel ? `${rel}/${n}` : n);
  };
  await walk('');
  return out;
}

function diffSnapshots(a: Snapshot, b: Snapshot): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(`${k}: ${v} → ${b.get(k) ?? 'gone'}`);
  for (const [k, v] of b) if (!a.has(k)) out.push(`${k}: new ${v}`);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Searching what a store (or an export) holds.

/** The uncompressed bytes of a blob or file: gzip and zstd are undone, anything else is as is. */
export function plainBytes(buf: Buffer): Buffer {
  if (buf.length > 2 && buf[0] === 0x1f && buf[1] === 0x8b) return gunzipSync(buf);
  if (buf.length > 4 && buf.readUInt32LE(0) === 0xfd2fb528) {
    const r = spawnSync('zstd', ['-dc'], { input: buf, maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error('zstd -dc failed');
    return r.stdout;
  }
  return buf;
}

/**
 * Every regular file below `dir` whose bytes (uncompressed when compressed) contain `needle`. Walks
 * the whole tree without following symlinks: blobs, cache records, logs, state, snapshots.
 */
export function filesContaining(dir: string, needle: string | Buffer): string[] {
  const n = typeof needle === 'string' ? Buffer.from(needle) : needle;
  const hits: string[] = [];
  const walk = (p: string): void => {
    const st = lstatSync(p);
    if (st.isSymbolicLink()) {
      if (Buffer.from(readlinkSync(p)).includes(n)) hits.push(`${p} (symlink target)`);
    } else if (st.isDirectory()) {
      for (const name of readdirSync(p)) walk(path.join(p, name));
    } else if (st.isFile()) {
      const raw = readFileSync(p);
      let plain: Buffer = raw;
      try {
        plain = plainBytes(raw);
      } catch {
        // not decompressible after all: the raw bytes are searched
      }
      if (raw.includes(n) || plain.includes(n)) hits.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return hits;
}

/** The layer (and other) blob files of a store, by hex name. */
export function blobFiles(root: string): string[] {
  const d = path.join(root, 'blobs', 'sha256');
  return existsSync(d) ? readdirSync(d).map((n) => path.join(d, n)) : [];
}

// ---------------------------------------------------------------------------------------------------
// Plain progress output.

export interface StepLine {
  /** "RUN echo a", as the step header prints it. */
  title: string;
  cached: boolean;
}

/**
 * The numbered steps of a `--progress plain` log, in order, with whether each was CACHED. The FROM
 * step is left out (it is never a cache question).
 */
export function plainSteps(log: string): StepLine[] {
  const byId = new Map<string, StepLine>();
  const order: StepLine[] = [];
  for (const line of log.split('\n')) {
    const head = /^#(\d+) \[(?:[^\]]+ )?\d+\/\d+\] (.*?)(?: \([^()]*:\d+\))?$/.exec(line);
    if (head) {
      const [, id, title] = head as unknown as [string, string, string];
      if (/^FROM /.test(title)) continue;
      const s = { title, cached: false };
      byId.set(id, s);
      order.push(s);
      continue;
    }
    const cached = /^#(\d+) CACHED$/.exec(line);
    if (cached) {
      const s = byId.get(cached[1] as string);
      if (s) s.cached = true;
    }
  }
  return order;
}

// ---------------------------------------------------------------------------------------------------
// Processes and mounts left behind.

/** Pids of processes whose argv contains `token` (a unique string the test put in a RUN). */
export function pidsWithArg(token: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`).toString().split('\0');
      if (argv.some((a) => a.includes(token))) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Mount points in the host mount namespace at or below `dir`. */
export function mountsBelow(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

async function detachMountsBelow(dir: string): Promise<void> {
  for (const m of mountsBelow(dir).sort().reverse()) spawnSync('umount', ['-l', m]);
}

/** Polls `cond` every 100 ms until it holds or `ms` pass; returns whether it held. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves when `text` shows up in the child's stdout or stderr (or rejects after `ms`). */
export function outputIncludes(child: ChildProcess, text: string, ms = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`"${text}" not seen in ${ms} ms; output: ${seen.slice(-2000)}`)), ms);
    const on = (d: Buffer): void => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
  });
}

/** A unique token for argv searches (so tests never match each other's processes). */
export function token(prefix = 'tsbsec'): string {
  return `${prefix}${randomBytes(6).toString('hex')}`;
}

let dfCount = 0;

/**
 * Builds `dockerfile` (written beside the context, so it is not part of it) with the CLI and plain
 * progress. Extra args go before the context.
 */
export async function buildText(sb: Sandbox, dockerfile: string, args: string[] = [], opts: CliOptions = {}): Promise<CliResult> {
  const df = path.join(sb.dir, `Dockerfile.${++dfCount}`);
  await writeFile(df, dockerfile);
  return cli(sb.root, ['build', '--progress', 'plain', '-f', df, ...args, sb.ctx], opts);
}

/** The host's kernel.core_pattern (RT-03: a hostile /dev/null must never reach it). */
export function corePattern(): string {
  return readFileSync('/proc/sys/kernel/core_pattern', 'utf8');
}

/** The builder's build(), loaded from its compiled output (the API half of the end-to-end tests). */
export async function loadBuild(): Promise<typeof import('../../packages/builder/src/build.js').build> {
  const mod = (await import(path.join(REPO, 'packages/builder/dist/src/build.js'))) as typeof import('../../packages/builder/src/build.js');
  return mod.build;
}

/** A Writable that keeps nothing (progress of API builds). */
export function sink(): import('node:stream').Writable {
  return new Writable({ write: (_c, _e, cb) => cb() });
}
