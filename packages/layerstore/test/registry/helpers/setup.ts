// Common wiring for fake-registry tests: two "hosts" (127.0.0.1 and 127.0.0.2) sharing one recorder,
// an empty docker config folder (so the machine's ~/.docker never leaks in), a real store, and fast retries.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { PullOptions } from '../../../src/registry/index.js';
import type { OpenedStore } from '../../../src/store.js';
import { FakeRegistry, Recorder } from './fake-registry.js';
import { makeImage, type TestImage } from './images.js';
import { tempDir, testStore } from './store.js';

export interface World {
  recorder: Recorder;
  a: FakeRegistry;
  b: FakeRegistry;
  store: OpenedStore;
  configDir: string;
  opts: PullOptions;
  logs: string[];
}

export async function world(t: ExecutionContext, tls?: { key: string; cert: string }): Promise<World> {
  const recorder = new Recorder();
  const a = await FakeRegistry.start(recorder, { address: '127.0.0.1', tls });
  const b = await FakeRegistry.start(recorder, { address: '127.0.0.2' });
  t.teardown(async () => {
    await a.stop();
    await b.stop();
  });
  const dir = await tempDir(t);
  const configDir = join(dir, 'docker');
  await mkdir(configDir);
  const store = await testStore(t);
  const logs: string[] = [];
  const opts: PullOptions = { dockerConfigDir: configDir, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, log: (l) => logs.push(l) };
  return { recorder, a, b, store, configDir, opts, logs };
}

/** Serves `image` from `reg` as repo:tag. */
export function seed(reg: FakeRegistry, repo: string, tag: string, image: TestImage): void {
  reg.putBlob(repo, image.config);
  for (const l of image.layers) reg.putBlob(repo, l.gz);
  reg.putManifest(repo, tag, image.manifest, image.manifestDesc.mediaType);
}

export async function seeded(t: ExecutionContext, sizes = [3000, 5000]): Promise<World & { image: TestImage; ref: string }> {
  const w = await world(t);
  const image = await makeImage(sizes);
  seed(w.a, 'test/app', 'v1', image);
  return { ...w, image, ref: `${w.a.host}/test/app:v1` };
}
