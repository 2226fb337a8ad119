// verify: checks the whole store and reports each problem with a stable code:
//   EINTEGRITY    a blob's content does not hash to its name
//   EZEROLENGTH   an empty file at a final blob path (power loss after rename, before data hit disk)
//   ESTRAY        something in blobs/ or tmp/ that is not ours
//   ESTALETEMP    temp files or work areas of a process that is gone
//   EMISSING      a tagged image's manifest, config or layer blob is absent
//   EBADIMAGE     a tagged image's manifest/config cannot be read as one
//   EBADINDEX     index.json is unreadable; EBADLAYOUT: oci-layout is wrong
//   EBADRECORD    a cache record is malformed
// plus whatever the layer code reports for snapshots/ and layers/.
// With repair, broken blobs, records and index entries are moved into quarantine/ (never
// deleted), stale temps removed, and the index rewritten without the broken entries.
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat, writeFile, lstat } from 'node:fs/promises';
import { removeTree } from '../remove-tree.js';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { OpenedStore } from '../store.js';
import type { Digest } from '../types.js';
import { validateDigest } from '../blobs/digest.js';
import { checkIndex, entryName } from '../images/oci-index.js';
import { LIMITS, parseJSON } from '../json.js';
import { isLiveTmpEntry, recoverDeadProcesses } from '../lock/process-lease.js';
import { checkConfig, checkManifest } from '../images/records.js';
import { isIndexType } from '../registry/media-types.js';
import { markLive, readJsonBlob } from './live-set.js';
import { verifyLayers } from './layer-gc.js';

export interface Problem {
  code: string;
  path: string;
  digest?: Digest;
  message: string;
  repaired?: boolean;
}

export interface VerifyResult {
  ok: boolean;
  problems: Problem[];
  checked: { blobs: number; images: number; cacheRecords: number };
}

const EMPTY_DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export async function verify(store: OpenedStore, opts: { repair?: boolean } = {}): Promise<VerifyResult> {
  const repair = !!opts.repair;
  const run = () => verifyLocked(store, repair);
  return repair ? store.gc.exclusive(run) : store.gc.shared(run);
}

async function verifyLocked(store: OpenedStore, repair: boolean): Promise<VerifyResult> {
  const problems: Problem[] = [];
  const checked = { blobs: 0, images: 0, cacheRecords: 0 };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const quarantine = async (path: string, name: string): Promise<boolean> => {
    await mkdir(store.paths.quarantine, { recursive: true, mode: 0o700 });
    await rename(path, join(store.paths.quarantine, `${stamp}-${name}`));
    return true;
  };
  const report = async (p: Problem, fix?: () => Promise<boolean>) => {
    if (repair && fix) p.repaired = await fix().catch(() => false);
    problems.push(p);
  };

  // blobs/
  for (const name of await readdir(join(store.root, 'blobs')).catch(() => [] as string[])) {
    if (name !== 'sha256') await report({ code: 'ESTRAY', path: `blobs/${name}`, message: 'unknown entry in blobs/' }, () => quarantine(join(store.root, 'blobs', name), `blobs-${name}`));
  }
  const present = new Set<Digest>();
  for (const name of (await readdir(store.paths.blobs)).sort()) {
    const path = join(store.paths.blobs, name);
    const rel = `blobs/sha256/${name}`;
    const digest = `sha256:${name}`;
    const st = await lstat(path);
    if (!validateDigest(digest) || !st.isFile()) {
      await report({ code: 'ESTRAY', path: rel, message: 'not a blob (bad name or not a regular file)' }, () => quarantine(path, `blob-${name}`));
      continue;
    }
    checked.blobs++;
    if (st.size === 0 && digest !== EMPTY_DIGEST) {
      await report({ code: 'EZEROLENGTH', path: rel, digest, message: 'empty file at a final blob path' }, () => quarantine(path, name));
      continue;
    }
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== digest) {
      await report({ code: 'EINTEGRITY', path: rel, digest, message: `content hashes to ${actual}` }, () => quarantine(path, name));
      continue;
    }
    present.add(digest);
  }

  // tmp/
  for (const name of await readdir(store.paths.tmp).catch(() => [] as string[])) {
    if (await isLiveTmpEntry(store.root, name)) continue;
    const path = join(store.paths.tmp, name);
    const code = /^[0-9]+-[0-9a-f]{8}$/.test(name) ? 'ESTALETEMP' : 'ESTRAY';
    await report({ code, path: `tmp/${name}`, message: code === 'ESTALETEMP' ? 'leftovers of a process that is gone' : 'unknown entry in tmp/' }, async () => {
      await removeTree(path);
      return true;
    });
  }
  if (repair) await recoverDeadProcesses(store.root);

  // oci-layout, index.json and what each entry needs
  const layout = await readFile(join(store.root, 'oci-layout'), 'utf8').catch(() => '');
  let layoutOk = false;
  try {
    layoutOk = (JSON.parse(layout) as { imageLayoutVersion?: string }).imageLayoutVersion === '1.0.0';
  } catch {
    layoutOk = false;
  }
  if (!layoutOk) {
    await report({ code: 'EBADLAYOUT', path: 'oci-layout', message: 'missing or not {"imageLayoutVersion":"1.0.0"}' }, async () => {
      await writeFile(join(store.root, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
      return true;
    });
  }
  const broken = new Set<string>();
  const entryProblems: Problem[] = [];
  const roots: Digest[] = [];
  let indexOk = true;
  try {
    const index = checkIndex(parseJSON(await readFile(join(store.root, 'index.json')), LIMITS.index, 'index.json'), 'index.json');
    for (const e of index.manifests) {
      checked.images++;
      roots.push(e.digest);
      const where = `index.json[${entryName(e) ?? e.digest}]`;
      const missing = await imageProblems(store, e.digest, present, isIndexType(e.mediaType));
      for (const m of missing) entryProblems.push({ ...m, path: where });
      if (missing.length > 0) broken.add(`${entryName(e) ?? ''}\u0000${e.digest}`);
    }
  } catch (e) {
    indexOk = false;
    await report({ code: 'EBADINDEX', path: 'index.json', message: `index.json is unreadable: ${(e as Error).message}` }, async () => {
      await quarantine(join(store.root, 'index.json'), 'index.json');
      await store.index.update(() => []);
      return true;
    });
  }
  if (repair && indexOk && broken.size > 0) {
    const dropped: unknown[] = [];
    await store.index.update((entries) =>
      entries.filter((e) => {
        const bad = broken.has(`${entryName(e) ?? ''}\u0000${e.digest}`);
        if (bad) dropped.push(e);
        return !bad;
      }),
    );
    await mkdir(store.paths.quarantine, { recursive: true, mode: 0o700 });
    await writeFile(join(store.paths.quarantine, `${stamp}-index-entries.json`), JSON.stringify(dropped, null, 1));
    for (const p of entryProblems) p.repaired = true;
  }
  problems.push(...entryProblems);

  // cache records
  for (const name of await readdir(store.paths.cache).catch(() => [] as string[])) {
    const path = join(store.paths.cache, name);
    checked.cacheRecords++;
    try {
      if (!/^[0-9a-f]{64}\.json$/.test(name)) throw new Error('bad name');
      const doc = parseJSON<{ key?: unknown; refs?: unknown }>(await readFile(path), LIMITS.config, name);
      if (typeof doc.key !== 'string' || !Array.isArray(doc.refs) || !doc.refs.every(validateDigest)) throw new Error('bad shape');
      if (createHash('sha256').update(doc.key).digest('hex') !== name.slice(0, 64)) throw new Error('name is not the hash of its key');
      roots.push(...doc.refs);
    } catch (e) {
      await report({ code: 'EBADRECORD', path: `cache/${name}`, message: (e as Error).message }, () => quarantine(path, `cache-${name}`));
    }
  }

  const live = await markLive(store.paths.blobs, roots);
  for (const p of await verifyLayers(store, live, repair)) problems.push(p);
  return { ok: problems.every((p) => p.repaired), problems, checked };
}

/** What is wrong with the image (or index) at `digest`: missing or unreadable documents and blobs. */
async function imageProblems(store: OpenedStore, digest: Digest, present: Set<Digest>, isIndex: boolean): Promise<Problem[]> {
  const out: Problem[] = [];
  const need = (d: Digest, what: string) => {
    if (!present.has(d)) out.push({ code: 'EMISSING', path: '', digest: d, message: `${what} ${d} is missing or corrupt` });
    return present.has(d);
  };
  if (!need(digest, isIndex ? 'index' : 'manifest')) return out;
  const doc = await readJsonBlob(store.paths.blobs, digest, LIMITS.manifest);
  if (isIndex) {
    const children = (doc as { manifests?: Array<{ digest: Digest; mediaType: string }> })?.manifests ?? [];
    for (const c of children) out.push(...(await imageProblems(store, c.digest, present, isIndexType(c.mediaType))));
    return out;
  }
  try {
    const manifest = checkManifest(doc, digest);
    if (!need(manifest.config.digest, 'config')) return out;
    checkConfig(await readJsonBlob(store.paths.blobs, manifest.config.digest, LIMITS.config), manifest.config.digest);
    for (const l of manifest.layers) {
      if (!need(l.digest, 'layer')) continue;
      const st = await stat(join(store.paths.blobs, l.digest.slice(7)));
      if (st.size !== l.size) out.push({ code: 'EINTEGRITY', path: '', digest: l.digest, message: `layer is ${st.size} bytes, the manifest says ${l.size}` });
    }
  } catch (e) {
    out.push({ code: 'EBADIMAGE', path: '', digest, message: (e as Error).message });
  }
  return out;
}
