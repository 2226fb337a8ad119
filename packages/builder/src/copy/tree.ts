// The copy engine: writes source entries (files, directories, symlinks) at host target paths inside the
// destination rootfs, with `cp -a` semantics as BuildKit's fsutil copy: contents, mode, mtime kept;
// owner = --chown, else the source's ids for a rootfs source, else 0:0 for the context; --chmod applied
// to every copied file and directory; symlinks copied verbatim (never followed); hardlinks inside one
// copy kept as hardlinks. Targets are never followed: an existing non-directory leaf is removed and
// the new one created with O_EXCL, and metadata is set through an fd opened with O_NOFOLLOW (or with
// lchown/lutimes for symlinks, which have no mode on Linux).
//
// Speed (PERFORMANCE.md): the source walk is synchronous (readdir withFileTypes + lstat), small files
// are copied inline, larger ones with copyFile 64 at a time; directory metadata is set last, deepest
// first, so writing children does not disturb a directory's mtime.
import {
  closeSync,
  constants,
  copyFileSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { BuildError } from '../errors.js';
import type { ModeRule } from './chmod.js';
import type { Owner } from './chown.js';
import { lstatOrUndefined, rootedOf, setDirMeta } from './dest.js';
import type { ExclusionRules } from './ignore.js';

/** How copied entries get their metadata. */
export interface MetaPolicy {
  /** --chown; when absent: the source's ids if `keepSourceOwner`, else 0:0. */
  owner?: Owner;
  keepSourceOwner: boolean;
  chmod?: ModeRule;
  /** Fixed mtime (SOURCE_DATE_EPOCH); when absent the source's mtime is kept. */
  mtime?: Date;
}

export interface CopyStats {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  /** Source paths skipped, with why (sockets, fifos, devices). */
  skipped: string[];
}

/** Files at most this big are copied inline; bigger ones go through the async pool. */
const INLINE_BYTES = 128 * 1024;
const CONCURRENCY = 64;

interface PendingDir {
  host: string;
  meta: { mode: number; owner: Owner; mtime: Date };
}

type Job = { kind: 'copy'; src: string; st: Stats } | { kind: 'link'; first: string };

/** One COPY's writer: copyEntry()/writeContent() per source, flush() between sources, finish() once. */
export class TreeCopier {
  readonly stats: CopyStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0, skipped: [] };
  private readonly dirs: PendingDir[] = [];
  /** Deferred writes by target: a later write to the same target replaces the queued one. */
  private readonly queue = new Map<string, Job>();
  private readonly links = new Map<string, string>();

  constructor(
    private readonly destRoot: string,
    private readonly policy: MetaPolicy,
    private readonly filters: {
      /** .dockerignore, on paths relative to the source root. */
      ignore?: ExclusionRules;
      /** --exclude, on paths relative to the copied source item (BuildKit's srcComponents). */
      exclude?: ExclusionRules;
    } = {},
  ) {}

  /**
   * Copies the entry at host `src` (already lstat'ed as `st`; a symlink is copied as a link) to host
   * `target` (its parent exists and was resolved in-root; the leaf itself is never followed).
   * For a directory with `contentsOnly`, an existing target directory keeps its own metadata.
   * `real` is `src` relative to the source root (for .dockerignore); `inSource` relative to the item.
   */
  copyEntry(src: string, st: Stats, target: string, real: string, inSource: string, contentsOnly: boolean): void {
    if (st.isDirectory()) this.copyDir(src, st, target, real, inSource, contentsOnly);
    else if (st.isSymbolicLink()) this.copySymlink(src, st, target);
    else if (st.isFile()) this.copyFileEntry(src, st, target);
    else this.stats.skipped.push(`${real}: ${kindOf(st)} not copied`);
  }

  /**
   * Creates directory `target` like source dir `st` (--parents intermediate dirs) unless it exists;
   * its metadata is set by finish().
   */
  makeDirLike(target: string, st: Stats): void {
    const existing = lstatOrUndefined(target);
    if (existing?.isDirectory() === true) return;
    if (existing !== undefined) throw this.notDirError(target, rootedOf(this.destRoot, target));
    mkdirSync(target, 0o700);
    this.dirs.push({ host: target, meta: { mode: this.modeOf(st), owner: this.ownerOf(st), mtime: this.mtimeOf(st) } });
  }

  /** Writes a file with `data` at `target` (heredoc sources): mode 0644 unless --chmod, O_EXCL|O_NOFOLLOW. */
  writeContent(target: string, data: string, mtime: Date): void {
    this.claim(target);
    this.clearLeaf(target, 'a file');
    const fd = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, data);
      const owner = this.policy.owner ?? { uid: 0, gid: 0 };
      fchownSync(fd, owner.uid, owner.gid);
      fchmodSync(fd, this.policy.chmod === undefined ? 0o644 : this.policy.chmod.apply(0o644, false));
      const t = this.policy.mtime ?? mtime;
      futimesSync(fd, t, t);
    } finally {
      closeSync(fd);
    }
    this.stats.files++;
    this.stats.bytes += Buffer.byteLength(data);
  }

  /** Runs the deferred file copies (64 at a time), then the deferred hardlinks. */
  async flush(): Promise<void> {
    const jobs = [...this.queue.entries()];
    this.queue.clear();
    const copies = jobs.filter((j): j is [string, Job & { kind: 'copy' }] => j[1].kind === 'copy');
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < copies.length) {
        const [target, job] = copies[next++];
        await copyFile(job.src, target, constants.COPYFILE_EXCL);
        this.setFileMeta(target, job.st);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, copies.length) }, worker));
    for (const [target, job] of jobs) if (job.kind === 'link') linkSync(job.first, target);
  }

  /** flush(), then directory metadata deepest first (children no longer change their mtime). */
  async finish(): Promise<CopyStats> {
    await this.flush();
    for (let i = this.dirs.length - 1; i >= 0; i--) setDirMeta(this.dirs[i].host, this.dirs[i].meta);
    return this.stats;
  }

  /** Forgets a deferred write to `target`: the entry written now replaces it (last source wins). */
  private claim(target: string): void {
    this.queue.delete(target);
  }

  private ownerOf(st: Stats): Owner {
    if (this.policy.owner !== undefined) return this.policy.owner;
    return this.policy.keepSourceOwner ? { uid: st.uid, gid: st.gid } : { uid: 0, gid: 0 };
  }

  private modeOf(st: Stats): number {
    const bits = st.mode & 0o7777;
    return this.policy.chmod === undefined ? bits : this.policy.chmod.apply(bits, st.isDirectory());
  }

  private mtimeOf(st: Stats): Date {
    return this.policy.mtime ?? st.mtime;
  }

  private isFiltered(real: string, inSource: string, isDir: boolean): boolean {
    if (this.filters.ignore?.excludedBy(real, isDir) !== undefined) {
      // An ignored directory may still hold re-included paths ("!dir/keep"): walk it, like moby does.
      return !(isDir && this.filters.ignore.hasExceptions());
    }
    if (inSource !== '' && this.filters.exclude?.excludedBy(inSource, isDir) !== undefined) {
      return !(isDir && this.filters.exclude.hasExceptions());
    }
    return false;
  }

  private copyDir(src: string, st: Stats, target: string, real: string, inSource: string, contentsOnly: boolean): void {
    this.claim(target);
    const existing = lstatOrUndefined(target);
    if (existing !== undefined && !existing.isDirectory()) throw this.notDirError(target, real || '.');
    if (existing === undefined) mkdirSync(target, 0o700);
    // The top directory of a contents copy that already exists keeps its metadata (BuildKit); every
    // other directory gets the source's (or the flags').
    if (existing === undefined || !contentsOnly) {
      this.dirs.push({ host: target, meta: { mode: this.modeOf(st), owner: this.ownerOf(st), mtime: this.mtimeOf(st) } });
    }
    this.stats.dirs++;
    for (const d of readdirSync(src, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const childReal = real === '' ? d.name : `${real}/${d.name}`;
      const childIn = inSource === '' ? d.name : `${inSource}/${d.name}`;
      if (this.isFiltered(childReal, childIn, d.isDirectory())) continue;
      const childSrc = `${src}/${d.name}`;
      const cst = lstatOrUndefined(childSrc);
      if (cst === undefined) continue; // vanished while walking
      this.copyEntry(childSrc, cst, `${target}/${d.name}`, childReal, childIn, false);
    }
  }

  private notDirError(target: string, source: string): BuildError {
    const dest = rootedOf(this.destRoot, target);
    return new BuildError('COPY_DEST_NOT_DIR', `cannot copy directory ${source} to ${dest}: it exists in the image and is not a directory`, {
      details: { source, dest },
    });
  }

  /** Makes room for a non-directory leaf: an existing directory is an error, anything else goes. */
  private clearLeaf(target: string, what: string): void {
    const existing = lstatOrUndefined(target);
    if (existing === undefined) return;
    if (existing.isDirectory()) {
      throw new BuildError('COPY_DEST_IS_DIR', `cannot replace directory ${rootedOf(this.destRoot, target)} with ${what}`, {
        hint: 'copy into the directory with a trailing slash, or remove it in an earlier RUN step',
        details: { dest: rootedOf(this.destRoot, target) },
      });
    }
    unlinkSync(target); // removes a symlink itself, never its target
  }

  private copyFileEntry(src: string, st: Stats, target: string): void {
    this.claim(target);
    this.clearLeaf(target, 'a file');
    this.stats.files++;
    this.stats.bytes += st.size;
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = this.links.get(key);
      if (first !== undefined) {
        this.queue.set(target, { kind: 'link', first });
        return;
      }
      this.links.set(key, target);
    }
    if (st.size > INLINE_BYTES) {
      this.queue.set(target, { kind: 'copy', src, st });
      return;
    }
    copyFileSync(src, target, constants.COPYFILE_EXCL);
    this.setFileMeta(target, st);
  }

  private setFileMeta(target: string, st: Stats): void {
    const fd = openSync(target, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const owner = this.ownerOf(st);
      fchownSync(fd, owner.uid, owner.gid); // before chmod: chown clears setuid/setgid
      fchmodSync(fd, this.modeOf(st));
      const t = this.mtimeOf(st);
      futimesSync(fd, t, t);
    } finally {
      closeSync(fd);
    }
  }

  private copySymlink(src: string, st: Stats, target: string): void {
    this.claim(target);
    this.clearLeaf(target, 'a symlink');
    symlinkSync(readlinkSync(src), target);
    const owner = this.ownerOf(st);
    lchownSync(target, owner.uid, owner.gid);
    const t = this.mtimeOf(st);
    lutimesSync(target, t, t);
    this.stats.symlinks++;
  }
}

function kindOf(st: Stats): string {
  if (st.isSocket()) return 'socket';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'special file';
}
