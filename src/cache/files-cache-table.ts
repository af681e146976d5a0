// The files cache in memory (spec §7.3): one row per remembered file in parallel typed arrays, the
// chunk id lists of all rows in one shared byte pool, and an open-addressing slot table from path
// hash to row. No JS object per file: for N files with C chunk ids in all, memory is about
// N * (66 bytes of row + 5.3..10.7 bytes of slots) + C * 32 bytes of pool, plus growth headroom
// (rows and pool grow by half). borg keeps ~240 bytes per one-chunk file in a dict of packed entries.
//
// Row: path hash (32 bytes), age (u16; saturates at 65535, beyond any sensible BORG_FILES_CACHE_TTL),
// inode (u64), size (f64: exact to 2^53), cmtime in ns (i64), start and count of its ids in the pool.
// Rows are never deleted: dropping old rows happens when the cache is written (see files-cache.ts).
// Path hashes are cryptographic hashes, so their first word serves as the slot hash.

const ID_SIZE = 32;
const MAX_AGE = 0xffff;
const MIN_ROWS = 1024;

export interface FilesCacheRow {
  age: number;
  inode: bigint;
  size: number;
  /** ctime or mtime (by files cache mode) in nanoseconds. */
  cmtime: bigint;
}

export class FilesCacheTable {
  #count = 0;
  #capacity = 0;
  #hashes = new Uint8Array(0);
  /** The same bytes as little-endian words (rows are 32 bytes, so always aligned). */
  #hashWords = new Uint32Array(0);
  readonly #probe = new Uint32Array(8);
  #age = new Uint16Array(0);
  #inode = new BigUint64Array(0);
  #size = new Float64Array(0);
  #cmtime = new BigInt64Array(0);
  #idStart = new Uint32Array(0);
  #idCount = new Uint32Array(0);
  /** Row + 1 per slot, 0 = free; power-of-two length, at most 3/4 full. */
  #slots = new Uint32Array(MIN_ROWS * 2);
  #pool = new Uint8Array(0);
  /** Ids in use at the start of the pool, and how many of them belong to no row any more. */
  #poolIds = 0;
  #garbageIds = 0;

  get count(): number {
    return this.#count;
  }

  /** Row of `pathHash`, or -1. */
  find(pathHash: Uint8Array): number {
    const p = this.#probe;
    for (let i = 0, j = 0; i < 8; i++, j += 4) p[i] = (pathHash[j]! | (pathHash[j + 1]! << 8) | (pathHash[j + 2]! << 16) | (pathHash[j + 3]! << 24)) >>> 0;
    const mask = this.#slots.length - 1;
    const w = this.#hashWords;
    const p0 = p[0]!;
    for (let s = p0 & mask; ; s = (s + 1) & mask) {
      const row = this.#slots[s]! - 1;
      if (row < 0) return -1;
      const b = row * 8;
      if (w[b] === p0 && w[b + 1] === p[1] && w[b + 2] === p[2] && w[b + 3] === p[3] &&
          w[b + 4] === p[4] && w[b + 5] === p[5] && w[b + 6] === p[6] && w[b + 7] === p[7]) return row;
    }
  }

  /** Inserts or replaces the row of `pathHash`; `ids` are 32-byte chunk ids (or their concatenation). */
  set(pathHash: Uint8Array, row: FilesCacheRow, ids: Uint8Array | readonly Uint8Array[]): number {
    if (pathHash.byteLength !== ID_SIZE) throw new RangeError(`Invalid path hash: expected ${ID_SIZE} bytes, got ${pathHash.byteLength}`);
    const n = idCount(ids);
    let r = this.find(pathHash);
    if (r < 0) {
      r = this.#appendRow(pathHash);
      this.#idCount[r] = 0;
    }
    this.#age[r] = Math.min(row.age, MAX_AGE);
    this.#inode[r] = BigInt.asUintN(64, row.inode);
    this.#size[r] = row.size;
    this.#cmtime[r] = BigInt.asIntN(64, row.cmtime);
    if (n > this.#idCount[r]!) {
      // The old ids do not fit where they were: they become garbage and the new ones go to the end.
      this.#garbageIds += this.#idCount[r]!;
      this.#idCount[r] = 0;
      if (this.#garbageIds > 1024 && this.#garbageIds > this.#poolIds / 2) this.#compactPool();
      this.#reservePool(n);
      this.#idStart[r] = this.#poolIds;
      this.#poolIds += n;
    } else {
      this.#garbageIds += this.#idCount[r]! - n;
    }
    this.#idCount[r] = n;
    writeIds(this.#pool, this.#idStart[r]! * ID_SIZE, ids);
    return r;
  }

  row(r: number): FilesCacheRow {
    this.#check(r);
    return { age: this.#age[r]!, inode: this.#inode[r]!, size: this.#size[r]!, cmtime: this.#cmtime[r]! };
  }

  age(r: number): number {
    this.#check(r);
    return this.#age[r]!;
  }

  cmtime(r: number): bigint {
    this.#check(r);
    return this.#cmtime[r]!;
  }

  /** Sets age and inode of a row whose file was found unchanged. */
  touch(r: number, age: number, inode: bigint): void {
    this.#check(r);
    this.#age[r] = Math.min(age, MAX_AGE);
    this.#inode[r] = BigInt.asUintN(64, inode);
  }

  /** The path hash of a row, in place (valid until the table grows). */
  pathHashView(r: number): Uint8Array {
    this.#check(r);
    return this.#hashes.subarray(r * ID_SIZE, (r + 1) * ID_SIZE);
  }

  chunkCount(r: number): number {
    this.#check(r);
    return this.#idCount[r]!;
  }

  /** The chunk ids of a row, concatenated, in place (valid until the next set). */
  chunkIdsView(r: number): Uint8Array {
    this.#check(r);
    const start = this.#idStart[r]! * ID_SIZE;
    return this.#pool.subarray(start, start + this.#idCount[r]! * ID_SIZE);
  }

  /** The chunk ids of a row as separate Buffers (views of one copy). */
  chunkIds(r: number): Buffer[] {
    const all = Buffer.from(this.chunkIdsView(r));
    const out: Buffer[] = new Array(all.length / ID_SIZE);
    for (let i = 0; i < out.length; i++) out[i] = all.subarray(i * ID_SIZE, (i + 1) * ID_SIZE);
    return out;
  }

  /** Bytes held by the table's arrays (for memory budgets). */
  memoryBytes(): number {
    return this.#hashes.byteLength + this.#age.byteLength + this.#inode.byteLength + this.#size.byteLength +
      this.#cmtime.byteLength + this.#idStart.byteLength + this.#idCount.byteLength + this.#slots.byteLength + this.#pool.byteLength;
  }

  #check(r: number): void {
    if (!(r >= 0 && r < this.#count)) throw new RangeError(`Invalid files cache row ${r}`);
  }

  #appendRow(pathHash: Uint8Array): number {
    if (this.#count === this.#capacity) this.#growRows();
    if ((this.#count + 1) * 4 > this.#slots.length * 3) this.#growSlots();
    const r = this.#count++;
    this.#hashes.set(pathHash, r * ID_SIZE);
    this.#placeInSlots(r);
    return r;
  }

  #placeInSlots(r: number): void {
    const mask = this.#slots.length - 1;
    let s = this.#hashWords[r * 8]! & mask;
    while (this.#slots[s] !== 0) s = (s + 1) & mask;
    this.#slots[s] = r + 1;
  }

  #growRows(): void {
    const cap = Math.max(MIN_ROWS, Math.ceil(this.#capacity * 1.5));
    this.#hashes = grown(this.#hashes, new Uint8Array(cap * ID_SIZE));
    this.#hashWords = new Uint32Array(this.#hashes.buffer);
    this.#age = grown(this.#age, new Uint16Array(cap));
    this.#inode = grown(this.#inode, new BigUint64Array(cap));
    this.#size = grown(this.#size, new Float64Array(cap));
    this.#cmtime = grown(this.#cmtime, new BigInt64Array(cap));
    this.#idStart = grown(this.#idStart, new Uint32Array(cap));
    this.#idCount = grown(this.#idCount, new Uint32Array(cap));
    this.#capacity = cap;
  }

  #growSlots(): void {
    this.#slots = new Uint32Array(this.#slots.length * 2);
    for (let r = 0; r < this.#count; r++) this.#placeInSlots(r);
  }

  #reservePool(n: number): void {
    const needed = (this.#poolIds + n) * ID_SIZE;
    if (needed <= this.#pool.byteLength) return;
    const size = Math.max(needed, Math.ceil(this.#pool.byteLength * 1.5), 64 * ID_SIZE);
    this.#pool = grown(this.#pool, new Uint8Array(size));
  }

  /** Moves every row's ids to the front of a pool of the same size, dropping garbage. */
  #compactPool(): void {
    const next = new Uint8Array(this.#pool.byteLength);
    let used = 0;
    for (let r = 0; r < this.#count; r++) {
      const n = this.#idCount[r]!;
      const from = this.#idStart[r]! * ID_SIZE;
      next.set(this.#pool.subarray(from, from + n * ID_SIZE), used * ID_SIZE);
      this.#idStart[r] = used;
      used += n;
    }
    this.#pool = next;
    this.#poolIds = used;
    this.#garbageIds = 0;
  }
}

function idCount(ids: Uint8Array | readonly Uint8Array[]): number {
  if (ids instanceof Uint8Array) {
    if (ids.byteLength % ID_SIZE !== 0) throw new RangeError(`Invalid chunk id list: ${ids.byteLength} bytes is not a multiple of ${ID_SIZE}`);
    return ids.byteLength / ID_SIZE;
  }
  for (const id of ids) if (id.byteLength !== ID_SIZE) throw new RangeError(`Invalid chunk id: expected ${ID_SIZE} bytes, got ${id.byteLength}`);
  return ids.length;
}

function writeIds(pool: Uint8Array, offset: number, ids: Uint8Array | readonly Uint8Array[]): void {
  if (ids instanceof Uint8Array) {
    pool.set(ids, offset);
    return;
  }
  for (let i = 0; i < ids.length; i++) pool.set(ids[i]!, offset + i * ID_SIZE);
}

/** `next` (a larger array of the same type) with the contents of `old` at its start. */
function grown<T extends { set(source: T): void }>(old: T, next: T): T {
  next.set(old);
  return next;
}
