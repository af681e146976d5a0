// An archive as a browsable tree (the mount, and later the web UI, read archives through it):
// look a name up in a directory, list a directory, read an entry's attributes, and load its full
// item (chunk list, xattrs, symlink target) when needed. Entries are numbers, 0 is the root.
// Directories the archive does not contain but whose contents it does (and the root) are
// synthetic: their attributes are for the caller to choose. A hard link is an entry of its own
// whose `resolve` is the entry of the file it links to (that one carries the link count).
import { decodeFsBytes, encodeFsString } from '../../format/surrogate-escape.js';
import { itemFromMsg, S_IFDIR, S_IFMT, type Item } from '../item.js';
import type { ItemStore } from './item-store.js';
import type { NameIndex } from './name-index.js';
import { ENTRY_FLAGS, NO_ENTRY, type TreeTables } from './tree-tables.js';

const SLASH = Buffer.from('/');

export class ArchiveTree {
  readonly root = 0;

  constructor(
    private readonly t: TreeTables,
    private readonly names: NameIndex,
    /** Owner names by index (0: not stored, 1: stored as nil). */
    private readonly owners: readonly string[],
    private readonly store: ItemStore,
  ) {}

  /** What the tree is made of, for its cache file (tree-file.ts). */
  get parts(): { tables: TreeTables; names: NameIndex; owners: readonly string[]; store: ItemStore } {
    return { tables: this.t, names: this.names, owners: this.owners, store: this.store };
  }

  /** Number of entries, the root included. */
  get count(): number {
    return this.t.count;
  }

  /** The child of directory `dir` called `name`, or NO_ENTRY. */
  lookup(dir: number, name: Uint8Array): number {
    return this.names.find(dir, name);
  }

  childCount(dir: number): number {
    return this.t.childStart[dir + 1]! - this.t.childStart[dir]!;
  }

  /** The `i`-th child of `dir` (archive order). */
  child(dir: number, i: number): number {
    return this.t.childList[this.t.childStart[dir]! + i]!;
  }

  *children(dir: number): IterableIterator<number> {
    const end = this.t.childStart[dir + 1]!;
    for (let i = this.t.childStart[dir]!; i < end; i++) yield this.t.childList[i]!;
  }

  /** The parent directory, or NO_ENTRY for the root. */
  parent(e: number): number {
    return this.t.parent[e]!;
  }

  /** The entry's name (a view into the tree's name heap: copy it to keep it). */
  name(e: number): Buffer {
    return this.t.heap.subarray(this.t.nameStart[e]!, this.t.nameStart[e + 1]!);
  }

  /** The entry's name as text (undecodable bytes as lone surrogates); ASCII names without a decoder. */
  nameText(e: number): string {
    const heap = this.t.heap;
    const start = this.t.nameStart[e]!;
    const end = this.t.nameStart[e + 1]!;
    for (let i = start; i < end; i++) if (heap[i]! >= 0x80) return decodeFsBytes(heap.subarray(start, end));
    return heap.toString('latin1', start, end);
  }

  /** The path from the root, as bytes ("dir/sub/name"). */
  path(e: number): Buffer {
    const parts: Buffer[] = [];
    for (let x = e; x !== this.root && x !== NO_ENTRY; x = this.t.parent[x]!) parts.push(this.name(x));
    const joined: Buffer[] = [];
    for (let i = parts.length - 1; i >= 0; i--) joined.push(parts[i]!, SLASH);
    joined.pop();
    return Buffer.concat(joined);
  }

  /** The entry holding the attributes and content: the linked file for a hard link, else `e`. */
  resolve(e: number): number {
    return this.t.flags[e]! & ENTRY_FLAGS.LINK ? this.t.locOffset[e]! : e;
  }

  /** A hard link to another entry of the tree (`resolve` gives it). */
  isLink(e: number): boolean {
    return (this.t.flags[e]! & ENTRY_FLAGS.LINK) !== 0;
  }

  /** 16 hex digits summarising the (resolved) entry's chunk list, '' when it has no contents. */
  contentDigest(e: number): string {
    const r = this.resolve(e);
    const hi = this.t.digest[2 * r]!;
    const lo = this.t.digest[2 * r + 1]!;
    return hi === 0 && lo === 0 ? '' : hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
  }

  isSynthetic(e: number): boolean {
    return (this.t.flags[e]! & ENTRY_FLAGS.SYNTHETIC) !== 0;
  }

  isDir(e: number): boolean {
    return (this.t.mode[e]! & S_IFMT) === S_IFDIR;
  }

  hasXattrs(e: number): boolean {
    return (this.t.flags[e]! & ENTRY_FLAGS.XATTRS) !== 0;
  }

  /** Some chunks were replaced by zeros by `borg check --repair` (the item has chunks_healthy). */
  isDamaged(e: number): boolean {
    return (this.t.flags[e]! & ENTRY_FLAGS.DAMAGED) !== 0;
  }

  mode(e: number): number {
    return this.t.mode[e]!;
  }

  uid(e: number): number {
    return this.t.uid[e]!;
  }

  gid(e: number): number {
    return this.t.gid[e]!;
  }

  /** The archived user name; null when stored as nil, undefined when not stored. */
  user(e: number): string | null | undefined {
    return this.#owner(this.t.user[e]!);
  }

  group(e: number): string | null | undefined {
    return this.#owner(this.t.group[e]!);
  }

  #owner(index: number): string | null | undefined {
    return index === 0 ? undefined : index === 1 ? null : this.owners[index];
  }

  /** Content size (a symlink: the length of its target in bytes). */
  size(e: number): number {
    return this.t.size[e]!;
  }

  /** Times in nanoseconds; archives without atime or ctime give mtime for them. */
  mtimeNs(e: number): bigint {
    return this.t.mtime[e]!;
  }

  atimeNs(e: number): bigint {
    return this.t.atime[e]!;
  }

  ctimeNs(e: number): bigint {
    return this.t.ctime[e]!;
  }

  /** Names linking to this file within the tree (1 for most). */
  nlink(e: number): number {
    return this.t.nlink.get(e) ?? 1;
  }

  rdev(e: number): number {
    return this.t.rdev.get(e) ?? 0;
  }

  /** The full item of a (resolved) entry, with the chunks its content comes from; null for synthetic directories. */
  async item(e: number): Promise<Item | null> {
    const r = this.resolve(e);
    const t = this.t;
    if (t.flags[r]! & ENTRY_FLAGS.SYNTHETIC) return null;
    const item = itemFromMsg(await this.store.load({ chunk: t.locChunk[r]!, offset: t.locOffset[r]!, spanning: (t.flags[r]! & ENTRY_FLAGS.SPANNING) !== 0 }));
    const from = t.contentFrom.get(r);
    if (from !== undefined) {
      const master = itemFromMsg(await this.store.load(from));
      if (master.chunks !== undefined) item.chunks = master.chunks;
      if (master.size !== undefined) item.size = master.size;
      if (master.chunksHealthy !== undefined) item.chunksHealthy = master.chunksHealthy;
    }
    return item;
  }

  /** The entry at `path` ("a/b/c" bytes or text with surrogate escapes), or NO_ENTRY. */
  find(path: string | Uint8Array): number {
    const bytes = typeof path === 'string' ? encodeFsString(path) : Buffer.from(path);
    let e = this.root;
    for (const part of splitPath(bytes)) {
      e = this.lookup(this.resolve(e), part);
      if (e === NO_ENTRY) return NO_ENTRY;
    }
    return e;
  }

  /** The entry's own item: for a hard link the link's item (its `source` names the file), else `item(e)`. */
  async ownItem(e: number): Promise<Item | null> {
    const own = this.t.linkItem.get(e);
    return own === undefined ? this.item(e) : itemFromMsg(await this.store.load(own));
  }

  /** The entry's path as text (undecodable bytes as lone surrogates). */
  pathText(e: number): string {
    return decodeFsBytes(this.path(e));
  }
}

function* splitPath(bytes: Buffer): IterableIterator<Buffer> {
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x2f) {
      if (i > start) yield bytes.subarray(start, i);
      start = i + 1;
    }
  }
}

export { NO_ENTRY };
