// The chunk index (spec §1.7, §7.4; cache `chunks`, `chunks.archive.d`): id -> (refcount, size, csize),
// value size 12, so 44 bytes per bucket. A refcount that reached MAX_VALUE is saturated: borg never
// changes it again, so neither do incref, decref, add or merge.
import { HashIndex, MAX_VALUE, type HashIndexOptions, type HashIndexReadOptions } from './hashindex-table.js';
import { toHex } from './bytes.js';

export interface ChunkEntry {
  refcount: number;
  size: number;
  csize: number;
}

/** Totals as borg's cache statistics: `total*` weight every chunk by its refcount, `unique*` count it once. */
export interface ChunkIndexSummary {
  totalChunks: number;
  totalSize: number;
  totalCsize: number;
  totalUniqueChunks: number;
  uniqueSize: number;
  uniqueCsize: number;
}

const REFCOUNT = 0;
const SIZE = 1;
const CSIZE = 2;

export class ChunkIndex {
  static readonly VALUE_SIZE = 12;
  /** The underlying table (for bucket-level access and sharing its buffer). */
  readonly table: HashIndex;

  constructor(options: HashIndexOptions | HashIndex = {}) {
    this.table = options instanceof HashIndex ? options : new HashIndex(ChunkIndex.VALUE_SIZE, options);
    if (this.table.valueSize !== ChunkIndex.VALUE_SIZE) throw new RangeError(`A ChunkIndex needs value size 12, not ${this.table.valueSize}`);
  }

  get count(): number {
    return this.table.count;
  }

  get(id: Uint8Array): ChunkEntry | undefined {
    const slot = this.table.find(id);
    return slot < 0 ? undefined : this.#entryAt(slot);
  }

  set(id: Uint8Array, refcount: number, size: number, csize: number): void {
    this.table.set(id, [refcount, size, csize]);
  }

  /** Inserts or adds `refcount` references (saturating at MAX_VALUE); size and csize are replaced, as borg does. */
  add(id: Uint8Array, refcount: number, size: number, csize: number): void {
    checkU32(refcount, 'reference count');
    checkU32(size, 'size');
    checkU32(csize, 'csize');
    const t = this.table;
    const before = t.count;
    const slot = t.insert(id);
    const old = t.count === before ? t.readWord(slot, REFCOUNT) : 0;
    t.writeWord(slot, SIZE, size);
    t.writeWord(slot, CSIZE, csize);
    t.writeWord(slot, REFCOUNT, Math.min(old + refcount, MAX_VALUE));
  }

  /** One more reference to a known chunk; returns the new refcount. */
  incref(id: Uint8Array): number {
    const slot = this.#slotOf(id, 'increment');
    const refcount = this.table.readWord(slot, REFCOUNT);
    if (refcount === MAX_VALUE) return refcount;
    this.table.writeWord(slot, REFCOUNT, refcount + 1);
    return refcount + 1;
  }

  /** One reference more if the chunk is known (one lookup); false when it is not in the index. */
  increfIfPresent(id: Uint8Array): boolean {
    const slot = this.table.find(id);
    if (slot < 0) return false;
    const refcount = this.table.readWord(slot, REFCOUNT);
    if (refcount !== MAX_VALUE) this.table.writeWord(slot, REFCOUNT, refcount + 1);
    return true;
  }

  /** One reference less; returns the remaining refcount (the entry stays, even at 0). */
  decref(id: Uint8Array): number {
    const slot = this.#slotOf(id, 'decrement');
    const refcount = this.table.readWord(slot, REFCOUNT);
    if (refcount === MAX_VALUE) return refcount;
    if (refcount === 0) throw new Error(`Cannot decrement the reference count of chunk ${toHex(id)}: it is already 0`);
    this.table.writeWord(slot, REFCOUNT, refcount - 1);
    return refcount - 1;
  }

  delete(id: Uint8Array): boolean {
    return this.table.delete(id);
  }

  has(id: Uint8Array): boolean {
    return this.table.has(id);
  }

  /** Adds every entry of `other` (refcounts summed and saturating, size and csize taken from `other`). */
  merge(other: ChunkIndex): void {
    const o = other.table;
    for (let s = o.nextUsedSlot(0); s >= 0; s = o.nextUsedSlot(s + 1)) {
      this.add(o.keyView(s), o.readWord(s, REFCOUNT), o.readWord(s, SIZE), o.readWord(s, CSIZE));
    }
  }

  /** `[id, refcount, size, csize]` in bucket order. */
  *entries(): IterableIterator<[Buffer, number, number, number]> {
    const t = this.table;
    for (let s = t.nextUsedSlot(0); s >= 0; s = t.nextUsedSlot(s + 1)) {
      yield [t.keyAt(s), t.readWord(s, REFCOUNT), t.readWord(s, SIZE), t.readWord(s, CSIZE)];
    }
  }

  /** Statistics in doubles: exact while the totals stay below 2^53 (8 PiB). */
  summarize(): ChunkIndexSummary {
    const t = this.table;
    const sum: ChunkIndexSummary = { totalChunks: 0, totalSize: 0, totalCsize: 0, totalUniqueChunks: 0, uniqueSize: 0, uniqueCsize: 0 };
    for (let s = t.nextUsedSlot(0); s >= 0; s = t.nextUsedSlot(s + 1)) {
      const refcount = t.readWord(s, REFCOUNT);
      const size = t.readWord(s, SIZE);
      const csize = t.readWord(s, CSIZE);
      sum.totalUniqueChunks++;
      sum.uniqueSize += size;
      sum.uniqueCsize += csize;
      sum.totalChunks += refcount;
      sum.totalSize += refcount * size;
      sum.totalCsize += refcount * csize;
    }
    return sum;
  }

  toBytes(): Buffer {
    return this.table.toBytes();
  }

  static fromBytes(bytes: Uint8Array, options: Omit<HashIndexReadOptions, 'valueSize'> = {}): ChunkIndex {
    return new ChunkIndex(HashIndex.fromBytes(bytes, { ...options, valueSize: ChunkIndex.VALUE_SIZE }));
  }

  #slotOf(id: Uint8Array, action: string): number {
    const slot = this.table.find(id);
    if (slot < 0) throw new Error(`Cannot ${action} the reference count of chunk ${toHex(id)}: it is not in the index`);
    return slot;
  }

  #entryAt(slot: number): ChunkEntry {
    const t = this.table;
    return { refcount: t.readWord(slot, REFCOUNT), size: t.readWord(slot, SIZE), csize: t.readWord(slot, CSIZE) };
  }
}

function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`Invalid chunk ${what} ${value}`);
}
