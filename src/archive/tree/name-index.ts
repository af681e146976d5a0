// Finding an entry by (parent, name) in an archive tree: an open-addressing hash table of entry
// numbers over the tree's own columns (no key copies), ~6 bytes per entry. Names are compared
// as bytes in the name heap.
import { NO_ENTRY, type TreeTables } from './tree-tables.js';

function hashName(parent: number, heap: Uint8Array, start: number, end: number): number {
  let h = (2166136261 ^ parent) >>> 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ heap[i]!, 16777619);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

export class NameIndex {
  /** Entry + 1 per slot; 0 = empty. */
  #slots: Uint32Array = new Uint32Array(64);
  #used = 0;

  constructor(private readonly tables: TreeTables) {}

  /** The hash table as it is (saved in tree files: loading skips rehashing every name). */
  get slots(): Uint32Array {
    return this.#slots;
  }

  /** An index over `tables` with the saved `slots` (a power of two in length). */
  static fromSlots(tables: TreeTables, slots: Uint32Array): NameIndex {
    const index = new NameIndex(tables);
    index.#slots = slots;
    let used = 0;
    for (let i = 0; i < slots.length; i++) if (slots[i] !== 0) used += 1;
    index.#used = used;
    return index;
  }

  /** The child of `parent` named by `name[start, end)` of `bytes`, or NO_ENTRY. */
  find(parent: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
    const t = this.tables;
    const mask = this.#slots.length - 1;
    const length = end - start;
    for (let i = hashName(parent, bytes, start, end) & mask; ; i = (i + 1) & mask) {
      const slot = this.#slots[i]!;
      if (slot === 0) return NO_ENTRY;
      const e = slot - 1;
      if (t.parent[e] !== parent) continue;
      const s = t.nameStart[e]!;
      if (t.nameStart[e + 1]! - s !== length) continue;
      if (t.heap.compare(bytes, start, end, s, s + length) === 0) return e;
    }
  }

  /** Adds entry `e` (its parent and name already in the tables; the name not yet present under that parent). */
  insert(e: number): void {
    if ((this.#used + 1) * 3 > this.#slots.length * 2) this.#rehash(this.#slots.length * 2);
    this.#put(e);
    this.#used += 1;
  }

  /** Replaces entry `old` by `e` (same parent and name) in its slot. */
  replace(old: number, e: number): void {
    const t = this.tables;
    const mask = this.#slots.length - 1;
    for (let i = hashName(t.parent[old]!, t.heap, t.nameStart[old]!, t.nameStart[old + 1]!) & mask; ; i = (i + 1) & mask) {
      const slot = this.#slots[i]!;
      if (slot === 0) throw new Error('NameIndex.replace: entry not indexed');
      if (slot === old + 1) {
        this.#slots[i] = e + 1;
        return;
      }
    }
  }

  #put(e: number): void {
    const t = this.tables;
    const mask = this.#slots.length - 1;
    let i = hashName(t.parent[e]!, t.heap, t.nameStart[e]!, t.nameStart[e + 1]!) & mask;
    while (this.#slots[i] !== 0) i = (i + 1) & mask;
    this.#slots[i] = e + 1;
  }

  #rehash(size: number): void {
    const old = this.#slots;
    this.#slots = new Uint32Array(size);
    for (const slot of old) if (slot !== 0) this.#put(slot - 1);
  }
}

export { NO_ENTRY };
