// The copy engine: writes source entries (files, directories, symlinks) at host target paths inside the
// destination rootfs, with `cp -a` semantics as BuildKit's fsutil copy: contents, mode, mtime kept;
// owner = --chown, else the source's ids for a rootfs source, else 0:0 for the context; --chmod applied
// to every copied file and directory; symlinks copied verbatim (never followed); hardlinks inside one
// copy kept as hardlinks; FIFOs and device nodes of a rootfs source made anew (copySpecial; the
// context module never lists them). Targets are never followed: an existing non-directory leaf is
// removed and the new one created with O_EXCL, and metadata is set through an fd opened with
// O_NOFOLLOW (or with lchown/lutimes for symlinks, which have no mode on Linux; by path right after
// mknod for FIFOs and devices, which cannot be opened without side effects).
//
// Speed (PERFORMANCE.md): the source walk is synchronous (readdir withFileTypes + lstat), small files
// are copied inline through one reused buffer (open, read, close; create, write, fchown, fchmod,
// futimes, close: no stat of the target, no second open to set metadata), larger ones with copyFile
// 64 at a time; directory metadata is set last, deepest first, so writing children does not disturb a
// directory's mtime.
import {
  chmodSync,
  closeSync,
  constants,
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
  readSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type BigIntStats,
  type Stats,
} from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { mknodSync, splitDev } from '@tsbuild/layerstore';
import { BuildError } from '../errors.js';
import type { ModeRule } from './chmod.js';
import type { Owner } from './chown.js';
import { lstatOrUndefined, rootedOf, setDirMeta } from './dest.js';
import type { ExclusionRules } from '../context/index.js';

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
  /** Regular files, FIFOs and device nodes. */
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
/** The inline copies' buffer: synchronous, so one is enough for every copier. */
let inlineBuffer: Buffer | undefined;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** What the copier needs to know about a source entry (from an lstat, or from the context's listing). */
export interface EntryMeta {
  type: 'file' | 'dir' | 'symlink' | 'special';
  /** Permission bits (07777). */
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  size: number;
  nlink: number;
  /** "dev:ino", to keep hardlinks together. */
  inode: string;
  /** What kind of special file, for the warning. */
  special?: string;
  /** Special files: the type bits (st.mode & S_IFMT) and the device number. */
  format?: number;
  rdev?: number;
  /** Symlinks: the target when already known (else read from the source). */
  linkTarget?: string;
}

export function metaOfStats(st: Stats | BigIntStats): EntryMeta {
  const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'special';
  const meta: EntryMeta = {
    type,
    mode: Number(st.mode) & 0o7777,
    uid: Number(st.uid),
    gid: Number(st.gid),
    mtime: new Date(Number(st.mtimeMs)),
    size: Number(st.size),
    nlink: Number(st.nlink),
    inode: `${st.dev}:${st.ino}`,
  };
  if (type === 'special') Object.assign(meta, { special: kindOf(st), format: Number(st.mode) & constants.S_IFMT, rdev: Number(st.rdev) });
  return meta;
}

/** A host path: a string, or raw bytes for names that are not valid UTF-8 (from the context). */
export type HostPath = string | Buffer;

/** The queue's key for a host path. */
function keyOf(p: HostPath): string {
  return typeof p === 'string' ? p : `\0${p.toString('hex')}`;
}

/** A host path for messages. */
function textOf(p: HostPath): string {
  return typeof p === 'string' ? p : p.toString('utf8');
}

interface PendingDir {
  host: HostPath;
  meta: { mode: number; owner: Owner; mtime: Date };
}

type Job = { kind: 'copy'; src: HostPath; target: HostPath; meta: EntryMeta } | { kind: 'link'; first: HostPath; target: HostPath };

/**
 * One COPY's writer: copyEntry() (walks a source tree) or copyListed() (one entry of a listing the
 * context made) per source, writeContent() for heredocs, flush() between sources, finish() once.
 */
export class TreeCopier {
  readonly stats: CopyStats = { files: 0, dirs: 0, symlinks: 0, bytes: 0, skipped: [] };
  private readonly dirs: PendingDir[] = [];
  /** Deferred writes by target: a later write to the same target replaces the queued one. */
  private readonly queue = new Map<string, Job>();
  private readonly links = new Map<string, HostPath>();

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
   * Copies the entry at host `src` (already lstat'ed as `st`; a symlink is copied as a link) and, for
   * a directory, everything below it, to host `target` (its parent exists and was resolved in-root;
   * the leaf itself is never followed). With `contentsOnly`, an existing target directory keeps its own
   * metadata. `real` is `src` relative to the source root (.dockerignore), `inSource` to the item.
   */
  copyEntry(src: string, st: Stats, target: string, real: string, inSource: string, contentsOnly: boolean): void {
    const meta = metaOfStats(st);
    this.copyListed(src, meta, target, real, contentsOnly);
    if (meta.type === 'dir') this.walkDir(src, target, real, inSource);
  }

  /**
   * Copies one entry without descending: a directory is created (or kept) and its metadata queued;
   * the caller copies what is below it. Listings must come parents first.
   */
  copyListed(src: HostPath, meta: EntryMeta, target: HostPath, real: string, contentsOnly: boolean): void {
    if (meta.type === 'dir') this.makeDir(target, meta, real, contentsOnly);
    else if (meta.type === 'symlink') this.copySymlink(src, meta, target);
    else if (meta.type === 'file') this.copyFileEntry(src, meta, target);
    else this.copySpecial(meta, target, real);
  }

  /**
   * Creates directory `target` like a source dir (--parents intermediate dirs) unless it exists as a
   * directory; its metadata is set by finish().
   */
  makeDirLike(target: string, meta: EntryMeta): void {
    const existing = lstatOrUndefined(target);
    if (existing?.isDirectory() === true) return;
    if (existing !== undefined) throw this.notDirError(target, rootedOf(this.destRoot, target));
    mkdirSync(target, 0o700);
    this.queueDirMeta(target, meta);
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

  /**
   * Runs the deferred file copies (64 at a time), then the deferred hardlinks, and forgets the inodes
   * seen: hardlinks are kept within one source, as fsutil does with a copier per source (so a file two
   * sources match is copied twice, never linked to itself).
   */
  async flush(): Promise<void> {
    const jobs = [...this.queue.values()];
    this.queue.clear();
    const copies = jobs.filter((j): j is Job & { kind: 'copy' } => j.kind === 'copy');
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < copies.length) {
        const job = copies[next++];
        await copyFile(job.src, job.target, constants.COPYFILE_EXCL);
        this.setFileMeta(job.target, job.meta);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, copies.length) }, worker));
    for (const job of jobs) if (job.kind === 'link') linkSync(job.first, job.target);
    this.links.clear();
  }

  /** flush(), then directory metadata deepest first (children no longer change their mtime). */
  async finish(): Promise<CopyStats> {
    await this.flush();
    for (let i = this.dirs.length - 1; i >= 0; i--) setDirMeta(this.dirs[i].host, this.dirs[i].meta);
    return this.stats;
  }

  /** Forgets a deferred write to `target`: the entry written now replaces it (last source wins). */
  private claim(target: HostPath): void {
    this.queue.delete(keyOf(target));
  }

  private ownerOf(meta: EntryMeta): Owner {
    if (this.policy.owner !== undefined) return this.policy.owner;
    return this.policy.keepSourceOwner ? { uid: meta.uid, gid: meta.gid } : { uid: 0, gid: 0 };
  }

  private modeOf(meta: EntryMeta): number {
    return this.policy.chmod === undefined ? meta.mode : this.policy.chmod.apply(meta.mode, meta.type === 'dir');
  }

  private mtimeOf(meta: EntryMeta): Date {
    return this.policy.mtime ?? meta.mtime;
  }

  private queueDirMeta(host: HostPath, meta: EntryMeta): void {
    this.dirs.push({ host, meta: { mode: this.modeOf(meta), owner: this.ownerOf(meta), mtime: this.mtimeOf(meta) } });
  }

  /**
   * Whether the entry at host `src` is left out. An excluded directory exists only as the parent of
   * what a `!` line re-includes below it (fsutil creates such parents lazily; the context's walk keeps
   * them the same way), so it is kept only when something below it is.
   */
  private isFiltered(src: string, real: string, inSource: string, isDir: boolean): boolean {
    const { ignore, exclude } = this.filters;
    const ignored = ignore !== undefined && ignore.excludedBy(real, isDir) !== undefined;
    const excluded = inSource !== '' && exclude !== undefined && exclude.excludedBy(inSource, isDir) !== undefined;
    if (!ignored && !excluded) return false;
    const mayHoldExceptions = isDir && (!ignored || ignore.hasExceptions()) && (!excluded || exclude.hasExceptions());
    return !(mayHoldExceptions && this.keepsSomething(src, real, inSource));
  }

  /** Whether anything below the directory `src` survives the filters. */
  private keepsSomething(src: string, real: string, inSource: string): boolean {
    for (const d of readdirSync(src, { withFileTypes: true })) {
      const childReal = real === '' ? d.name : `${real}/${d.name}`;
      const childIn = inSource === '' ? d.name : `${inSource}/${d.name}`;
      if (!this.isFiltered(`${src}/${d.name}`, childReal, childIn, d.isDirectory())) return true;
    }
    return false;
  }

  private makeDir(target: HostPath, meta: EntryMeta, real: string, contentsOnly: boolean): void {
    this.claim(target);
    const existing = lstatOrUndefined(target);
    if (existing !== undefined && !existing.isDirectory()) throw this.notDirError(target, real || '.');
    if (existing === undefined) mkdirSync(target, 0o700);
    // The top directory of a contents copy that already exists keeps its metadata (BuildKit); every
    // other directory gets the source's (or the flags').
    if (existing === undefined || !contentsOnly) this.queueDirMeta(target, meta);
    this.stats.dirs++;
  }

  private walkDir(src: string, target: string, real: string, inSource: string): void {
    for (const d of readdirSync(src, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const childReal = real === '' ? d.name : `${real}/${d.name}`;
      const childIn = inSource === '' ? d.name : `${inSource}/${d.name}`;
      if (this.isFiltered(`${src}/${d.name}`, childReal, childIn, d.isDirectory())) continue;
      const childSrc = `${src}/${d.name}`;
      const cst = lstatOrUndefined(childSrc);
      if (cst === undefined) continue; // vanished while walking
      this.copyEntry(childSrc, cst, `${target}/${d.name}`, childReal, childIn, false);
    }
  }

  private notDirError(target: HostPath, source: string): BuildError {
    const dest = rootedOf(this.destRoot, textOf(target));
    return new BuildError('COPY_DEST_NOT_DIR', `cannot copy directory ${source} to ${dest}: it exists in the image and is not a directory`, {
      details: { source, dest },
    });
  }

  /** Makes room for a non-directory leaf: an existing directory is an error, anything else goes. */
  private clearLeaf(target: HostPath, what: string): void {
    const existing = lstatOrUndefined(target);
    if (existing === undefined) return;
    if (existing.isDirectory()) {
      const dest = rootedOf(this.destRoot, textOf(target));
      throw new BuildError('COPY_DEST_IS_DIR', `cannot replace directory ${dest} with ${what}`, {
        hint: 'copy into the directory with a trailing slash, or remove it in an earlier RUN step',
        details: { dest },
      });
    }
    unlinkSync(target); // removes a symlink itself, never its target
  }

  private copyFileEntry(src: HostPath, meta: EntryMeta, target: HostPath): void {
    this.claim(target);
    this.stats.files++;
    this.stats.bytes += meta.size;
    if (meta.nlink > 1) {
      const first = this.links.get(meta.inode);
      if (first !== undefined) {
        this.clearLeaf(target, 'a file');
        this.queue.set(keyOf(target), { kind: 'link', first, target });
        return;
      }
      this.links.set(meta.inode, target);
    }
    if (meta.size > INLINE_BYTES) {
      this.clearLeaf(target, 'a file');
      this.queue.set(keyOf(target), { kind: 'copy', src, target, meta });
      return;
    }
    this.copySmallFile(src, meta, target);
  }

  /**
   * Copies a file of at most INLINE_BYTES (by the listing; a file that grew since is copied whole)
   * and sets its metadata on the same descriptor. The target is created with O_EXCL|O_NOFOLLOW; only
   * when something is already there (rare: COPY over an existing path) is it looked at and cleared.
   */
  private copySmallFile(src: HostPath, meta: EntryMeta, target: HostPath): void {
    inlineBuffer ??= Buffer.allocUnsafe(INLINE_BYTES);
    const buf = inlineBuffer;
    const input = openSync(src, constants.O_RDONLY);
    let fd: number | undefined;
    try {
      let n = readFull(input, buf);
      try {
        fd = openSync(target, CREATE_FLAGS, 0o600);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        this.clearLeaf(target, 'a file');
        fd = openSync(target, CREATE_FLAGS, 0o600);
      }
      writeFull(fd, buf, n);
      // Only a file that grew past the buffer since it was listed needs more rounds.
      while (n === buf.length && (n = readFull(input, buf)) > 0) writeFull(fd, buf, n);
      this.applyMeta(fd, meta);
    } finally {
      closeSync(input);
      if (fd !== undefined) closeSync(fd);
    }
  }

  private setFileMeta(target: HostPath, meta: EntryMeta): void {
    const fd = openSync(target, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      this.applyMeta(fd, meta);
    } finally {
      closeSync(fd);
    }
  }

  /** Owner, mode and mtime through an open fd (never a path a symlink could redirect). */
  private applyMeta(fd: number, meta: EntryMeta): void {
    const owner = this.ownerOf(meta);
    fchownSync(fd, owner.uid, owner.gid); // before chmod: chown clears setuid/setgid
    fchmodSync(fd, this.modeOf(meta));
    const t = this.mtimeOf(meta);
    futimesSync(fd, t, t);
  }

  /**
   * FIFOs and device nodes are made anew with mknod, as BuildKit's fsutil copy does (copy.go: device,
   * named pipe and socket modes go to copyDevice, a mknod), so `RUN mkfifo` in a stage survives
   * `COPY --from`. The source is never opened, so a FIFO cannot block us. Skipped with a warning:
   * sockets (runtime state that no layer carries: the layer store's walk drops them, so the image
   * would differ from the snapshot), 0/0 character devices (overlay whiteouts, in a snapshot or an
   * upper dir), and device nodes where mknod is refused (no CAP_MKNOD, a devices cgroup).
   */
  private copySpecial(meta: EntryMeta, target: HostPath, real: string): void {
    const kind = meta.format ?? 0;
    const what = meta.special ?? 'special file';
    const skip = (why: string): void => void this.stats.skipped.push(`${real}: ${what} not copied${why}`);
    if (kind === constants.S_IFSOCK) return skip(': sockets are not layer content');
    if (kind === constants.S_IFCHR && meta.rdev === 0) return skip(' (a 0/0 character device is an overlay whiteout)');
    if ((kind !== constants.S_IFIFO && kind !== constants.S_IFCHR && kind !== constants.S_IFBLK) || typeof target !== 'string') return skip('');
    this.claim(target);
    this.clearLeaf(target, `a ${what}`);
    const { major, minor } = splitDev(meta.rdev ?? 0);
    try {
      mknodSync(target, kind | 0o600, major, minor);
    } catch (e) {
      if (kind === constants.S_IFIFO || (e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
      return skip(': mknod is not permitted here');
    }
    const owner = this.ownerOf(meta);
    lchownSync(target, owner.uid, owner.gid); // before chmod: chown clears setuid/setgid
    // chmod by path: the leaf is the node mknod just made (it never follows nor replaces anything),
    // in a tree nothing else writes during the copy, so no symlink can be there.
    chmodSync(target, this.modeOf(meta));
    const t = this.mtimeOf(meta);
    lutimesSync(target, t, t);
    this.stats.files++;
  }

  private copySymlink(src: HostPath, meta: EntryMeta, target: HostPath): void {
    this.claim(target);
    this.clearLeaf(target, 'a symlink');
    symlinkSync(meta.linkTarget ?? readlinkSync(src), target);
    const owner = this.ownerOf(meta);
    lchownSync(target, owner.uid, owner.gid);
    const t = this.mtimeOf(meta);
    lutimesSync(target, t, t);
    this.stats.symlinks++;
  }
}

/**
 * Reads until `buf` is full or the file ends; returns the bytes read. A short read of a regular file
 * is its end, so a small file costs one read, not two.
 */
function readFull(fd: number, buf: Buffer): number {
  let n = 0;
  while (n < buf.length) {
    const want = buf.length - n;
    const r = readSync(fd, buf, n, want, null);
    n += r;
    if (r < want) break;
  }
  return n;
}

function writeFull(fd: number, buf: Buffer, n: number): void {
  for (let off = 0; off < n; ) off += writeSync(fd, buf, off, n - off);
}

function kindOf(st: Stats | BigIntStats): string {
  if (st.isSocket()) return 'socket';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  return 'special file';
}
