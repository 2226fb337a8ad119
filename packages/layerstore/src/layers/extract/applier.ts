// Applies tar entries to a directory with containerd `applyNaive` semantics, one entry at a time:
// - every name is cleaned lexically (`..` clamped, leading `/` dropped) and its parent resolved in-root
//   component by component for THIS entry (no cache: CVE-2021-32803/37701/37712, CVE-2025-47290);
//   the leaf itself is never followed;
// - an existing leaf is removed unless both it and the entry are directories (then they merge);
// - files are created with O_CREAT|O_EXCL|O_NOFOLLOW, so a symlink planted at the leaf fails the write;
// - symlink targets are stored verbatim (absolute ones too: they are resolved in-root when used);
// - hardlink targets must resolve in-root to an existing non-directory; link entries carry no metadata;
// - whiteouts: 'add' mode deletes (`.wh.x`) or empties (`.wh..wh..opq`) in-root; 'overlay' mode writes
//   them the overlay way (0/0 char device, trusted.overlay.opaque=y). Per the image spec a whiteout only
//   hides lower layers: one naming an entry this archive already created is ignored.
// Not reentrant: entries must be applied serially (CVE-2026-23950 is about parallel ones).
import { closeSync, lstatSync, linkSync, mkdirSync, openSync, readdirSync, rmSync, symlinkSync, writeSync, lutimesSync, constants as fsc, type Stats } from 'node:fs';
import { StoreError } from '../../errors.js';
import { fsx } from '../../native.js';
import { cleanInRoot, mkdirAllInRootSync, resolveInRootSync, resolveParentInRoot } from '../../fs/resolve.js';
import { OPAQUE_XATTR } from '../commit/walk.js';
import type { TarEntry } from './entry.js';
import { invalidArchive } from './limits.js';
import { boundTime, finishFile, finishNode, type Owner } from './metadata.js';

export type ApplyMode = 'add' | 'overlay';

export interface ApplierOptions {
  mode: ApplyMode;
  /** Owner for every entry instead of the tar's (ADD --chown). */
  chown?: Owner;
}

const WH = '.wh.';
const OPQ = '.wh..wh..opq';

function lstatMaybe(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

function isWhiteoutDevice(st: Stats | undefined): boolean {
  return st !== undefined && st.isCharacterDevice() && st.rdev === 0;
}

export class Applier {
  private readonly created = new Set<string>();
  private readonly dirTimes: { name: string; mtime: number }[] = [];

  constructor(
    private readonly root: string,
    private readonly opts: ApplierOptions,
  ) {}

  /** Applies one entry; `data` must be consumed (it is drained when the entry carries no file). */
  async apply(e: TarEntry, data: AsyncIterable<Buffer>): Promise<void> {
    const clean = cleanInRoot(e.name);
    if (clean === '') return drain(data); // the root itself is never replaced
    const slash = clean.lastIndexOf('/');
    const parentRel = slash < 0 ? '' : clean.slice(0, slash);
    const base = clean.slice(slash + 1);
    if (base.startsWith(WH)) {
      this.applyWhiteout(e, parentRel, base);
      return drain(data);
    }
    // One in-root resolution that also creates missing parents; everything below uses its result.
    const leaf = this.ensureParent(parentRel) + '/' + base;
    const existing = lstatMaybe(leaf);
    if (existing !== undefined && !(existing.isDirectory() && e.type === 'directory')) {
      rmSync(leaf, { recursive: true, force: true });
    }
    const owner = this.opts.chown ?? { uid: e.uid, gid: e.gid };
    switch (e.type) {
      case 'directory':
        if (existing === undefined || !existing.isDirectory()) mkdirSync(leaf, 0o700);
        finishNode(leaf, e, owner, false);
        // A directory replacing this archive's own whiteout replaces the lower dir: hide its contents.
        if (this.opts.mode === 'overlay' && isWhiteoutDevice(existing)) fsx.lsetxattr(leaf, OPAQUE_XATTR, Buffer.from('y'));
        this.dirTimes.push({ name: clean, mtime: e.mtime });
        break;
      case 'file':
        await this.writeFile(leaf, e, data, owner);
        break;
      case 'link':
        this.link(leaf, e);
        break;
      case 'symlink':
        symlinkSync(e.linkname, leaf);
        finishNode(leaf, e, owner, true);
        break;
      case 'char':
      case 'block':
      case 'fifo': {
        if (this.opts.mode === 'overlay' && e.type === 'char' && e.devmajor === 0 && e.devminor === 0) {
          throw invalidArchive(`${JSON.stringify(e.name)}: a 0/0 character device would act as an overlay whiteout`);
        }
        const kind = e.type === 'char' ? fsc.S_IFCHR : e.type === 'block' ? fsc.S_IFBLK : fsc.S_IFIFO;
        fsx.mknod(leaf, kind | e.mode, e.devmajor, e.devminor);
        finishNode(leaf, e, owner, true);
        break;
      }
    }
    this.created.add(leaf);
    await drain(data);
  }

  /** Sets directory times last, as entries created inside them would have changed them. */
  finish(): void {
    for (const d of this.dirTimes) {
      const r = resolveParentInRoot(this.root, d.name);
      if (lstatMaybe(r.path)?.isDirectory() === true) lutimesSync(r.path, boundTime(d.mtime), boundTime(d.mtime));
    }
  }

  /** mkdir -p of `parentRel` in-root; returns the resolved host path of the parent dir. */
  private ensureParent(parentRel: string): string {
    return parentRel === '' ? this.root : mkdirAllInRootSync(this.root, parentRel);
  }

  private async writeFile(path: string, e: TarEntry, data: AsyncIterable<Buffer>, owner: Owner): Promise<void> {
    const fd = openSync(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
    try {
      let written = 0;
      for await (const chunk of data) {
        for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
        written += chunk.length;
      }
      if (written !== e.size) throw invalidArchive(`${JSON.stringify(e.name)}: ${written} of ${e.size} bytes`);
      finishFile(fd, path, e, owner);
    } finally {
      closeSync(fd);
    }
  }

  private link(path: string, e: TarEntry): void {
    const t = resolveParentInRoot(this.root, e.linkname);
    const st = t.base === '' ? undefined : lstatMaybe(t.path);
    if (st === undefined || st.isDirectory()) {
      throw invalidArchive(`${JSON.stringify(e.name)}: hardlink target ${JSON.stringify(e.linkname)} is missing or a directory`, {
        entry: e.name, linkname: e.linkname,
      });
    }
    linkSync(t.path, path); // link(2) does not follow a symlink target: the link names the symlink itself
  }

  private applyWhiteout(e: TarEntry, parentRel: string, base: string): void {
    if (base === OPQ) return this.applyOpaque(parentRel);
    const target = base.slice(WH.length);
    if (target === '' || target === '.' || target === '..') {
      throw invalidArchive(`${JSON.stringify(e.name)}: invalid whiteout`, { entry: e.name });
    }
    if (target.startsWith(WH)) return; // aufs metadata (.wh..wh.plnk etc.): not a whiteout
    // 'add' deletes only what exists (a missing parent means nothing to delete); 'overlay' needs the
    // parent dirs to hold the whiteout device.
    const parent = this.opts.mode === 'add' ? resolveInRootSync(this.root, parentRel) : this.ensureParent(parentRel);
    const path = parent + '/' + target;
    if (this.created.has(path)) return;
    // Nothing to delete when it is missing or its parent is not a directory (lstat ENOENT/ENOTDIR).
    if (this.opts.mode === 'add') {
      if (lstatMaybe(path) !== undefined) rmSync(path, { recursive: true, force: true });
      return;
    }
    if (lstatMaybe(path) !== undefined) rmSync(path, { recursive: true, force: true });
    fsx.mknod(path, fsc.S_IFCHR, 0, 0);
  }

  private applyOpaque(dirRel: string): void {
    if (this.opts.mode === 'overlay') {
      const dir = this.ensureParent(dirRel);
      if (dir === this.root) {
        // overlayfs ignores the opaque xattr on a layer's root dir: the lower layers would stay visible.
        throw new StoreError('EUNSUPPORTED', 'an opaque whiteout of the root dir cannot be represented as an overlay snapshot', {
          details: { reason: 'root-opaque' },
        });
      }
      fsx.lsetxattr(dir, OPAQUE_XATTR, Buffer.from('y'));
      return;
    }
    const dir = resolveInRootSync(this.root, dirRel);
    if (lstatMaybe(dir)?.isDirectory() === true) this.removeUncreated(dir);
  }

  /** Empties `dir` of everything this archive did not create (containerd's opaque handling). */
  private removeUncreated(dir: string): void {
    for (const name of readdirSync(dir)) {
      const p = dir + '/' + name;
      if (!this.created.has(p)) rmSync(p, { recursive: true, force: true });
      else if (lstatSync(p).isDirectory()) this.removeUncreated(p);
    }
  }
}

async function drain(data: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of data) {
    // discard
  }
}

/** Wraps anything the filesystem threw while applying an entry into a typed error. */
export function applyError(e: unknown, entry: string): StoreError {
  if (e instanceof StoreError) return e;
  const err = e as NodeJS.ErrnoException;
  return new StoreError('EAPPLY', `applying ${JSON.stringify(entry)}: ${err.message}`, { cause: e, details: { entry, errno: err.code } });
}
