// EXP-02: hostile archives. Entry names are map keys only; every failure is a typed error and
// nothing is written outside the store.
import test from 'ava';
import { Readable } from 'node:stream';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { isStoreError } from '../../src/errors.js';
import { sha256, tempStore } from '../helpers/temp-root.js';
import { tarOf, tarOfEntries, type RawEntry } from '../helpers/tar.js';

const OCI_LAYOUT = { name: 'oci-layout', body: '{"imageLayoutVersion":"1.0.0"}' };

/** A valid single-image OCI archive's entries, for tests to mutate. */
async function imageEntries(): Promise<{ entries: RawEntry[]; layer: Buffer; config: string; manifest: string }> {
  const layer = await tarOf({ 'etc/x': 'x' });
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  });
  const index = JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'localhost/h:1' } }] });
  const blob = (b: Buffer | string) => ({ name: `blobs/sha256/${sha256(b).slice(7)}`, body: b });
  return { entries: [OCI_LAYOUT, blob(layer), blob(config), blob(manifest), { name: 'index.json', body: index }], layer, config, manifest };
}

async function loadEntries(t: Parameters<typeof tempStore>[0], entries: RawEntry[], gzip = false) {
  const store = await tempStore(t);
  const tar = await tarOfEntries(entries);
  return { store, result: store.load(Readable.from([gzip ? gzipSync(tar) : tar])) };
}

test('a well-formed archive loads (plain and gzip-compressed)', async (t) => {
  const { entries, manifest } = await imageEntries();
  for (const gz of [false, true]) {
    const { result } = await loadEntries(t, entries, gz);
    const [img] = await result;
    t.is(img!.manifestDigest, sha256(manifest));
    t.deepEqual(img!.names, ['localhost/h:1']);
  }
});

test('EXP-02: index.json naming blobs/sha256/../../x is EBADDESCRIPTOR', async (t) => {
  const { entries } = await imageEntries();
  entries[entries.length - 1] = { name: 'index.json', body: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'x', digest: 'sha256:../../x', size: 1 }] }) };
  const { result } = await loadEntries(t, entries);
  t.true(isStoreError(await t.throwsAsync(result), 'EBADDESCRIPTOR'));
});

test('EXP-02: manifest.json with Layers ["../../S/sentinel"] is EARCHIVE and reads nothing outside', async (t) => {
  const { config } = await imageEntries();
  const entries: RawEntry[] = [
    { name: 'cfg.json', body: config },
    { name: 'manifest.json', body: JSON.stringify([{ Config: 'cfg.json', RepoTags: ['h:1'], Layers: ['../../etc/passwd'] }]) },
  ];
  const { result } = await loadEntries(t, entries);
  t.true(isStoreError(await t.throwsAsync(result), 'EARCHIVE'));
});

test('EXP-02: traversal entry names are keys, never paths', async (t) => {
  const { entries } = await imageEntries();
  const { store, result } = await loadEntries(t, [{ name: '../../../../tmp/tsbuild-escape-probe', body: 'pwn' }, { name: '/abs/x', body: 'pwn' }, ...entries]);
  await result;
  t.false(existsSync('/tmp/tsbuild-escape-probe'));
  t.false(existsSync('/abs/x'));
  t.deepEqual((await readdir(store.root)).sort(), ['blobs', 'cache', 'index.json', 'layers', 'locks', 'oci-layout', 'snapshots', 'state', 'tmp']);
});

test('EXP-02: duplicate entries are EARCHIVE', async (t) => {
  const { entries } = await imageEntries();
  const { result } = await loadEntries(t, [...entries, entries[1]!]);
  t.true(isStoreError(await t.throwsAsync(result), 'EARCHIVE'));
});

test('EXP-02: a blob whose name is not its content hash is EINTEGRITY', async (t) => {
  const { entries, layer } = await imageEntries();
  entries[1] = { name: `blobs/sha256/${sha256(layer).slice(7)}`, body: Buffer.concat([layer, Buffer.from('x')]) };
  const { store, result } = await loadEntries(t, entries);
  t.true(isStoreError(await t.throwsAsync(result), 'EINTEGRITY'));
  t.is(await store.blobs.stat(sha256(layer)), undefined);
});

test('EXP-02: an oversized index.json is ETOOLARGE before it is read', async (t) => {
  const { entries } = await imageEntries();
  entries[entries.length - 1] = { name: 'index.json', body: Buffer.alloc(9 * 1024 * 1024, 0x20) };
  const { result } = await loadEntries(t, entries);
  t.true(isStoreError(await t.throwsAsync(result), 'ETOOLARGE'));
});

async function singleLayerArchive(layer: Buffer, diffID: string, mediaType: string): Promise<RawEntry[]> {
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffID] } });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType, digest: sha256(layer), size: layer.length }],
  });
  const index = JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length }] });
  const blob = (b: Buffer | string) => ({ name: `blobs/sha256/${sha256(b).slice(7)}`, body: b });
  return [OCI_LAYOUT, blob(layer), blob(config), blob(manifest), { name: 'index.json', body: index }];
}

test('a layer that does not unpack to its diffID is EINTEGRITY (plain and gzip)', async (t) => {
  const layer = await tarOf({ 'etc/x': 'x' });
  const other = sha256(await tarOf({ 'etc/y': 'y' }));
  for (const [bytes, type] of [[layer, 'application/vnd.oci.image.layer.v1.tar'], [gzipSync(layer), 'application/vnd.oci.image.layer.v1.tar+gzip']] as const) {
    const { result } = await loadEntries(t, await singleLayerArchive(bytes, other, type));
    t.true(isStoreError(await t.throwsAsync(result), 'EINTEGRITY'), type);
  }
});

test('a layer that is not the compression its media type says is EBADLAYER', async (t) => {
  const layer = await tarOf({ 'etc/x': 'x' });
  const { result } = await loadEntries(t, await singleLayerArchive(layer, sha256(layer), 'application/vnd.oci.image.layer.v1.tar+gzip'));
  t.true(isStoreError(await t.throwsAsync(result), 'EBADLAYER'));
});

test('a device entry in an archive is EARCHIVE', async (t) => {
  const { entries } = await imageEntries();
  const { result } = await loadEntries(t, [{ name: 'dev', type: 'character-device' }, ...entries]);
  t.true(isStoreError(await t.throwsAsync(result), 'EARCHIVE'));
});

test('tags given by the caller need exactly one image (EUSAGE otherwise)', async (t) => {
  const { entries } = await imageEntries();
  const store = await tempStore(t);
  const [img] = await store.load(Readable.from([await tarOfEntries(entries)]), { tags: ['localhost/mine:2'] });
  t.deepEqual(img!.names, ['localhost/mine:2']);
  t.true(isStoreError(await t.throwsAsync(store.load(Readable.from([await tarOfEntries([OCI_LAYOUT, { name: 'index.json', body: '{"schemaVersion":2,"manifests":[]}' }])]), { tags: ['x'] })), 'EARCHIVE'));
});

test('a legacy docker-save archive (<id>/layer.tar, <id>.json, a symlinked duplicate layer) loads', async (t) => {
  const layer = await tarOf({ 'etc/x': 'x' });
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(layer), sha256(layer)] } });
  const id = sha256(config).slice(7);
  const entries: RawEntry[] = [
    { name: 'aaaa/', type: 'directory' },
    { name: 'aaaa/layer.tar', body: layer },
    { name: 'bbbb/', type: 'directory' },
    { name: 'bbbb/layer.tar', type: 'symlink', linkname: '../aaaa/layer.tar' },
    { name: `${id}.json`, body: config },
    { name: 'manifest.json', body: JSON.stringify([{ Config: `${id}.json`, RepoTags: ['legacy:1'], Layers: ['aaaa/layer.tar', 'bbbb/layer.tar'] }]) },
    { name: 'repositories', body: JSON.stringify({ legacy: { '1': 'bbbb' } }) },
  ];
  const { result } = await loadEntries(t, entries);
  const [img] = await result;
  t.is(img!.configDigest, sha256(config));
  t.deepEqual(img!.names, ['docker.io/library/legacy:1']);
  t.deepEqual(img!.layers.map((l) => [l.blob.digest, l.blob.mediaType]), [
    [sha256(layer), 'application/vnd.oci.image.layer.v1.tar'],
    [sha256(layer), 'application/vnd.oci.image.layer.v1.tar'],
  ]);
});

test('a symlink loop in an archive is EARCHIVE, not a hang', async (t) => {
  const { config } = await imageEntries();
  const entries: RawEntry[] = [
    { name: 'a', type: 'symlink', linkname: 'b' },
    { name: 'b', type: 'symlink', linkname: 'a' },
    { name: 'c.json', body: config },
    { name: 'manifest.json', body: JSON.stringify([{ Config: 'c.json', RepoTags: [], Layers: ['a'] }]) },
  ];
  const { result } = await loadEntries(t, entries);
  t.true(isStoreError(await t.throwsAsync(result), 'EARCHIVE'));
});
