// A pure in-memory model of the extractor (containerd applyNaive semantics in 'add' mode; overlay
// whiteout devices and opaque dirs in 'overlay' mode), for the TAR-11 property test: after every layer
// the real tree must list exactly like the model's.
// Nodes are objects so hardlinks share identity; paths are '/'-rooted strings ('/' is the root).
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fsx } from '../../../src/native.js';
import type { RawEntry } from './raw-tar.js';

type Node =
  | { kind: 'dir'; opaque?: boolean }
  | { kind: 'file'; data: string }
  | { kind: 'symlink'; target: string }
  | { kind: 'fifo' }
  | { kind: 'whiteout' };

export class ModelError extends Error {}

const split = (p: string): string[] => p.split('/').filter((c) => c !== '' && c !== '.');
const join = (dir: string, base: string): string => (dir === '/' ? '/' + base : dir + '/' + base);

function clean(p: string): string {
  const out: string[] = [];
  for (const c of split(p)) {
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out.join('/');
}

export class Model {
  readonly tree = new Map<string, Node>([['/', { kind: 'dir' }]]);

  constructor(private readonly mode: 'add' | 'overlay' = 'add') {}

  private walk(p: string, create: boolean): string {
    const todo = split(p).reverse();
    let done: string[] = [];
    let hops = 0;
    while (todo.length > 0) {
      const c = todo.pop() as string;
      if (c === '..') {
        done.pop();
        continue;
      }
      done.push(c);
      const cur = '/' + done.join('/');
      let node = this.tree.get(cur);
      if (node === undefined) {
        if (!create) continue;
        node = { kind: 'dir' };
        this.tree.set(cur, node);
      }
      if (node.kind === 'symlink') {
        if (++hops > 255) throw new ModelError('ELOOP');
        done.pop();
        if (node.target.startsWith('/')) done = [];
        for (const t of split(node.target).reverse()) todo.push(t);
        continue;
      }
      if (create && node.kind !== 'dir') throw new ModelError('ENOTDIR');
    }
    return '/' + done.join('/');
  }

  private remove(p: string): void {
    for (const k of [...this.tree.keys()]) if (k === p || k.startsWith(p + '/')) this.tree.delete(k);
  }

  /** Applies one layer; throws ModelError where the extractor fails (after the same partial effects). */
  applyLayer(entries: RawEntry[]): void {
    const created = new Set<string>();
    for (const e of entries) this.applyEntry(e, created);
  }

  private parentOf(p: string): string {
    return p.slice(0, p.lastIndexOf('/')) || '/';
  }

  private removeUncreated(dir: string, created: Set<string>): void {
    for (const k of [...this.tree.keys()]) {
      if (!this.tree.has(k) || this.parentOf(k) !== dir || k === '/') continue;
      if (!created.has(k)) this.remove(k);
      else if (this.tree.get(k)?.kind === 'dir') this.removeUncreated(k, created);
    }
  }

  private applyEntry(e: RawEntry, created: Set<string>): void {
    let type = e.type ?? '0';
    if (type === '0' && e.name.endsWith('/')) {
      if (String(e.data ?? '').length > 0) throw new ModelError('EINVALIDARCHIVE');
      type = '5'; // old-style dir entry
    }
    const c = clean(e.name);
    if (c === '') return;
    const slash = c.lastIndexOf('/');
    const parentRel = slash < 0 ? '' : c.slice(0, slash);
    const base = c.slice(slash + 1);
    if (base.startsWith('.wh.')) {
      const overlay = this.mode === 'overlay';
      if (base === '.wh..wh..opq') {
        const dir = this.walk(parentRel, overlay);
        if (overlay && dir === '/') throw new ModelError('EUNSUPPORTED');
        const node = this.tree.get(dir);
        if (overlay && node?.kind === 'dir') node.opaque = true;
        else if (node?.kind === 'dir') this.removeUncreated(dir, created);
        return;
      }
      const target = base.slice(4);
      if (target === '' || target === '.' || target === '..') throw new ModelError('EINVALIDARCHIVE');
      if (target.startsWith('.wh.')) return;
      const parent = parentRel === '' ? '/' : this.walk(parentRel, overlay);
      const p = join(parent, target);
      if (created.has(p)) return;
      this.remove(p);
      if (overlay) this.tree.set(p, { kind: 'whiteout' });
      return;
    }
    const parent = parentRel === '' ? '/' : this.walk(parentRel, true);
    const p = join(parent, base);
    const existing = this.tree.get(p);
    if (existing !== undefined && !(existing.kind === 'dir' && type === '5')) this.remove(p);
    switch (type) {
      case '5':
        // overlay: a dir replacing this layer's whiteout replaces the lower dir, so it is opaque
        if (existing?.kind !== 'dir') this.tree.set(p, { kind: 'dir', opaque: this.mode === 'overlay' && existing?.kind === 'whiteout' });
        break;
      case '0':
        this.tree.set(p, { kind: 'file', data: String(e.data ?? '') });
        break;
      case '2':
        if ((e.linkname ?? '') === '') throw new ModelError('ENOENT');
        this.tree.set(p, { kind: 'symlink', target: e.linkname as string });
        break;
      case '6':
        this.tree.set(p, { kind: 'fifo' });
        break;
      case '1': {
        const t = clean(e.linkname ?? '');
        if (t === '') throw new ModelError('EINVALIDARCHIVE');
        const ts = t.lastIndexOf('/');
        const tp = ts < 0 ? '/' : this.walk(t.slice(0, ts), false);
        const node = this.tree.get(join(tp, t.slice(ts + 1)));
        if (node === undefined || node.kind === 'dir') throw new ModelError('EINVALIDARCHIVE');
        this.tree.set(p, node);
        break;
      }
      default:
        throw new Error(`model: unsupported type ${type}`);
    }
    created.add(p);
  }

  /** "path kind content [=first path of the same inode]" lines, sorted. */
  listing(): string[] {
    const first = new Map<Node, string>();
    const keys = [...this.tree.keys()].filter((k) => k !== '/').sort();
    for (const k of keys) if (!first.has(this.tree.get(k) as Node)) first.set(this.tree.get(k) as Node, k);
    return keys.map((k) => {
      const n = this.tree.get(k) as Node;
      const content = n.kind === 'file' ? n.data : n.kind === 'symlink' ? n.target : n.kind === 'dir' && n.opaque === true ? 'opaque' : '';
      const link = n.kind !== 'dir' && first.get(n) !== k ? ` =${first.get(n)}` : '';
      return `${k} ${n.kind} ${content}${link}`;
    });
  }
}

/** The same listing for a real directory. */
export function listDir(root: string): string[] {
  const out: { k: string; kind: string; content: string; ino: number }[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      const k = rel + '/' + name;
      const st = lstatSync(p);
      if (st.isDirectory()) {
        const opaque = fsx.lgetxattr(p, 'trusted.overlay.opaque')?.toString() === 'y';
        out.push({ k, kind: 'dir', content: opaque ? 'opaque' : '', ino: st.ino });
        walk(p, k);
      } else if (st.isSymbolicLink()) out.push({ k, kind: 'symlink', content: readlinkSync(p), ino: st.ino });
      else if (st.isFIFO()) out.push({ k, kind: 'fifo', content: '', ino: st.ino });
      else if (st.isCharacterDevice() && st.rdev === 0) out.push({ k, kind: 'whiteout', content: '', ino: st.ino });
      else out.push({ k, kind: 'file', content: readFileSync(p, 'utf8'), ino: st.ino });
    }
  };
  walk(root, '');
  out.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const first = new Map<number, string>();
  for (const o of out) if (o.kind !== 'dir' && !first.has(o.ino)) first.set(o.ino, o.k);
  return out.map((o) => `${o.k} ${o.kind} ${o.content}${o.kind !== 'dir' && first.get(o.ino) !== o.k ? ` =${first.get(o.ino)}` : ''}`);
}
