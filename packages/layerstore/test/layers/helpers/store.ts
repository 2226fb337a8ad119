// A fresh layer store on a temp root per test (real FsBlobStore, real records and snapshots).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FsBlobStore } from '../../../src/index.js';
import { createLayers, type LayerStore } from '../../../src/layers/index.js';

export interface TestStore {
  root: string;
  blobs: FsBlobStore;
  layers: LayerStore;
  tmpDir: string;
  snapshotsDir: string;
}

export function makeStore(t: { teardown(fn: () => void): void }): TestStore {
  const root = mkdtempSync(path.join(tmpdir(), 'tsb-layers-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const tmpDir = path.join(root, 'tmp');
  const snapshotsDir = path.join(root, 'snapshots');
  mkdirSync(tmpDir);
  mkdirSync(path.join(root, 'blobs/sha256'), { recursive: true });
  const blobs = new FsBlobStore({ blobsDir: path.join(root, 'blobs/sha256'), tmpDir });
  const layers = createLayers({ root, blobs, tmpDir, snapshotsDir, metaDir: path.join(root, 'layers') });
  return { root, blobs, layers, tmpDir, snapshotsDir };
}

/** A fresh empty dir inside the store's tmp/ (same filesystem as snapshots/), as an upper dir. */
export function makeUpper(s: TestStore, name = 'upper'): string {
  const dir = mkdtempSync(path.join(s.tmpDir, `${name}-`));
  return dir;
}
