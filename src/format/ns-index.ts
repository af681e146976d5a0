// The repository index (spec §1.7, `index.N`): object id -> (segment, offset), value size 8.
import { HashIndex, type HashIndexOptions, type HashIndexReadOptions } from './hashindex-table.js';

export interface NSEntry {
  segment: number;
  offset: number;
}

export class NSIndex {
  static readonly VALUE_SIZE = 8;
  /** The underlying table (for bucket-level access and sharing its buffer). */
  readonly table: HashIndex;

  constructor(options: HashIndexOptions | HashIndex = {}) {
    this.table = options instanceof HashIndex ? options : new HashIndex(NSIndex.VALUE_SIZE, options);
    if (this.table.valueSize !== NSIndex.VALUE_SIZE) throw new RangeError(`An NSIndex needs value size 8, not ${this.table.valueSize}`);
  }

  get count(): number {
    return this.table.count;
  }

  get(id: Uint8Array): NSEntry | undefined {
    const slot = this.table.find(id);
    if (slot < 0) return undefined;
    return { segment: this.table.readWord(slot, 0), offset: this.table.readWord(slot, 1) };
  }

  /** `segment` is at most MAX_VALUE (borg: "maximum number of segments reached"), `offset` any u32. */
  set(id: Uint8Array, segment: number, offset: number): void {
    this.table.set(id, [segment, offset]);
  }

  delete(id: Uint8Array): boolean {
    return this.table.delete(id);
  }

  has(id: Uint8Array): boolean {
    return this.table.has(id);
  }

  /** `[id, segment, offset]` in bucket order. */
  *entries(): IterableIterator<[Buffer, number, number]> {
    for (const [id, [segment, offset]] of this.table.entries()) yield [id, segment!, offset!];
  }

  toBytes(): Buffer {
    return this.table.toBytes();
  }

  static fromBytes(bytes: Uint8Array, options: Omit<HashIndexReadOptions, 'valueSize'> = {}): NSIndex {
    return new NSIndex(HashIndex.fromBytes(bytes, { ...options, valueSize: NSIndex.VALUE_SIZE }));
  }
}
