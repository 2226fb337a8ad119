// A small program the many-process tests spawn: `node worker.js <command> <root> [args...]`.
// It prints one JSON line with its result, so the test asserts on real processes' outcomes.
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { openStore } from '../../src/store.js';
import { prune } from '../../src/manage/prune.js';
import { readImage } from '../../src/images/records.js';
import type { LayerRef } from '../../src/types.js';

const [command, root, ...args] = process.argv.slice(2);

function bytesFor(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

async function main(): Promise<unknown> {
  const store = await openStore(root!);
  try {
    switch (command) {
      case 'put': {
        // put <seed> <size>: a chunked stream, so concurrent writers interleave
        const data = bytesFor(args[0]!, Number(args[1]));
        const chunks = Array.from({ length: Math.ceil(data.length / 65536) }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536));
        return await store.blobs.put(Readable.from(chunks));
      }
      case 'images': {
        // images <worker> <rounds> <tags...>: write images with shared and own layers, tag them
        const [worker, rounds, ...tags] = args;
        const written: string[] = [];
        for (let i = 0; i < Number(rounds); i++) {
          const layers: LayerRef[] = [];
          for (const seed of ['shared-base', `w${worker}-${i % 3}`]) {
            const data = bytesFor(seed, 200_000);
            const r = await store.blobs.putBytes(data);
            layers.push({ diffID: r.digest, blob: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: r.digest, size: r.size } });
          }
          const tag = tags[i % tags.length]!;
          const img = await store.images.write({
            config: { architecture: 'amd64', os: 'linux', config: { Env: [`W=${worker}`, `I=${i}`] }, rootfs: { type: 'layers', diff_ids: [] } },
            layers,
            tags: [tag],
          });
          // Immediately use the image again by digest, as a build would (another writer may
          // already have moved the tag away and a pruner dropped the then unnamed entry).
          const back = await store.images.resolve(img.manifestDigest);
          if (!back) throw new Error(`image ${img.manifestDigest} vanished`);
          for (const l of back.layers) await store.blobs.getBytes(l.blob.digest, 1 << 20);
          written.push(img.manifestDigest);
        }
        return { written };
      }
      case 'write-image': {
        // write-image <tag>: one layer, one image with that tag, then close at once (as a build does)
        const data = bytesFor(`write-image ${args[0]}`, 10_000);
        const r = await store.blobs.putBytes(data);
        const img = await store.images.write({
          config: { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } },
          layers: [{ diffID: r.digest, blob: { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: r.digest, size: r.size } }],
          tags: [args[0]!],
        });
        return { manifest: img.manifestDigest };
      }
      case 'prune': {
        // prune <rounds>
        const freed: number[] = [];
        for (let i = 0; i < Number(args[0]); i++) freed.push((await prune(store, { danglingImages: true })).blobs.length);
        return { freed };
      }
      case 'resolve-all': {
        const out: Record<string, string> = {};
        for (const img of await store.images.list()) {
          const r = await readImage(store.blobs, img.manifestDigest, img.names);
          for (const l of r.layers) await store.blobs.getBytes(l.blob.digest, 1 << 20);
          for (const n of img.names) out[n] = img.manifestDigest;
        }
        return out;
      }
      case 'crash-with-mount': {
        // crash-with-mount <host dir>: bind-mounts a host folder into a work area (as `run -v`
        // would) and dies by SIGKILL with the mount still in place.
        const area = await store.workArea();
        const target = join(area.scratchDir, 'vol');
        await mkdir(target);
        const r = spawnSync('mount', ['--bind', args[0]!, target]);
        if (r.status !== 0) throw new Error(`mount failed: ${r.stderr.toString()}`);
        process.kill(process.pid, 'SIGKILL');
        return await new Promise(() => undefined);
      }
      default:
        throw new Error(`unknown command ${command}`);
    }
  } finally {
    await store.close();
  }
}

main().then(
  (r) => process.stdout.write(`${JSON.stringify({ ok: true, result: r })}\n`),
  (e: unknown) => {
    const err = e as { code?: string; message?: string };
    process.stdout.write(`${JSON.stringify({ ok: false, code: err.code, message: err.message })}\n`);
    process.exitCode = 1;
  },
);
