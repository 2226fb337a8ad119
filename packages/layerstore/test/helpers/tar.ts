// Tars built in memory with tar-stream, for layers and hostile archives.
import tar from 'tar-stream';

export interface RawEntry {
  name: string;
  body?: Buffer | string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device';
  linkname?: string;
  /** Lie about the size (header) when set. */
  size?: number;
}

export async function tarOfEntries(entries: RawEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const body = e.body === undefined ? undefined : Buffer.from(e.body);
    await new Promise<void>((resolve, reject) => {
      const header = { name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: e.type === 'directory' ? 0o755 : 0o644, mtime: new Date(0), uid: 0, gid: 0 };
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body) pack.entry({ ...header, size: body.length }, body, cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export function tarOf(files: Record<string, string>): Promise<Buffer> {
  return tarOfEntries(Object.entries(files).sort().map(([name, body]) => ({ name, body })));
}
