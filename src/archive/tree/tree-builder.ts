// Builds an archive tree from item streams, in one pass over each archive's metadata chunks:
// every selected item becomes an entry under its parent directory (made up when the archive does
// not contain it), hard links point to the entry of their group's file, and the entry remembers
// where its item is for later loading. Several archives can go into one tree: the versions view
// merges all archives of a repository, numbering each content of a path (versions.ts).
//
// Selection follows borg's mount and extract: PATH patterns, exclusions, --strip-components and
// checkpoint part files; when the first item of a hard link group is not selected, the first
// selected link takes its content and the later ones link to it.
import { BorgError } from '../../errors.js';
import { decode, isMap, type MsgMap } from '../../format/msgpack.js';
import { decodeFsBytes } from '../../format/surrogate-escape.js';
import type { ArchiveSource } from '../archive-reader.js';
import type { LoadedArchiveMeta } from '../archive-meta.js';
import { itemFromMsg, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from '../item.js';
import type { PatternMatcher } from '../patterns/index.js';
import { ArchiveTree } from './archive-tree.js';
import { ChunkDigest, chunkIdsAt, digestChunksAt, ItemScanner, NeedMoreBytes, type ScannedItem } from './item-scan.js';
import { ItemStore, repositoryItemSource, type ItemLocation, type ItemSource } from './item-store.js';
import { NameIndex } from './name-index.js';
import { ENTRY_FLAGS, NO_ENTRY, TreeTables } from './tree-tables.js';
import { versionedName, type VersionsIndex } from './versions.js';

const ITEM_LIMITS = { maxDepth: 8, maxStrLen: 64 * 1024 * 1024 };
const SYNTHETIC_DIR_MODE = S_IFDIR | 0o755;
/** A bound on the items one metadata chunk holds (for sizing from an archive's own, untrusted, file count). */
const MAX_ITEMS_PER_CHUNK = 8192;
const EMPTY = Buffer.alloc(0);
const SLASH = Buffer.from('/');

export interface TreeSelection {
  /** PATHs and patterns (borg's build_matcher); empty or undefined selects everything. */
  matcher?: PatternMatcher | undefined;
  stripComponents?: number | undefined;
  /** Also take the `.borg_part_N` files of checkpoints. */
  considerPartFiles?: boolean | undefined;
}

export interface AddArchiveOptions extends TreeSelection {
  /** Merge into a versions view (all archives into one tree, file names numbered by content). */
  versions?: VersionsIndex | undefined;
  /** Items that cannot be placed (a hard link whose file is missing, a path with ".."). */
  onWarning?: ((message: string) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Called after each metadata chunk: chunks read of `total`, entries in the tree so far. */
  onProgress?: ((done: number, total: number, entries: number) => void) | undefined;
}

/** A file a hard link may name in `source`: its entry, and its chunk ids when versions need them. */
interface LinkTarget {
  entry: number;
  chunkIds: Buffer[] | undefined;
}

/** The first item of a hard link group when it was not selected (partial trees only). */
interface UnselectedMaster {
  location: ItemLocation;
  size: number;
  damaged: boolean;
  chunkIds: Buffer[] | undefined;
  /** Its content digest (two words, see ChunkDigest). */
  digest: Uint32Array;
}

/** Per-archive state: hard link groups are resolved within one archive. */
interface ArchivePass {
  options: AddArchiveOptions;
  partial: boolean;
  masters: Map<string, LinkTarget>;
  unselected: Map<string, UnselectedMaster>;
}

/** Regular files, fifos and devices can be hard-linked in archives (borg's hardlinkable). */
function isHardlinkable(mode: number): boolean {
  const type = mode & S_IFMT;
  return type === S_IFREG || type === S_IFIFO || type === S_IFCHR || type === S_IFBLK;
}

/** The chunk ids of the item being added, read from its bytes on demand. */
type ChunkIds = () => Buffer[] | undefined;

/** The generic path for items the scanner does not read (legacy encodings). */
function genericItem(bytes: Buffer): { item: ScannedItem; chunkIds: ChunkIds } {
  const m = decode(bytes, ITEM_LIMITS);
  if (!isMap(m)) throw new BorgError('Invalid item: not a map', { code: 'InvalidItem' });
  const it = itemFromMsg(m);
  const raw = (key: string) => (Buffer.isBuffer((m as MsgMap)[key]) ? ((m as MsgMap)[key] as Buffer) : undefined);
  const owner = (key: string) => ((m as MsgMap)[key] === null ? null : raw(key));
  const split = (ns: bigint): [number, number] => [Number(BigInt.asIntN(64, ns) >> 32n), Number(BigInt.asUintN(32, ns))];
  const [mtimeHi, mtimeLo] = split(it.mtime);
  const [atimeHi, atimeLo] = split(it.atime ?? 0n);
  const [ctimeHi, ctimeLo] = split(it.ctime ?? 0n);
  const item: ScannedItem = {
    path: raw('path')!, mode: it.mode, uid: it.uid ?? 0, gid: it.gid ?? 0, user: owner('user'), group: owner('group'),
    mtimeHi, mtimeLo, hasAtime: it.atime !== undefined, atimeHi, atimeLo, hasCtime: it.ctime !== undefined, ctimeHi, ctimeLo,
    size: it.size, chunkSizes: (it.chunks ?? []).reduce((sum, c) => sum + c.size, 0), chunksAt: it.chunks === undefined ? -1 : 0,
    damaged: it.chunksHealthy !== undefined, hardlinkMaster: it.hardlinkMaster, source: raw('source'), rdev: it.rdev,
    hasXattrs: it.xattrs !== undefined && it.xattrs.size > 0, part: it.part,
  };
  return { item, chunkIds: () => it.chunks?.map((c) => c.id) };
}

/** Splits "a/b/c" into its components, leaving out empty ones and "."; null when one is ".." (never placed). */
function components(path: Buffer): Buffer[] | null {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length || path[i] === 0x2f) {
      const part = path.subarray(start, i);
      start = i + 1;
      if (part.length === 0 || (part.length === 1 && part[0] === 0x2e)) continue;
      if (part.length === 2 && part[0] === 0x2e && part[1] === 0x2e) return null;
      parts.push(part);
    }
  }
  return parts;
}

/** borg's os.sep.join(path.split(os.sep)[n:]) on bytes. */
function stripComponents(path: Buffer, n: number): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length || path[i] === 0x2f) {
      parts.push(path.subarray(start, i));
      start = i + 1;
    }
  }
  const kept = n >= 0 ? parts.slice(n) : parts.slice(Math.max(parts.length + n, 0));
  const joined: Buffer[] = [];
  for (const part of kept) joined.push(SLASH, part);
  return joined.length === 0 ? EMPTY : Buffer.concat(joined.slice(1));
}

export class ArchiveTreeBuilder {
  readonly #t = new TreeTables();
  readonly #names = new NameIndex(this.#t);
  readonly #owners: string[] = ['', ''];
  readonly #ownerIndex = new Map<string, number>();
  /** The owner name of the previous item and its index: most items share it. */
  #lastOwner: Buffer | null = null;
  #lastOwnerIndex = 0;
  readonly #store: ItemStore;
  /** The directory of the previous item: consecutive items mostly share it. */
  #lastDirPath: Buffer | null = null;
  #lastDir = 0;
  /** Where the item being added is: its bytes and the metadata chunk they are in. */
  readonly #current: { buf: Buffer; start: number; end: number; chunk: number; chunkStart: number; generic: boolean } = { buf: EMPTY, start: 0, end: 0, chunk: 0, chunkStart: 0, generic: false };
  readonly #digest = new ChunkDigest();

  /** Reads item streams from `source`; the finished tree reads items through `itemSource` (default: `source`'s repository). */
  constructor(private readonly source: ArchiveSource, itemSource: ItemSource = repositoryItemSource(source)) {
    this.#store = new ItemStore(itemSource);
    const root = this.#t.add(NO_ENTRY, EMPTY);
    this.#t.put('mode', root, SYNTHETIC_DIR_MODE);
    this.#t.flags[root] = ENTRY_FLAGS.SYNTHETIC;
  }

  /** Adds the selected items of `archive`, reading its item stream once. */
  async addArchive(archive: LoadedArchiveMeta, options: AddArchiveOptions = {}): Promise<void> {
    const matcher = options.matcher !== undefined && !options.matcher.empty() ? options.matcher : undefined;
    const pass: ArchivePass = {
      options: { ...options, matcher }, partial: matcher !== undefined || Boolean(options.stripComponents),
      masters: new Map(), unselected: new Map(),
    };
    this.#lastDirPath = null;
    const ids = archive.meta.items;
    if (!pass.partial) this.#reserveFor(archive, options);
    const scanner = new ItemScanner();
    /** Bytes of an item that continues in the next chunk. */
    let carry: Buffer | null = null;
    let index = 0;
    for await (const envelope of this.source.repository.getMany(ids)) {
      options.signal?.throwIfAborted();
      const id = ids[index++]!;
      const plaintext = this.source.codec.unpack(id, envelope);
      const chunk = this.#store.addChunk(id);
      const buf: Buffer = carry === null ? plaintext : Buffer.concat([carry, plaintext]);
      const chunkStart = carry === null ? 0 : carry.length;
      carry = null;
      for (let pos = 0; pos < buf.length;) {
        let scanned: ScannedItem;
        try {
          scanned = scanner.scan(buf, pos);
        } catch (e) {
          if (!(e instanceof NeedMoreBytes)) throw e;
          carry = Buffer.from(buf.subarray(pos));
          break;
        }
        const start = pos;
        const end = scanner.end;
        pos = end;
        let item = scanned;
        let chunkIds: ChunkIds = () => (scanned.chunksAt < 0 ? undefined : chunkIdsAt(buf, scanned.chunksAt));
        if (scanner.generic) ({ item, chunkIds } = genericItem(buf.subarray(start, end)));
        const current = this.#current;
        current.buf = buf;
        current.start = start;
        current.end = end;
        current.chunk = chunk;
        current.chunkStart = chunkStart;
        current.generic = scanner.generic;
        this.#addItem(item, chunkIds, pass);
      }
      options.onProgress?.(index, ids.length, this.#t.count);
    }
    if (carry !== null) throw new BorgError('Archive item stream is truncated: it ends inside an item', { code: 'IntegrityError' });
  }

  /**
   * Sizes the columns for the archive's files (its stats count regular files; a little more for
   * directories), bounded by what its metadata chunks can hold, so that a large archive is not
   * copied column by column as it grows. Not for merged trees (their archives share entries) nor
   * for a selection of paths (it may take few).
   */
  #reserveFor(archive: LoadedArchiveMeta, options: AddArchiveOptions): void {
    const files = archive.meta.nfiles;
    if (options.versions !== undefined || typeof files !== 'number' || !Number.isSafeInteger(files) || files <= 0) return;
    const expected = files + Math.ceil(files / 32) + 1024;
    this.#t.reserve(this.#t.count + Math.min(expected, archive.meta.items.length * MAX_ITEMS_PER_CHUNK));
  }

  /** The finished tree; the builder must not be used afterwards. */
  finish(): ArchiveTree {
    this.#t.finish();
    this.#store.finish();
    return new ArchiveTree(this.#t, this.#names, this.#owners, this.#store);
  }

  /** The location of the item being added (an item that began in an earlier chunk goes to the spanning heap). */
  #locate(): ItemLocation {
    const { buf, start, end, chunk, chunkStart } = this.#current;
    return start >= chunkStart
      ? { chunk, offset: start - chunkStart, spanning: false }
      : { chunk: 0, offset: this.#store.addSpanning(buf.subarray(start, end)), spanning: true };
  }

  #addItem(item: ScannedItem, chunkIds: ChunkIds, pass: ArchivePass): void {
    if (!pass.options.considerPartFiles && item.part !== undefined) return;
    const pathBytes = item.path;
    const matched = pass.options.matcher === undefined || pass.options.matcher.match(decodeFsBytes(pathBytes));
    const hardlinkable = isHardlinkable(item.mode);
    if (!matched) {
      // borg's peek_and_store_hardlink_masters: a later selected link may need this content.
      if (pass.partial && hardlinkable && item.hardlinkMaster !== false && item.source === undefined) {
        pass.unselected.set(pathBytes.toString('latin1'), {
          location: this.#locate(), size: this.#contentSize(item), damaged: item.damaged,
          chunkIds: pass.options.versions !== undefined ? chunkIds() : undefined, digest: this.#writeDigest(new Uint32Array(2), 0, item, chunkIds),
        });
      }
      return;
    }
    const strip = pass.options.stripComponents ?? 0;
    const path = strip !== 0 ? stripComponents(pathBytes, strip) : pathBytes;
    if (path.length === 0) return;
    const parts = components(path);
    if (parts === null) {
      pass.options.onWarning?.(`Skipping item with an unsafe path: ${decodeFsBytes(pathBytes)}`);
      return;
    }
    if (parts.length === 0) return; // "." itself: the root
    const isDir = (item.mode & S_IFMT) === S_IFDIR;
    if (isDir) {
      const existing = this.#findPath(parts);
      if (existing !== NO_ENTRY) {
        this.#setAttributes(existing, item, this.#locate(), chunkIds);
        return;
      }
    }
    let parent = this.#directoryOf(path, parts);
    let name = parts[parts.length - 1]!;
    let link: LinkTarget | undefined;
    let adopted: UnselectedMaster | undefined;
    const sourceKey = hardlinkable && item.source !== undefined ? item.source.toString('latin1') : undefined;
    if (sourceKey !== undefined) {
      link = pass.masters.get(sourceKey);
      if (link === undefined) {
        adopted = pass.unselected.get(sourceKey);
        if (adopted === undefined) {
          pass.options.onWarning?.(`Skipping broken hard link: ${decodeFsBytes(pathBytes)} -> ${decodeFsBytes(item.source!)}`);
          return;
        }
      }
    }
    const versions = pass.options.versions;
    let ownChunkIds: Buffer[] | undefined;
    if (versions !== undefined && !isDir) {
      parent = this.#inner(parent, name);
      ownChunkIds = link !== undefined ? link.chunkIds : adopted !== undefined ? adopted.chunkIds : chunkIds();
      if (ownChunkIds !== undefined) name = versionedName(name, versions.versionOf(path, ownChunkIds));
    }
    let e = this.#names.find(parent, name);
    if (e === NO_ENTRY) {
      e = this.#t.add(parent, name);
      this.#names.insert(e);
    }
    if (link !== undefined) {
      this.#makeLink(e, link.entry);
      this.#t.linkItem.set(e, this.#locate());
      return;
    }
    this.#setAttributes(e, item, this.#locate(), chunkIds);
    if (adopted !== undefined) {
      this.#t.contentFrom.set(e, adopted.location);
      this.#t.size[e] = adopted.size;
      this.#t.digest.set(adopted.digest, 2 * e);
      if (adopted.damaged) this.#t.flags[e]! |= ENTRY_FLAGS.DAMAGED;
      pass.masters.set(sourceKey!, { entry: e, chunkIds: adopted.chunkIds });
      pass.unselected.delete(sourceKey!);
    } else if (hardlinkable && item.source === undefined && item.hardlinkMaster !== false) {
      pass.masters.set(pathBytes.toString('latin1'), { entry: e, chunkIds: versions !== undefined ? ownChunkIds ?? chunkIds() : undefined });
    }
  }

  #makeLink(e: number, target: number): void {
    const t = this.#t;
    t.flags[e] = ENTRY_FLAGS.LINK;
    t.locOffset[e] = target;
    t.put('mode', e, t.mode[target]!);
    t.nlink.set(target, (t.nlink.get(target) ?? 1) + 1);
  }

  /** The size listing shows: the stored size, the target length of a symlink, else the sum of the chunks. */
  #contentSize(item: ScannedItem): number {
    if ((item.mode & S_IFMT) === S_IFLNK) return item.source?.length ?? 0;
    return item.size ?? item.chunkSizes;
  }

  /** Writes the content digest of the item being added to `out[2 * e]` (read from its bytes, no copies); returns `out`. */
  #writeDigest(out: Uint32Array, e: number, item: ScannedItem, chunkIds: ChunkIds): Uint32Array {
    const digest = this.#digest;
    if (this.#current.generic) {
      digest.reset();
      for (const id of chunkIds() ?? []) digest.add(id);
    } else {
      digestChunksAt(this.#current.buf, item.chunksAt, digest);
    }
    digest.write(out, e);
    return out;
  }

  #setAttributes(e: number, item: ScannedItem, location: ItemLocation, chunkIds: ChunkIds): void {
    const t = this.#t;
    this.#writeDigest(t.digest, e, item, chunkIds);
    const type = item.mode & S_IFMT;
    t.put('mode', e, item.mode);
    t.put('uid', e, item.uid);
    t.put('gid', e, item.gid);
    t.put('user', e, this.#owner(item.user));
    t.put('group', e, this.#owner(item.group));
    t.size[e] = this.#contentSize(item);
    t.setTime(t.mtime32, e, item.mtimeHi, item.mtimeLo);
    if (item.hasAtime) t.setTime(t.atime32, e, item.atimeHi, item.atimeLo);
    else t.setTime(t.atime32, e, item.mtimeHi, item.mtimeLo);
    if (item.hasCtime) t.setTime(t.ctime32, e, item.ctimeHi, item.ctimeLo);
    else t.setTime(t.ctime32, e, item.mtimeHi, item.mtimeLo);
    t.flags[e] = (item.hasXattrs ? ENTRY_FLAGS.XATTRS : 0) | (item.damaged ? ENTRY_FLAGS.DAMAGED : 0) | (location.spanning ? ENTRY_FLAGS.SPANNING : 0);
    t.put('locChunk', e, location.chunk);
    t.locOffset[e] = location.offset;
    if (item.rdev !== undefined && (type === S_IFCHR || type === S_IFBLK)) t.rdev.set(e, item.rdev);
    else t.rdev.delete(e);
    t.contentFrom.delete(e);
    t.linkItem.delete(e);
    // A later archive's item replaces the entry: its links are counted afresh.
    t.nlink.delete(e);
  }

  /** The index of an owner name (0: absent, 1: nil); names are kept decoded for user lookups. */
  #owner(name: Buffer | null | undefined): number {
    if (name === undefined) return 0;
    if (name === null) return 1;
    if (this.#lastOwner !== null && this.#lastOwner.equals(name)) return this.#lastOwnerIndex;
    const key = name.toString('latin1');
    let index = this.#ownerIndex.get(key);
    if (index === undefined) {
      index = this.#owners.push(decodeFsBytes(name)) - 1;
      this.#ownerIndex.set(key, index);
    }
    this.#lastOwner = Buffer.from(name);
    this.#lastOwnerIndex = index;
    return index;
  }

  #findPath(parts: readonly Buffer[]): number {
    let e = 0;
    for (const part of parts) {
      e = this.#names.find(e, part);
      if (e === NO_ENTRY) return NO_ENTRY;
    }
    return e;
  }

  /** The entry of the directory holding `path` (made up where missing); cached for the next item. */
  #directoryOf(path: Buffer, parts: readonly Buffer[]): number {
    const slash = path.lastIndexOf(0x2f);
    const dirPath = slash < 0 ? EMPTY : path.subarray(0, slash);
    if (this.#lastDirPath !== null && this.#lastDirPath.equals(dirPath)) return this.#lastDir;
    let e = 0;
    for (let i = 0; i < parts.length - 1; i++) e = this.#inner(e, parts[i]!);
    this.#lastDirPath = Buffer.from(dirPath);
    this.#lastDir = e;
    return e;
  }

  /** The child `name` of `parent`, a new synthetic directory if there is none (borg's _process_inner). */
  #inner(parent: number, name: Buffer): number {
    let e = this.#names.find(parent, name);
    if (e === NO_ENTRY) {
      e = this.#t.add(parent, name);
      this.#t.put('mode', e, SYNTHETIC_DIR_MODE);
      this.#t.flags[e] = ENTRY_FLAGS.SYNTHETIC;
      this.#names.insert(e);
    }
    return e;
  }
}

/** Builds the tree of one archive. */
export async function buildArchiveTree(source: ArchiveSource, archive: LoadedArchiveMeta, options: AddArchiveOptions = {}, itemSource?: ItemSource): Promise<ArchiveTree> {
  const builder = new ArchiveTreeBuilder(source, itemSource);
  await builder.addArchive(archive, options);
  return builder.finish();
}
