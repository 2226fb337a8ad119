// Crafted images for the end-to-end tests: an image of the store with its config edited (hostile
// values included) and optionally a hand-written layer on top, loaded back with `tsbuild load`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cli, type CliResult, type Sandbox } from './helpers.js';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/**
 * Saves `source` from the store as an OCI layout, lets `edit` change its config JSON (any shape,
 * hostile values included), re-digests config, manifest and index, and `tsbuild load`s the result
 * as `name`. Returns the load's result, so a refused load can be asserted too.
 */
export async function loadEditedImage(
  sb: Sandbox,
  source: string,
  name: string,
  edit: (config: Record<string, unknown>) => void,
  /** An uncompressed layer tar to add on top (its diffID is added to the config). */
  extraLayer?: Buffer,
): Promise<CliResult> {
  const work = await mkdtemp(path.join(sb.dir, 'craft-'));
  const tar = path.join(work, 'image.tar');
  const saved = await cli(sb.root, ['save', '--format', 'oci', '-o', tar, source]);
  if (saved.code !== 0) throw new Error(`save failed: ${saved.stderr}`);
  const layout = path.join(work, 'layout');
  await mkdir(layout);
  if (spawnSync('tar', ['-C', layout, '-xf', tar]).status !== 0) throw new Error('tar -x failed');
  const blob = (d: string): string => path.join(layout, 'blobs', 'sha256', d.replace(/^sha256:/, ''));
  const put = async (bytes: Buffer): Promise<string> => {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    await writeFile(blob(digest), bytes);
    return digest;
  };
  const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const mdesc = index.manifests[0] as Descriptor;
  const manifest = JSON.parse(await readFile(blob(mdesc.digest), 'utf8')) as { config: Descriptor };
  const config = JSON.parse(await readFile(blob(manifest.config.digest), 'utf8')) as Record<string, unknown>;
  edit(config);
  if (extraLayer) {
    const digest = await put(extraLayer);
    (manifest as unknown as { layers: Descriptor[] }).layers.push({
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest,
      size: extraLayer.length,
    });
    const rootfs = config.rootfs as { diff_ids: string[] };
    rootfs.diff_ids.push(digest);
  }
  const cbytes = Buffer.from(JSON.stringify(config));
  manifest.config = { ...manifest.config, digest: await put(cbytes), size: cbytes.length };
  const mbytes = Buffer.from(JSON.stringify(manifest));
  index.manifests = [{ ...mdesc, digest: await put(mbytes), size: mbytes.length, annotations: { 'org.opencontainers.image.ref.name': name } }];
  await writeFile(path.join(layout, 'index.json'), JSON.stringify(index));
  const out = path.join(work, 'edited.tar');
  if (spawnSync('tar', ['-C', layout, '-cf', out, '.']).status !== 0) throw new Error('tar -c failed');
  return cli(sb.root, ['load', '-i', out, name]);
}

export interface RawEntry {
  name: string;
  /** '0' file, '1' hardlink, '2' symlink, '5' dir, '3' char dev, '4' block dev, '6' fifo. */
  type: '0' | '1' | '2' | '3' | '4' | '5' | '6';
  linkname?: string;
  data?: string;
  mode?: number;
}

/** An uncompressed tar written header by header, so names and link targets can be anything. */
export function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const h = Buffer.alloc(512);
    const put = (s: string, off: number, len: number): void => {
      Buffer.from(s).copy(h, off, 0, len);
    };
    const octal = (n: number, off: number, len: number): void => put(`${n.toString(8).padStart(len - 1, '0')}\0`, off, len);
    put(e.name, 0, 100);
    octal(e.mode ?? (e.type === '5' ? 0o755 : 0o644), 100, 8);
    octal(0, 108, 8);
    octal(0, 116, 8);
    octal(e.type === '0' ? data.length : 0, 124, 12);
    octal(0, 136, 12);
    h[156] = e.type.charCodeAt(0);
    put(e.linkname ?? '', 157, 100);
    put('ustar\0', 257, 6);
    put('00', 263, 2);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
    blocks.push(h);
    if (e.type === '0' && data.length > 0) blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
