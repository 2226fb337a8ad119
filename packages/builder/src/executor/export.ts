// `-o` outputs of a finished build. Archives come from the store's exporters; the flattened forms
// (local dir, rootfs tar) read the image through an overlay mount in the runner's private mount
// namespace, so whiteouts are already applied and nothing is mounted on the host.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Compression, ImageRecord, Store } from '@tsbuild/layerstore';
import { BuildError } from '../errors.js';
import type { PushedImage, Pusher } from './registry.js';
import { lowerDirsFor } from './rootfs.js';
import type { RunnerApi } from './types.js';

/** A parsed `-o` spec (the CLI's `parseOutput` result has this shape). */
export type OutputSpec =
  | { type: 'oci' | 'docker' | 'tar'; dest: string; compression?: Compression; name?: string }
  | { type: 'local'; dest: string }
  | { type: 'registry'; name?: string; insecure?: boolean }
  | { type: 'image'; name?: string; push?: boolean };

export interface ExportDeps {
  store: Store;
  runner: RunnerApi;
  stdout: Writable;
  /** Aborting stops a file export (its destination stream is destroyed, the temp file removed). */
  signal?: AbortSignal;
  /** Bytes written so far to a file destination, every now and then. */
  onProgress?: (bytes: number) => void;
  /** Pushes an image to a registry name (the registry client), when the layer store offers one. */
  push?: Pusher;
}

/** Resolves to where the image was pushed (type=registry, type=image with push=true), else to []. */
export async function writeOutput(
  deps: ExportDeps,
  image: ImageRecord,
  out: OutputSpec,
  opts: { names: string[]; sourceDateEpoch?: number },
): Promise<PushedImage[]> {
  switch (out.type) {
    case 'oci':
    case 'docker': {
      const names = out.name ? [out.name, ...opts.names] : opts.names;
      await withDest(deps, out.dest, (dest) =>
        deps.store.save([image], dest, {
          format: out.type === 'oci' ? 'oci' : 'docker',
          names,
          ...(out.compression ? { compression: out.compression } : {}),
          ...(opts.sourceDateEpoch !== undefined ? { sourceDateEpoch: opts.sourceDateEpoch } : {}),
        }),
      );
      return [];
    }
    case 'tar':
      await withMergedRoot(deps, image, (root) =>
        withDest(deps, out.dest, (dest) =>
          pipeCommand('tar', ['--numeric-owner', '--sort=name', '--xattrs', '-C', root, '-cf', '-', '.'], dest),
        ),
      );
      return [];
    case 'local':
      if (out.dest === '-') {
        throw new BuildError('EXPORT_LOCAL_STDOUT', 'type=local needs a directory as dest (use type=tar for stdout)');
      }
      await mkdir(out.dest, { recursive: true });
      await withMergedRoot(deps, image, (root) => runCommand('cp', ['-a', '--', `${root}/.`, out.dest]));
      return [];
    case 'registry':
      return pushTo(deps, image, namesOf(out.name, opts.names), out.insecure === true);
    case 'image': {
      const names = namesOf(out.name, []);
      for (const name of names) await deps.store.images.tag(image.manifestDigest, name);
      return out.push ? pushTo(deps, image, namesOf(out.name, opts.names), false) : [];
    }
  }
}

/** `name=` may list several names, comma separated (as BuildKit's); without it, every -t name. */
function namesOf(name: string | undefined, tags: string[]): string[] {
  return name === undefined ? tags : name.split(',').map((n) => n.trim()).filter((n) => n !== '');
}

/** Pushes to every name (docker buildx --push -t a -t b pushes both), one after the other. */
async function pushTo(deps: ExportDeps, image: ImageRecord, names: string[], insecure: boolean): Promise<PushedImage[]> {
  if (!deps.push) throw new BuildError('EXPORT_NO_REGISTRY', 'pushing to a registry is not available in this tsbuild');
  if (names.length === 0) throw new BuildError('EXPORT_NO_NAME', 'pushing needs a name (-t or name=)');
  const pushed: PushedImage[] = [];
  for (const name of names) {
    pushed.push(await deps.push(image, name, { ...(insecure ? { insecure: true } : {}), ...(deps.onProgress ? { onBytes: deps.onProgress } : {}) }));
  }
  return pushed;
}

async function withDest(deps: ExportDeps, dest: string, write: (w: Writable) => Promise<void>): Promise<void> {
  if (dest === '-') {
    await write(deps.stdout);
    return;
  }
  // Write beside the destination and rename, so a failed export leaves no half archive behind.
  const tmp = `${dest}.tsbuild-${process.pid}.tmp`;
  const file = createWriteStream(tmp);
  // Archives of big images take a while (compression): report the bytes written now and then.
  const timer = deps.onProgress ? setInterval(() => deps.onProgress?.(file.bytesWritten), 250) : undefined;
  // Errors reach us through write()'s promise; a destroyed stream must not also throw unhandled.
  file.on('error', () => undefined);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new BuildError('BUILD_CANCELLED', 'the export was cancelled'));
    if (deps.signal?.aborted) onAbort();
    else deps.signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    const writing = write(file);
    writing.catch(() => undefined);
    // The exporter may not notice a cancel until it next writes: stop waiting for it at once.
    await Promise.race([writing, aborted]);
    file.end();
    await Promise.race([finished(file), aborted]);
    await rename(tmp, dest);
  } catch (e) {
    file.destroy();
    await rm(tmp, { force: true });
    throw e;
  } finally {
    if (timer) clearInterval(timer);
    if (onAbort) deps.signal?.removeEventListener('abort', onAbort);
  }
}

async function withMergedRoot<T>(deps: ExportDeps, image: ImageRecord, use: (root: string) => Promise<T>): Promise<T> {
  const area = await deps.store.workArea();
  const session = await deps.runner.openMountSession();
  try {
    const lowers = await lowerDirsFor(deps.store, image.layers, area.scratchDir);
    const mounted = await session.mountOverlay(lowers, area.upperDir, area.workDir);
    try {
      return await use(mounted.path);
    } finally {
      await mounted.unmount();
    }
  } finally {
    await session.close();
    await area.dispose();
  }
}

function pipeCommand(cmd: string, args: string[], dest: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.pipe(dest, { end: false });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new BuildError('EXPORT_FAILED', `${cmd} failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}

function runCommand(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new BuildError('EXPORT_FAILED', `${cmd} failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}
