// A minimal OCI layout of some layers, for the independent reader (shared/conformance/lib/ocitool.py).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LayerRef } from '../../../src/index.js';
import { fileURLToPath as fileURLToPathForBase } from 'node:url';
import { existsSync as existsSyncForTool } from 'node:fs';

/** The shared conformance reader, an independent check of our layers; present where ../shared sits beside the clone (CI). */
export const haveOcitool = (): boolean => existsSyncForTool(OCITOOL);
const OCITOOL = fileURLToPathForBase(new URL('../../../../../../../shared/conformance/lib/ocitool.py', import.meta.url));

function putJson(dir: string, value: unknown): { digest: string; size: number } {
  const bytes = Buffer.from(JSON.stringify(value));
  const hex = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(path.join(dir, 'blobs/sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

export function writeLayout(dir: string, storeRoot: string, layers: LayerRef[]): void {
  mkdirSync(path.join(dir, 'blobs/sha256'), { recursive: true });
  for (const l of layers) {
    const hex = l.blob.digest.slice(7);
    copyFileSync(path.join(storeRoot, 'blobs/sha256', hex), path.join(dir, 'blobs/sha256', hex));
  }
  const config = putJson(dir, { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) } });
  const manifest = putJson(dir, {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: layers.map((l) => l.blob),
  });
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }],
  }));
}

export function flatten(layoutDir: string): string {
  return execFileSync('python3', [OCITOOL, 'flatten', layoutDir], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
}

export function walkDir(dir: string): string {
  return execFileSync('python3', [OCITOOL, 'walk', dir], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
}
