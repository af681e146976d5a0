// The mounted file system: archive trees served as FUSE nodes. Three layouts, as borg's mount:
// one archive at the mount point; a repository with one directory per archive, each archive's
// tree built the first time its directory is opened or looked into; or the versions view (one
// merged tree, built before mounting). Node numbers: 1 is the mount point; in a repository,
// 2..N+1 are the archive directories and each loaded tree gets the next free range; a hard link
// reports the number of the file it links to, so that link counts and `cp -a` work.
import { encodeFsString } from '../format/surrogate-escape.js';
import type { ArchiveSource } from '../archive/archive-reader.js';
import { openArchive } from '../archive/archive-reader.js';
import type { ArchiveEntry } from '../archive/manifest.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../archive/item.js';
import { parseUtcIso } from '../archive/timestamps.js';
import { ArchiveTree, buildArchiveTree, isWholeArchive, NO_ENTRY, type ArchiveTreeCache, type TreeSelection } from '../archive/tree/index.js';
import { user2uid, group2gid } from '../platform/users.js';
import { ChunkCache, type ChunkSource } from './chunk-cache.js';
import { FileReader } from './file-reader.js';
import { ERRNO, FuseError, type DirEntry, type FuseOperations } from './fuse/operations.js';
import type { FuseAttr, StatfsOut } from './fuse/protocol.js';
import type { MountOptions } from './mount-options.js';

const O_ACCMODE = 3;
const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

export type MountLayout =
  /** One tree at the mount point (an archive, or the versions view). */
  | { kind: 'tree'; tree: ArchiveTree }
  /** One directory per archive, in this order. */
  | { kind: 'repository'; archives: readonly ArchiveEntry[] };

export interface ArchiveFsOptions {
  mount: MountOptions;
  /** Report the archived numeric ids instead of mapping the archived names (--numeric-ids). */
  numericIds: boolean;
  selection: TreeSelection;
  /** Where trees of whole archives are kept between mounts (none: always built). */
  trees?: ArchiveTreeCache | undefined;
  dataCacheEntries: number;
  warn: (message: string) => void;
  debug: (message: string) => void;
}

/** A tree and where its nodes are numbered; in a repository it is loaded on first use. */
interface Slot {
  rootIno: number;
  /** Entry e > 0 has number base + e. */
  base: number;
  tree: ArchiveTree | undefined;
  loading: Promise<ArchiveTree> | undefined;
  archive: ArchiveEntry | undefined;
  /** The directory's mtime when it stands for an archive: the archive's start time. */
  timeNs: bigint | undefined;
}

interface Node {
  slot: Slot;
  entry: number;
}

export class ArchiveFileSystem implements FuseOperations {
  readonly #slots: Slot[] = [];
  readonly #byName = new Map<string, Slot>();
  /** Loaded slots ordered by base, for finding the tree of a node number. */
  readonly #loaded: Slot[] = [];
  readonly #repository: boolean;
  #nextIno: number;
  readonly #cache: ChunkCache;
  readonly #files = new Map<number, FileReader>();
  #nextFh = 1;
  readonly #mountTimeNs = BigInt(Date.now()) * 1_000_000n;
  readonly #defaultUid: number;
  readonly #defaultGid: number;

  constructor(private readonly source: ArchiveSource & ChunkSource, layout: MountLayout, private readonly options: ArchiveFsOptions) {
    this.#cache = new ChunkCache(source, { capacity: options.dataCacheEntries, allowDamaged: options.mount.allowDamagedFiles, onWarning: options.warn });
    this.#defaultUid = options.mount.uid ?? process.getuid?.() ?? 0;
    this.#defaultGid = options.mount.gid ?? process.getgid?.() ?? 0;
    if (layout.kind === 'tree') {
      this.#repository = false;
      const slot: Slot = { rootIno: 1, base: 1, tree: layout.tree, loading: undefined, archive: undefined, timeNs: undefined };
      this.#slots.push(slot);
      this.#loaded.push(slot);
      this.#nextIno = 1 + layout.tree.count;
    } else {
      this.#repository = true;
      layout.archives.forEach((archive, i) => {
        const slot: Slot = { rootIno: 2 + i, base: 0, tree: undefined, loading: undefined, archive, timeNs: parseUtcIso(archive.time) * 1000n };
        this.#slots.push(slot);
        this.#byName.set(encodeFsString(archive.name).toString('latin1'), slot);
      });
      this.#nextIno = 2 + layout.archives.length;
    }
  }

  // --- nodes -------------------------------------------------------------------------------------

  /** The node of a number; null for the repository root. */
  #node(ino: number): Node | null {
    if (this.#repository) {
      if (ino === 1) return null;
      if (ino >= 2 && ino < 2 + this.#slots.length) return { slot: this.#slots[ino - 2]!, entry: 0 };
    } else if (ino === 1) {
      return { slot: this.#slots[0]!, entry: 0 };
    }
    let lo = 0;
    let hi = this.#loaded.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const slot = this.#loaded[mid]!;
      if (ino <= slot.base) hi = mid - 1;
      else if (ino >= slot.base + slot.tree!.count) lo = mid + 1;
      else return { slot, entry: ino - slot.base };
    }
    throw new FuseError(ERRNO.ENOENT);
  }

  #ino(slot: Slot, entry: number): number {
    return entry === 0 ? slot.rootIno : slot.base + entry;
  }

  /** The tree of a slot, built on first use (an archive directory in a repository). */
  async #tree(slot: Slot): Promise<ArchiveTree> {
    if (slot.tree !== undefined) return slot.tree;
    slot.loading ??= this.#load(slot);
    try {
      return await slot.loading;
    } catch (e) {
      slot.loading = undefined;
      this.options.warn(`Cannot load archive ${slot.archive!.name}: ${e instanceof Error ? e.message : String(e)}`);
      throw new FuseError(ERRNO.EIO);
    }
  }

  async #load(slot: Slot): Promise<ArchiveTree> {
    const started = performance.now();
    const archive = await openArchive(this.source, slot.archive!.name);
    const { trees, selection, warn } = this.options;
    const tree = trees !== undefined && isWholeArchive(selection)
      ? (await trees.obtain(this.source, archive, { onWarning: warn })).tree
      : await buildArchiveTree(this.source, archive, { ...selection, onWarning: warn });
    slot.base = this.#nextIno - 1;
    this.#nextIno += tree.count - 1;
    slot.tree = tree;
    this.#loaded.push(slot); // bases only grow: the list stays sorted
    this.options.debug(`fuse: loaded archive ${slot.archive!.name} (${tree.count} entries) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return tree;
  }

  // --- attributes --------------------------------------------------------------------------------

  #dirAttr(ino: number, timeNs: bigint): FuseAttr {
    return {
      ino, size: 0, blocks: 0, atimeNs: timeNs, mtimeNs: timeNs, ctimeNs: timeNs, mode: (S_IFDIR | 0o755) & ~this.options.mount.umask,
      nlink: 1, uid: this.#defaultUid, gid: this.#defaultGid, rdev: 0, blksize: 512,
    };
  }

  /** borg's get_item_uid_gid: forced ids, else the archived name's local id, else the archived id. */
  #owner(tree: ArchiveTree, e: number): [number, number] {
    const { mount, numericIds } = this.options;
    let uid = mount.uid;
    if (uid === undefined) {
      const name = numericIds ? undefined : tree.user(e);
      uid = (typeof name === 'string' ? user2uid(name) : null) ?? tree.uid(e);
    }
    let gid = mount.gid;
    if (gid === undefined) {
      const name = numericIds ? undefined : tree.group(e);
      gid = (typeof name === 'string' ? group2gid(name) : null) ?? tree.gid(e);
    }
    return [uid, gid];
  }

  /** Attributes of an entry (resolved through hard links). */
  #attr(slot: Slot, entry: number): FuseAttr {
    const tree = slot.tree!;
    const e = tree.resolve(entry);
    const ino = this.#ino(slot, e);
    if (tree.isSynthetic(e)) return this.#dirAttr(ino, e === 0 && slot.timeNs !== undefined ? slot.timeNs : this.#mountTimeNs);
    const [uid, gid] = this.#owner(tree, e);
    const size = tree.size(e);
    return {
      ino, size, blocks: Math.ceil(size / 512), atimeNs: tree.atimeNs(e), mtimeNs: tree.mtimeNs(e), ctimeNs: tree.ctimeNs(e),
      mode: tree.mode(e) & ~this.options.mount.umask, nlink: tree.nlink(e), uid, gid, rdev: tree.rdev(e), blksize: 512,
    };
  }

  /** The attributes of a node whose tree may not be loaded yet (an archive directory). */
  #nodeAttr(ino: number): FuseAttr {
    const node = this.#node(ino);
    if (node === null) return this.#dirAttr(1, this.#mountTimeNs);
    if (node.slot.tree === undefined) return this.#dirAttr(ino, node.slot.timeNs ?? this.#mountTimeNs);
    return this.#attr(node.slot, node.entry);
  }

  // --- FUSE operations ---------------------------------------------------------------------------

  getattr(ino: number): FuseAttr {
    return this.#nodeAttr(ino);
  }

  async lookup(parent: number, name: Buffer): Promise<FuseAttr | null> {
    const node = this.#node(parent);
    if (node === null) {
      const slot = this.#byName.get(name.toString('latin1'));
      return slot === undefined ? null : this.#nodeAttr(slot.rootIno);
    }
    const tree = await this.#tree(node.slot);
    const e = tree.lookup(tree.resolve(node.entry), name);
    return e === NO_ENTRY ? null : this.#attr(node.slot, e);
  }

  async opendir(ino: number): Promise<number> {
    const node = this.#node(ino);
    if (node !== null) await this.#tree(node.slot);
    return 0;
  }

  releasedir(): void {}

  async readdir(ino: number, offset: number): Promise<Iterable<DirEntry>> {
    const node = this.#node(ino);
    if (node === null) return this.#rootEntries(offset);
    const tree = await this.#tree(node.slot);
    return this.#treeEntries(node.slot, tree, tree.resolve(node.entry), offset);
  }

  *#rootEntries(offset: number): IterableIterator<DirEntry> {
    if (offset <= 0) yield { name: DOT, ino: 1, mode: S_IFDIR };
    if (offset <= 1) yield { name: DOTDOT, ino: 1, mode: S_IFDIR };
    for (let i = Math.max(offset - 2, 0); i < this.#slots.length; i++) {
      const slot = this.#slots[i]!;
      yield { name: encodeFsString(slot.archive!.name), ino: slot.rootIno, mode: S_IFDIR, attr: () => this.#nodeAttr(slot.rootIno) };
    }
  }

  *#treeEntries(slot: Slot, tree: ArchiveTree, dir: number, offset: number): IterableIterator<DirEntry> {
    if (offset <= 0) yield { name: DOT, ino: this.#ino(slot, dir), mode: S_IFDIR };
    if (offset <= 1) {
      const parent = tree.parent(dir);
      yield { name: DOTDOT, ino: parent === NO_ENTRY ? 1 : this.#ino(slot, parent), mode: S_IFDIR };
    }
    const count = tree.childCount(dir);
    for (let i = Math.max(offset - 2, 0); i < count; i++) {
      const child = tree.child(dir, i);
      const target = tree.resolve(child);
      yield { name: tree.name(child), ino: this.#ino(slot, target), mode: tree.mode(target), attr: () => this.#attr(slot, target) };
    }
  }

  /** The tree and resolved entry of a node that must be in a loaded tree. */
  #entry(ino: number): { slot: Slot; tree: ArchiveTree; e: number } {
    const node = this.#node(ino);
    if (node === null || node.slot.tree === undefined) throw new FuseError(ERRNO.EISDIR);
    return { slot: node.slot, tree: node.slot.tree, e: node.slot.tree.resolve(node.entry) };
  }

  async readlink(ino: number): Promise<Buffer> {
    const { tree, e } = this.#entry(ino);
    if ((tree.mode(e) & S_IFMT) !== S_IFLNK) throw new FuseError(ERRNO.EINVAL);
    const item = await tree.item(e);
    return encodeFsString(item?.source ?? '');
  }

  async open(ino: number, flags: number): Promise<number> {
    if ((flags & O_ACCMODE) !== 0) throw new FuseError(ERRNO.EROFS);
    const { tree, e } = this.#entry(ino);
    if ((tree.mode(e) & S_IFMT) !== S_IFREG) throw new FuseError((tree.mode(e) & S_IFMT) === S_IFDIR ? ERRNO.EISDIR : ERRNO.EINVAL);
    if (tree.isDamaged(e) && !this.options.mount.allowDamagedFiles) {
      this.options.warn('File has damaged (all-zero) chunks. Try running borg check --repair. Mount with allow_damaged_files to read damaged files.');
      throw new FuseError(ERRNO.EIO);
    }
    const item = await tree.item(e);
    const fh = this.#nextFh++;
    this.#files.set(fh, new FileReader(item?.chunks ?? [], this.#cache));
    return fh;
  }

  read(fh: number, offset: number, size: number): Promise<Buffer> {
    const file = this.#files.get(fh);
    if (file === undefined) throw new FuseError(ERRNO.EBADF);
    return file.read(offset, size);
  }

  release(fh: number): void {
    this.#files.delete(fh);
  }

  lseek(fh: number, offset: number, whence: number): number {
    const file = this.#files.get(fh);
    if (file === undefined) throw new FuseError(ERRNO.EBADF);
    return file.seek(offset, whence);
  }

  async getxattr(ino: number, name: Buffer): Promise<Buffer> {
    const xattrs = await this.#xattrs(ino);
    const value = xattrs?.get(name.toString('latin1'));
    if (value === undefined) throw new FuseError(ERRNO.ENODATA);
    return value ?? Buffer.alloc(0);
  }

  async listxattr(ino: number): Promise<Buffer[]> {
    const xattrs = await this.#xattrs(ino);
    return [...(xattrs?.keys() ?? [])].map((name) => Buffer.from(name, 'latin1'));
  }

  async #xattrs(ino: number): Promise<Map<string, Buffer | null> | undefined> {
    const node = this.#node(ino);
    if (node === null || node.slot.tree === undefined) return undefined;
    const tree = node.slot.tree;
    const e = tree.resolve(node.entry);
    if (!tree.hasXattrs(e)) return undefined;
    return (await tree.item(e))?.xattrs;
  }

  statfs(): StatfsOut {
    return { blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, bsize: 512, namelen: 255, frsize: 512 };
  }

  destroy(): void {
    this.#files.clear();
  }
}
