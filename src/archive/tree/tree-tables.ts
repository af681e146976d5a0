// The columns of an archive tree: one typed array per attribute, indexed by entry number (0 is
// the root), and one byte heap for all names. About 65 bytes per entry plus its name, instead of
// one JS object per item: an archive of a million files fits in ~100 MB and builds without
// pressure on the garbage collector. Rare attributes (device numbers, link counts above one)
// live in maps. Grown by the builder (sized up front when the archive tells its file count), then
// trimmed (as views) and frozen.

/** Bits of `flags`. */
export const ENTRY_FLAGS = {
  /** Made up for a directory the archive does not contain (its parents, the archive root). */
  SYNTHETIC: 1,
  /** The item has extended attributes (load it to read them). */
  XATTRS: 2,
  /** `borg check --repair` replaced some of its chunks with zeros (it has chunks_healthy). */
  DAMAGED: 4,
  /** A hard link: `locOffset` holds the entry of the file it links to. */
  LINK: 8,
  /** Stored in the spanning-items heap rather than inside one metadata chunk. */
  SPANNING: 16,
} as const;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LOW = LITTLE_ENDIAN ? 0 : 1;
const HIGH = 1 - LOW;

/** No entry (a failed lookup, the root's parent). */
export const NO_ENTRY = 0xffffffff;

/** A column of unsigned 32-bit values kept in 16 bits while every value fits (set through `put`). */
export type NarrowColumn = Uint32Array | Uint16Array;

/** The columns kept in 16 bits while they fit (tree files record which ones are). */
export const NARROW_COLUMNS = ['mode', 'uid', 'gid', 'user', 'group', 'locChunk'] as const;
export type NarrowName = (typeof NARROW_COLUMNS)[number];

function grow<T extends Uint32Array | Uint16Array | Float64Array | BigInt64Array | Uint8Array>(array: T, capacity: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(capacity);
  (bigger as unknown as { set(source: T): void }).set(array);
  return bigger;
}

/**
 * The first `length` elements as a view, not a copy: copying every column at the end of a build
 * would hold it twice, while the pages of the unused tail were never written and take no memory.
 */
function trim<T extends Uint32Array | Uint16Array | Float64Array | BigInt64Array | Uint8Array>(array: T, length: number): T {
  return array.length === length ? array : (array.subarray(0, length) as T);
}

function equalColumns(a: BigInt64Array, b: BigInt64Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Int32Array(a.buffer, a.byteOffset, 2 * a.length);
  const y = new Int32Array(b.buffer, b.byteOffset, 2 * b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export class TreeTables {
  count = 0;
  parent = new Uint32Array(16);
  /** Start of each entry's name in `heap`; names are appended in entry order, so entry e ends where e + 1 starts. */
  nameStart = new Uint32Array(17);
  heap = Buffer.allocUnsafe(1024);
  heapUsed = 0;
  mode: NarrowColumn = new Uint16Array(16);
  uid: NarrowColumn = new Uint16Array(16);
  gid: NarrowColumn = new Uint16Array(16);
  /** Index into the owner name table: 0 = not stored, 1 = stored as nil, 2... = a name. */
  user: NarrowColumn = new Uint16Array(16);
  group: NarrowColumn = new Uint16Array(16);
  size = new Float64Array(16);
  mtime = new BigInt64Array(16);
  /** Once built, atime (or ctime) is `mtime` itself, the same array, when every entry's equals its mtime. */
  atime = new BigInt64Array(16);
  ctime = new BigInt64Array(16);
  /** The time columns as 32-bit halves, written without making a BigInt per item (setTime). */
  mtime32 = new Int32Array(this.mtime.buffer);
  atime32 = new Int32Array(this.atime.buffer);
  ctime32 = new Int32Array(this.ctime.buffer);
  flags = new Uint8Array(16);
  /** Where the item is: metadata chunk number and offset in its plaintext (or offset in the spanning heap). */
  locChunk: NarrowColumn = new Uint16Array(16);
  locOffset = new Uint32Array(16);
  /** 64 bits (two words) per entry summarising its chunk ids, to tell contents apart; 0 for none (item-scan.ts). */
  digest = new Uint32Array(32);
  readonly rdev = new Map<number, number>();
  /** Link counts above one (hard link groups). */
  readonly nlink = new Map<number, number>();
  /** Entries whose chunks are those of another item (a hard link group whose first item was not selected). */
  readonly contentFrom = new Map<number, { chunk: number; offset: number; spanning: boolean }>();
  /** Where a hard link's own item is (its `locOffset` holds the entry it links to). */
  readonly linkItem = new Map<number, { chunk: number; offset: number; spanning: boolean }>();

  /** Children of each entry as a range of `childList` (filled by `finish`). */
  childStart = new Uint32Array(0);
  childList = new Uint32Array(0);

  /** Appends an entry with a name and parent; every other column starts at zero. */
  add(parent: number, name: Uint8Array): number {
    if (this.count === this.parent.length) this.#growColumns(Math.ceil(this.parent.length * 1.5) + 16);
    const e = this.count++;
    this.parent[e] = parent;
    if (this.heapUsed + name.length > this.heap.length) {
      const needed = this.heapUsed + name.length;
      if (needed > 0xffffffff) throw new RangeError('archive tree names exceed 4 GiB');
      this.#growHeap(Math.min(Math.max(needed, Math.ceil(this.heap.length * 1.5)), 0xffffffff));
    }
    this.nameStart[e] = this.heapUsed;
    this.heap.set(name, this.heapUsed);
    this.heapUsed += name.length;
    this.nameStart[e + 1] = this.heapUsed;
    this.mode[e] = 0;
    this.flags[e] = 0;
    this.user[e] = 0;
    this.group[e] = 0;
    this.uid[e] = 0;
    this.gid[e] = 0;
    this.size[e] = 0;
    this.digest[2 * e] = 0;
    this.digest[2 * e + 1] = 0;
    return e;
  }

  /**
   * Sets a 16/32-bit column of entry `e` to `value` as a Uint32Array would store it; widens the
   * column on the first value that does not fit in 16 bits (modes, owner indexes and most ids do).
   */
  put(column: NarrowName, e: number, value: number): void {
    let values = this[column];
    if (values instanceof Uint16Array && value >>> 0 > 0xffff) {
      const wide = new Uint32Array(values.length);
      wide.set(values);
      this[column] = values = wide;
    }
    values[e] = value;
  }

  /** Makes room for `capacity` entries at once (a size known in advance saves copying the columns as they grow). */
  reserve(capacity: number): void {
    if (capacity > this.parent.length) this.#growColumns(capacity);
  }

  #growHeap(size: number): void {
    const bigger = Buffer.allocUnsafe(size);
    this.heap.copy(bigger, 0, 0, this.heapUsed);
    this.heap = bigger;
  }

  #growColumns(capacity: number): void {
    this.parent = grow(this.parent, capacity);
    this.nameStart = grow(this.nameStart, capacity + 1);
    this.mode = grow(this.mode, capacity);
    this.uid = grow(this.uid, capacity);
    this.gid = grow(this.gid, capacity);
    this.user = grow(this.user, capacity);
    this.group = grow(this.group, capacity);
    this.size = grow(this.size, capacity);
    this.mtime = grow(this.mtime, capacity);
    this.atime = grow(this.atime, capacity);
    this.ctime = grow(this.ctime, capacity);
    this.#timeViews();
    this.flags = grow(this.flags, capacity);
    this.locChunk = grow(this.locChunk, capacity);
    this.locOffset = grow(this.locOffset, capacity);
    this.digest = grow(this.digest, 2 * capacity);
  }

  /** Sets a time column of entry `e` from the signed high and unsigned low 32 bits of its ns value. */
  setTime(column: Int32Array, e: number, high: number, low: number): void {
    column[2 * e + LOW] = low | 0;
    column[2 * e + HIGH] = high;
  }

  /** Points the 32-bit time views at the time columns (after they were replaced, e.g. loaded from a file). */
  timeViews(): void {
    this.#timeViews();
  }

  #timeViews(): void {
    this.mtime32 = new Int32Array(this.mtime.buffer, this.mtime.byteOffset, this.mtime.length * 2);
    this.atime32 = new Int32Array(this.atime.buffer, this.atime.byteOffset, this.atime.length * 2);
    this.ctime32 = new Int32Array(this.ctime.buffer, this.ctime.byteOffset, this.ctime.length * 2);
  }

  /** Trims the columns to their length and groups children by parent (stable: archive order). */
  finish(): void {
    const n = this.count;
    this.parent = trim(this.parent, n);
    this.nameStart = trim(this.nameStart, n + 1);
    this.mode = trim(this.mode, n);
    this.uid = trim(this.uid, n);
    this.gid = trim(this.gid, n);
    this.user = trim(this.user, n);
    this.group = trim(this.group, n);
    this.size = trim(this.size, n);
    this.mtime = trim(this.mtime, n);
    this.atime = trim(this.atime, n);
    this.ctime = trim(this.ctime, n);
    // borg stores no atime by default, and ctime is often mtime: such a column is mtime's own.
    if (equalColumns(this.atime, this.mtime)) this.atime = this.mtime;
    if (equalColumns(this.ctime, this.mtime)) this.ctime = this.mtime;
    this.#timeViews();
    this.flags = trim(this.flags, n);
    this.locChunk = trim(this.locChunk, n);
    this.locOffset = trim(this.locOffset, n);
    this.digest = trim(this.digest, 2 * n);
    if (this.heap.length !== this.heapUsed) this.heap = this.heap.subarray(0, this.heapUsed);
    // Counting sort by parent: childStart[p]..childStart[p + 1] are the children of p.
    const start = new Uint32Array(n + 1);
    for (let e = 1; e < n; e++) if (this.parent[e] !== NO_ENTRY) start[this.parent[e]! + 1]! += 1;
    for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
    const list = new Uint32Array(start[n]!);
    const fill = start.slice(0, n);
    for (let e = 1; e < n; e++) {
      const p = this.parent[e]!;
      if (p !== NO_ENTRY) list[fill[p]!++] = e;
    }
    this.childStart = start;
    this.childList = list;
  }
}
