// Small test images built in memory: gzip layers of random files, a config with matching diff_ids,
// a manifest in the requested media type. Nothing here touches the network.
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { Descriptor } from '../../../src/types.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface TestLayer {
  tar: Buffer;
  gz: Buffer;
  diffID: string;
  desc: Descriptor;
}

export interface TestImage {
  layers: TestLayer[];
  config: Buffer;
  configDesc: Descriptor;
  manifest: Buffer;
  manifestDesc: Descriptor;
}

/** A tar with one file of `size` random bytes (random data keeps gzip from shrinking it). */
export async function makeLayer(size: number, name = 'file.bin'): Promise<TestLayer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((resolve, reject) => { pack.on('end', resolve); pack.on('error', reject); });
  pack.entry({ name, size, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, randomBytes(size));
  pack.finalize();
  await done;
  const tarBuf = Buffer.concat(chunks);
  const gz = gzipSync(tarBuf);
  return { tar: tarBuf, gz, diffID: sha256(tarBuf), desc: { mediaType: OCI_LAYER_GZIP, digest: sha256(gz), size: gz.length } };
}

export function makeConfig(diffIDs: string[], platform = { os: 'linux', architecture: 'amd64' }): Buffer {
  return Buffer.from(JSON.stringify({
    ...platform, config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: diffIDs },
    history: diffIDs.map(() => ({ created_by: 'test' })),
  }));
}

export async function makeImage(layerSizes: number[], opts: { mediaType?: string; platform?: { os: string; architecture: string } } = {}): Promise<TestImage> {
  const layers: TestLayer[] = [];
  for (const [i, size] of layerSizes.entries()) layers.push(await makeLayer(size, `file-${i}.bin`));
  return assembleImage(layers, opts);
}

/** Config and manifest over given layers (to share layers between images). */
export function assembleImage(given: TestLayer[], opts: { mediaType?: string; platform?: { os: string; architecture: string } } = {}): TestImage {
  const layers = given.map((l) => ({ ...l }));
  const config = makeConfig(layers.map((l) => l.diffID), opts.platform);
  const mediaType = opts.mediaType ?? OCI_MANIFEST;
  const docker = mediaType === DOCKER_MANIFEST;
  const configDesc = { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : OCI_CONFIG, digest: sha256(config), size: config.length };
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType, config: configDesc,
    layers: layers.map((l) => ({ ...l.desc, mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : OCI_LAYER_GZIP })),
  }));
  if (docker) for (const l of layers) l.desc = { ...l.desc, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' };
  return { layers, config, configDesc, manifest, manifestDesc: { mediaType, digest: sha256(manifest), size: manifest.length } };
}

/** An index over images, each with its platform. */
export function makeIndex(entries: { image: TestImage; platform: { os: string; architecture: string; variant?: string } }[]): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_INDEX,
    manifests: entries.map((e) => ({ ...e.image.manifestDesc, platform: e.platform })),
  }));
}
