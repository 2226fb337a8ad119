// A deterministic tar writer for archives of the store: the caller adds entries in any order,
// write() emits them sorted by name with fixed owner (0:0, no names), modes and mtime, so two
// saves of the same images are byte-identical. File bodies are buffers (JSON documents) or
// streams opened only when their entry is written, so no layer is ever held in memory.
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

export interface ArchiveEntry {
  name: string;
  /** Omitted for directories. */
  size?: number;
  body?: Buffer | (() => Promise<Readable>);
}

export async function writeTar(entries: ArchiveEntry[], dest: Writable, mtime: Date): Promise<void> {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const pack = tar.pack();
  const done = pipeline(pack, dest);
  try {
    for (const e of sorted) {
      const base = { name: e.name, mtime, uid: 0, gid: 0, uname: '', gname: '' };
      if (e.body === undefined) {
        await addEntry(pack, { ...base, type: 'directory', mode: 0o755 });
      } else if (Buffer.isBuffer(e.body)) {
        await addEntry(pack, { ...base, type: 'file', mode: 0o644, size: e.body.length }, e.body);
      } else {
        const source = await e.body();
        const sink = pack.entry({ ...base, type: 'file', mode: 0o644, size: e.size }, () => undefined);
        await pipeline(source, sink);
      }
    }
    pack.finalize();
  } catch (e) {
    pack.destroy(e as Error);
    await done.catch(() => undefined);
    throw e;
  }
  await done;
}

function addEntry(pack: tar.Pack, header: Parameters<tar.Pack["entry"]>[0], body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve());
    if (body) pack.entry(header, body, cb);
    else pack.entry(header, cb);
  });
}
