// Test fixtures: the busybox base from the conformance set unpacked into a plain directory, sentinel
// dirs outside it, and a RunSpec builder that captures output.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, promises as fs, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { run, type RunResult, type RunSpec } from '../../src/index.js';
import { execFileSync as execFileSyncForBase } from 'node:child_process';
import { fileURLToPath as fileURLToPathForBase } from 'node:url';

/** A busybox base OCI archive: the shared conformance one, else built by tsbuild (fixtures/bases/base-archive.sh). */
export const BUSYBOX_OCI = execFileSyncForBase('bash', [fileURLToPathForBase(new URL('../../../../../fixtures/bases/base-archive.sh', import.meta.url))], { encoding: 'utf8' }).trim();

/** A fresh temp dir (under /var/tmp: some hosts sweep /tmp) removed by the caller. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(process.env.TSBUILD_TEST_TMP ?? tmpdir(), `tsbuild-runner-${prefix}-`));
}

/** index.json -> manifest -> layers, each gzip layer extracted in order with GNU tar. */
export function unpackBusybox(dest: string): void {
  const oci = path.join(dest, '.oci');
  execFileSync('mkdir', ['-p', oci, path.join(dest, 'rootfs')]);
  execFileSync('tar', ['-xf', BUSYBOX_OCI, '-C', oci]);
  const blob = (digest: string): string => path.join(oci, 'blobs', ...digest.split(':'));
  const index = JSON.parse(readFileSync(path.join(oci, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8')) as { layers: { digest: string }[] };
  for (const layer of manifest.layers) execFileSync('tar', ['-xzf', blob(layer.digest), '-C', path.join(dest, 'rootfs')]);
  execFileSync('rm', ['-rf', oci]);
}

export interface Captured extends RunResult { stdout: string; stderr: string }

export function baseSpec(rootfs: RunSpec['rootfs'], argv: string[], extra: Partial<RunSpec> = {}): RunSpec {
  return {
    rootfs,
    argv,
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'],
    cwd: '/',
    user: '',
    hostname: 'tsbuild-test',
    network: 'none',
    ...extra,
  };
}

/** run() with stdout/stderr collected as text. */
export async function runCaptured(spec: RunSpec): Promise<Captured> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  err.on('data', (c: Buffer) => errChunks.push(c));
  const r = await run({ ...spec, stdout: out, stderr: err });
  return { ...r, stdout: Buffer.concat(chunks).toString(), stderr: Buffer.concat(errChunks).toString() };
}

export function sh(rootfs: RunSpec['rootfs'], script: string, extra: Partial<RunSpec> = {}): Promise<Captured> {
  return runCaptured(baseSpec(rootfs, ['/bin/sh', '-c', script], extra));
}

/** hash, mode, uid and nlink of everything under dir, for "unchanged" assertions. */
export function snapshotTree(dir: string): string {
  const lines: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      const st = statSync(p, { throwIfNoEntry: false }) ?? null;
      const l = `${path.relative(dir, p)} ${e.isSymbolicLink() ? 'l' : e.isDirectory() ? 'd' : 'f'} ${st?.mode} ${st?.uid} ${st?.nlink}`;
      if (e.isFile()) lines.push(`${l} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
      else lines.push(l);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return lines.join('\n');
}

export async function sha256File(p: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(p)).digest('hex');
}

export async function removeTree(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

let layerDirsCount = 0;
/** A fresh upper and work dir pair under `dir` (named `<prefix><n>`), as overlay steps use them. */
export async function layerDirsIn(dir: string, prefix: string): Promise<{ upper: string; work: string }> {
  const base = path.join(dir, `${prefix}${++layerDirsCount}`);
  await fs.mkdir(path.join(base, 'upper'), { recursive: true });
  await fs.mkdir(path.join(base, 'work'));
  return { upper: path.join(base, 'upper'), work: path.join(base, 'work') };
}
