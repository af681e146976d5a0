// Builds the item index of one archive (see index-format.ts) in one pass over its item stream:
// every item becomes an entry under its parent directory (directories that only deeper paths
// imply are added), remembering where its bytes start in the stream so that the full item can be
// read back later from a single item-stream chunk.
import { createHash } from 'node:crypto';
import { encodeFsString } from '../../format/surrogate-escape.js';
import { Unpacker } from '../../format/msgpack.js';
import type { ArchiveSource } from '../../archive/archive-reader.js';
import type { LoadedArchiveMeta } from '../../archive/archive-meta.js';
import { isDir, isHardlinkSlave, itemFromMsg, type Item } from '../../archive/item.js';
import { itemSize } from '../../archive/item-size.js';
import { encodeIndex, FLAG_HARDLINK, FLAG_IMPLICIT, INDEX_MAGIC, INDEX_VERSION, type IndexColumns } from './index-format.js';

const ITEM_LIMITS = { maxDepth: 8, maxStrLen: 64 * 1024 * 1024 };
const IMPLICIT_DIR_MODE = 0o040755;

export interface BuildProgress {
  /** Item-stream chunks read so far, of `total`. */
  (done: number, total: number, items: number): void;
}

/** A growable column of numbers. */
class Column<T extends Float64Array | Uint32Array | Int32Array | Uint8Array> {
  length = 0;
  constructor(public data: T, private readonly make: (n: number) => T) {}
  push(value: number): number {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data as never);
      this.data = next;
    }
    this.data[this.length] = value;
    return this.length++;
  }
}

const f64 = () => new Column(new Float64Array(1024), (n) => new Float64Array(n));
const u32 = () => new Column(new Uint32Array(1024), (n) => new Uint32Array(n));
const i32 = () => new Column(new Int32Array(1024), (n) => new Int32Array(n));
const u8 = () => new Column(new Uint8Array(1024), (n) => new Uint8Array(n));

/** Entries in item order, before sorting into tree order. */
class Entries {
  names: string[] = [];
  parent = i32();
  mode = u32();
  flags = u8();
  size = f64();
  mtime = f64();
  chunk = u32();
  offset = u32();
  digests: Array<Buffer | null> = [];
  /** Directory path -> entry. */
  dirs = new Map<string, number>();

  add(name: string, parent: number, mode: number, flags: number, size: number, mtime: number, chunk: number, offset: number, digest: Buffer | null): number {
    this.names.push(name);
    this.parent.push(parent);
    this.mode.push(mode);
    this.flags.push(flags);
    this.size.push(size);
    this.mtime.push(mtime);
    this.chunk.push(chunk);
    this.offset.push(offset);
    this.digests.push(digest);
    return this.names.length - 1;
  }

  /** The entry of directory `path`, created (implicit) with its parents when missing. */
  dir(path: string): number {
    if (path === '') return -1;
    const known = this.dirs.get(path);
    if (known !== undefined) return known;
    const slash = path.lastIndexOf('/');
    const parent = this.dir(slash < 0 ? '' : path.slice(0, slash));
    const entry = this.add(path.slice(slash + 1), parent, IMPLICIT_DIR_MODE, FLAG_IMPLICIT, 0, 0, 0, 0, null);
    this.dirs.set(path, entry);
    return entry;
  }
}

function contentDigest(item: Item): Buffer | null {
  if (item.chunks === undefined || item.chunks.length === 0) return null;
  const hash = createHash('sha256');
  for (const chunk of item.chunks) hash.update(chunk.id);
  const digest = hash.digest().subarray(0, 8);
  if (digest.every((b) => b === 0)) digest[0] = 1;
  return digest;
}

/** A path that cannot be placed in a tree (absolute, `.`/`..` or empty parts) is indexed by its cleaned form. */
function cleanPath(path: string): string {
  return path.split('/').filter((p) => p !== '' && p !== '.' && p !== '..').join('/');
}

/** Reads archive `archive` and returns the bytes of its index file. */
export async function buildArchiveIndex(source: ArchiveSource, archive: LoadedArchiveMeta, onProgress?: BuildProgress, signal?: AbortSignal): Promise<Buffer> {
  const entries = new Entries();
  const masters = new Map<string, { size: number; digest: Buffer | null }>();
  const ids = archive.meta.items;
  const unpacker = new Unpacker(ITEM_LIMITS);
  // Start of every chunk in the stream, to turn stream positions into (chunk, offset).
  let fed = 0;
  let chunkNo = 0;
  let chunkStart = 0;
  let items = 0;
  const place = (streamPos: number): [number, number] => [chunkNo, streamPos - chunkStart];
  let pendingStart: [number, number] | null = null;
  for await (const envelope of source.repository.getMany(ids)) {
    signal?.throwIfAborted();
    const plain = source.codec.unpack(ids[chunkNo]!, envelope);
    unpacker.feed(plain);
    fed += plain.length;
    for (;;) {
      const start: [number, number] = pendingStart ?? place(fed - unpacker.pending);
      const value = unpacker.next();
      if (value === undefined) {
        // An item that continues in the next chunk starts here.
        pendingStart = unpacker.pending > 0 ? start : null;
        break;
      }
      pendingStart = null;
      const item = itemFromMsg(value);
      if (item.part !== undefined) continue;
      addItem(entries, masters, item, start);
      items += 1;
    }
    chunkNo += 1;
    chunkStart = fed;
    onProgress?.(chunkNo, ids.length, items);
  }
  const columns = treeOrder(entries);
  return encodeIndex({
    magic: INDEX_MAGIC, version: INDEX_VERSION, archive: archive.meta.name, id: archive.id.toString('hex'),
    time: archive.meta.time, count: entries.names.length, namesBytes: columns.names.length,
  }, columns);
}

function addItem(entries: Entries, masters: Map<string, { size: number; digest: Buffer | null }>, item: Item, [chunk, offset]: [number, number]): void {
  const path = cleanPath(item.path);
  if (path === '') return;
  const slash = path.lastIndexOf('/');
  const parent = entries.dir(slash < 0 ? '' : path.slice(0, slash));
  const name = path.slice(slash + 1);
  let size = isDir(item) ? 0 : itemSize(item);
  let digest = contentDigest(item);
  let flags = 0;
  if (isHardlinkSlave(item)) {
    flags = FLAG_HARDLINK;
    const master = masters.get(item.source!);
    if (master !== undefined) ({ size, digest } = master);
  } else if (item.hardlinkMaster) {
    masters.set(item.path, { size, digest });
  }
  const mtime = Number(item.mtime / 1_000_000n);
  if (isDir(item)) {
    const existing = entries.dirs.get(path);
    if (existing !== undefined) {
      // Seen before as an implied directory: now it has its own item.
      entries.mode.data[existing] = item.mode;
      entries.flags.data[existing] = 0;
      entries.mtime.data[existing] = mtime;
      entries.chunk.data[existing] = chunk;
      entries.offset.data[existing] = offset;
      return;
    }
    entries.dirs.set(path, entries.add(name, parent, item.mode, 0, 0, mtime, chunk, offset, null));
    return;
  }
  entries.add(name, parent, item.mode, flags, size, mtime, chunk, offset, digest);
}

/** Breadth-first order, children of each directory contiguous and sorted by name. */
function treeOrder(entries: Entries): IndexColumns {
  const n = entries.names.length;
  const parents = entries.parent.data;
  const names = entries.names;
  // Children per parent, bucketed with counting sort (parent -1 is bucket 0).
  const bucketStart = new Uint32Array(n + 2);
  for (let i = 0; i < n; i++) bucketStart[parents[i]! + 2]! += 1;
  for (let b = 1; b < n + 2; b++) bucketStart[b]! += bucketStart[b - 1]!;
  const byParent = new Uint32Array(n);
  const fill = bucketStart.slice(0, n + 1);
  for (let i = 0; i < n; i++) byParent[fill[parents[i]! + 1]!++] = i;
  const byName = (a: number, b: number) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0);
  const sortedChildren = (parent: number): Uint32Array => byParent.subarray(bucketStart[parent + 1]!, bucketStart[parent + 2]!).sort(byName);

  const order = new Uint32Array(n);
  const newIndex = new Int32Array(n);
  const childStart = new Uint32Array(n);
  const childCount = new Uint32Array(n);
  let length = 0;
  for (const e of sortedChildren(-1)) order[length++] = e;
  for (let pos = 0; pos < length; pos++) {
    const e = order[pos]!;
    newIndex[e] = pos;
    const kids = sortedChildren(e);
    childStart[pos] = length;
    childCount[pos] = kids.length;
    for (const k of kids) order[length++] = k;
  }

  const encodedNames = names.map((s) => encodeFsString(s));
  const nameStart = new Uint32Array(n + 1);
  for (let pos = 0; pos < n; pos++) nameStart[pos + 1] = nameStart[pos]! + encodedNames[order[pos]!]!.length;
  const blob = new Uint8Array(nameStart[n]!);
  const cols: IndexColumns = {
    parent: new Int32Array(n), childStart, childCount, mode: new Uint32Array(n), flags: new Uint8Array(n), size: new Float64Array(n),
    mtime: new Float64Array(n), chunk: new Uint32Array(n), offset: new Uint32Array(n), digest: new Uint8Array(8 * n), nameStart, names: blob,
  };
  for (let pos = 0; pos < n; pos++) {
    const e = order[pos]!;
    const p = parents[e]!;
    cols.parent[pos] = p < 0 ? -1 : newIndex[p]!;
    cols.mode[pos] = entries.mode.data[e]!;
    cols.flags[pos] = entries.flags.data[e]!;
    cols.size[pos] = entries.size.data[e]!;
    cols.mtime[pos] = entries.mtime.data[e]!;
    cols.chunk[pos] = entries.chunk.data[e]!;
    cols.offset[pos] = entries.offset.data[e]!;
    const digest = entries.digests[e];
    if (digest) cols.digest.set(digest, 8 * pos);
    blob.set(encodedNames[e]!, nameStart[pos]!);
  }
  return cols;
}
