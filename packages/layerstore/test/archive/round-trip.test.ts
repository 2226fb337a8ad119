// Loads the conformance busybox image, saves it in every format and loads each archive again,
// checking the digests survive, two saves are byte-identical (EXP-01), and real consumers
// (skopeo, umoci, oci-image-tool, ocitool.py) accept the store and the archives.
import test from 'ava';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { BUSYBOX, OCITOOL, tool, withTools } from '../helpers/tools.js';
import { tempDir, tempStore } from '../helpers/temp-root.js';
import type { OpenedStore } from '../../src/store.js';
import type { ExportFormat } from '../../src/types.js';

// The digests the archive itself records (index.json → manifest → config), read with GNU tar, so
// the test holds for the shared base and for one tsbuild built (fixtures/bases/base-archive.sh).
function archiveDigests(file: string): { manifest: string; config: string } {
  const read = (name: string): string => execFileSync('tar', ['-xOf', file, name], { encoding: 'utf8' });
  const index = JSON.parse(read('index.json')) as { manifests: Array<{ digest: string }> };
  const manifest = index.manifests[0]!.digest;
  const doc = JSON.parse(read(`blobs/sha256/${manifest.slice(7)}`)) as { config: { digest: string } };
  return { manifest, config: doc.config.digest };
}
const { manifest: MANIFEST, config: CONFIG } = archiveDigests(BUSYBOX);
const NAME = 'localhost/busybox:latest';

async function loadBusybox(t: Parameters<typeof tempStore>[0]): Promise<OpenedStore> {
  const store = await tempStore(t);
  const [img] = await store.load(createReadStream(BUSYBOX), { tags: [NAME] });
  t.is(img!.manifestDigest, MANIFEST);
  t.is(img!.configDigest, CONFIG);
  return store;
}

async function saveTo(store: OpenedStore, file: string, format: ExportFormat): Promise<string> {
  const img = await store.images.resolve(NAME);
  await store.save([img!], createWriteStream(file), { format });
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function untar(file: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await tool('tar', ['-xf', file, '-C', dir]);
}

test('load of the busybox OCI archive keeps its digests and tags it', async (t) => {
  const store = await loadBusybox(t);
  const img = await store.images.resolve('localhost/busybox');
  t.deepEqual(img?.names, [NAME]);
  t.is((await store.images.resolve(CONFIG.slice(7, 19)))?.manifestDigest, MANIFEST);
  t.is((await store.images.resolve(`localhost/busybox@${MANIFEST}`))?.configDigest, CONFIG);
});

test('load without tags: a bare-tag ref.name records an unnamed image, a full name is kept', async (t) => {
  const store = await tempStore(t);
  const index = JSON.parse(execFileSync('tar', ['-xOf', BUSYBOX, 'index.json'], { encoding: 'utf8' })) as {
    manifests: Array<{ annotations?: Record<string, string> }>;
  };
  const refName = index.manifests[0]!.annotations?.['org.opencontainers.image.ref.name'] ?? '';
  const [img] = await store.load(createReadStream(BUSYBOX));
  // A ref.name without a repository ("latest") names no image; "localhost/busybox:latest" does.
  t.deepEqual(img!.names, /^[\w][\w.-]*$/.test(refName) ? [] : [refName]);
  t.is((await store.images.list()).length, 1);
});

for (const format of ['oci', 'docker', 'both'] as const) {
  test(`EXP-01: save --format ${format} is deterministic and loads back with the same digests`, async (t) => {
    const store = await loadBusybox(t);
    const dir = await tempDir(t);
    const a = await saveTo(store, join(dir, 'a.tar'), format);
    const b = await saveTo(store, join(dir, 'b.tar'), format);
    t.is(a, b, 'two saves are byte-identical');
    const second = await tempStore(t);
    const [img] = await second.load(createReadStream(join(dir, 'a.tar')));
    t.is(img!.configDigest, CONFIG);
    t.deepEqual(img!.names, [NAME]);
    if (format !== 'docker') t.is(img!.manifestDigest, MANIFEST);
    else t.is(img!.manifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    // Saving what was loaded gives the same archive again.
    t.is(await saveTo(second, join(dir, 'c.tar'), format), a);
  });
}

test('a docker-save archive without index.json loads with computed digests (synthesized manifest)', async (t) => {
  const store = await loadBusybox(t);
  const dir = await tempDir(t);
  await saveTo(store, join(dir, 'd.tar'), 'docker');
  // Strip the OCI parts: what older `docker save` writes.
  await untar(join(dir, 'd.tar'), join(dir, 'x'));
  await tool('tar', ['-cf', join(dir, 'legacy.tar'), '-C', join(dir, 'x'), 'manifest.json', 'repositories', 'blobs']);
  const fresh = await tempStore(t);
  const [img] = await fresh.load(createReadStream(join(dir, 'legacy.tar')));
  t.is(img!.configDigest, CONFIG);
  t.is(img!.manifestDigest, MANIFEST, 'the synthesized OCI manifest is byte-equal to the original');
  t.deepEqual(img!.names, ['localhost/busybox:latest']);
});

const skopeo = withTools('skopeo');
skopeo.run(skopeo.title('skopeo inspects the store itself as an OCI layout'), async (t) => {
  const store = await loadBusybox(t);
  const { stdout } = await tool('skopeo', ['inspect', `oci:${store.root}:${NAME}`]);
  const info = JSON.parse(stdout) as { Digest: string; Layers: string[] };
  t.is(info.Digest, MANIFEST);
  t.is(info.Layers.length, 1);
  const raw = await tool('skopeo', ['inspect', '--config', `oci:${store.root}:${NAME}`]);
  t.is(createHash('sha256').update(JSON.stringify(JSON.parse(raw.stdout))).digest('hex').length, 64);
});

skopeo.run(skopeo.title('skopeo reads saved archives as oci-archive and docker-archive'), async (t) => {
  const store = await loadBusybox(t);
  const dir = await tempDir(t);
  await saveTo(store, join(dir, 'both.tar'), 'both');
  await saveTo(store, join(dir, 'docker.tar'), 'docker');
  const oci = JSON.parse((await tool('skopeo', ['inspect', `oci-archive:${join(dir, 'both.tar')}:${NAME}`])).stdout) as { Digest: string };
  t.is(oci.Digest, MANIFEST);
  for (const f of ['both.tar', 'docker.tar']) {
    const cfg = (await tool('skopeo', ['inspect', '--raw', '--config', `docker-archive:${join(dir, f)}`])).stdout;
    t.is(`sha256:${createHash('sha256').update(cfg).digest('hex')}`, CONFIG, f);
  }
});

const oit = withTools('oci-image-tool');
oit.run(oit.title('oci-image-tool validates the store and extracted oci/both archives as image layouts'), async (t) => {
  const store = await loadBusybox(t);
  const dir = await tempDir(t);
  for (const format of ['oci', 'both'] as const) {
    await saveTo(store, join(dir, `${format}.tar`), format);
    await untar(join(dir, `${format}.tar`), join(dir, format));
    const r = await tool('oci-image-tool', ['validate', '--type', 'image', '--ref', `name=${NAME}`, join(dir, format)]);
    t.regex(r.stdout + r.stderr, /validation succeeded/i);
  }
  const r = await tool('oci-image-tool', ['validate', '--type', 'image', '--ref', `name=${NAME}`, store.root]);
  t.regex(r.stdout + r.stderr, /validation succeeded/i);
});

const umoci = withTools('umoci');
umoci.run(umoci.title('umoci unpacks the image from the store and from a saved layout'), async (t) => {
  const store = await loadBusybox(t);
  const dir = await tempDir(t);
  await tool('umoci', ['unpack', '--rootless', '--image', `${store.root}:${NAME}`, join(dir, 'bundle')]);
  t.true(existsSync(join(dir, 'bundle/rootfs/bin/busybox')));
  await saveTo(store, join(dir, 'both.tar'), 'both');
  await untar(join(dir, 'both.tar'), join(dir, 'layout'));
  await tool('umoci', ['unpack', '--rootless', '--image', `${join(dir, 'layout')}:${NAME}`, join(dir, 'bundle2')]);
  t.true(existsSync(join(dir, 'bundle2/rootfs/bin/busybox')));
});

const py = withTools('python3', OCITOOL);
py.run(py.title('ocitool.py flattens every saved format to the same rootfs as the original'), async (t) => {
  const store = await loadBusybox(t);
  const dir = await tempDir(t);
  const expected = (await tool('python3', [OCITOOL, 'flatten', BUSYBOX])).stdout;
  t.true(expected.length > 0);
  for (const format of ['oci', 'docker', 'both'] as const) {
    await saveTo(store, join(dir, `${format}.tar`), format);
    t.is((await tool('python3', [OCITOOL, 'flatten', join(dir, `${format}.tar`)])).stdout, expected, format);
  }
  // The store root itself passes the harness's layout check (digests, sizes, media types).
  await t.notThrowsAsync(tool('python3', [OCITOOL, 'check-layout', store.root]));
});

for (const compression of ['zstd', 'none'] as const) {
  test(`save with ${compression} layers (made by layers.compressed) loads back with the same config and diffIDs`, async (t) => {
    const store = await loadBusybox(t);
    const dir = await tempDir(t);
    const img = await store.images.resolve(NAME);
    await store.save([img!], createWriteStream(join(dir, 'z.tar')), { format: 'both', compression });
    const second = await tempStore(t);
    const [back] = await second.load(createReadStream(join(dir, 'z.tar')));
    t.is(back!.configDigest, CONFIG);
    t.deepEqual(back!.layers.map((l) => l.diffID), img!.layers.map((l) => l.diffID));
    t.is(back!.layers[0]!.blob.mediaType, compression === 'zstd' ? 'application/vnd.oci.image.layer.v1.tar+zstd' : 'application/vnd.oci.image.layer.v1.tar');
    t.not(back!.manifestDigest, MANIFEST);
  });
}

/** A docker daemon answering on this machine (CI may have one; these dev machines have only the CLI). */
function dockerDaemon(): boolean {
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { timeout: 5000, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const docker = dockerDaemon() ? { run: test, title: (s: string) => s } : { run: test.skip, title: (s: string) => `${s} (skipped: no docker daemon)` };
docker.run(docker.title('docker load accepts the docker and both archives'), async (t) => {
  const store = await loadBusybox(t);
  const dir = await tempDir(t);
  for (const format of ['docker', 'both'] as const) {
    await saveTo(store, join(dir, `${format}.tar`), format);
    const out = await tool('docker', ['load', '-i', join(dir, `${format}.tar`)]);
    t.regex(out.stdout, /busybox:latest/);
    const id = (await tool('docker', ['image', 'inspect', '--format', '{{.Id}}', 'localhost/busybox:latest'])).stdout.trim();
    t.true(id === CONFIG || id === MANIFEST, id);
  }
});
