// Counts the chunk references of an archive's item stream into a chunk index while the stream's
// bytes arrive, without decoding items into values: borg's cache synchronizer (spec §7.4, §5.5).
// It follows the same rules and fires at the same points of the byte stream as borg's, so a sync
// inserts ids in borg's order and builds the same hash table, bucket for bucket:
//   - each top-level map is an item; only its `chunks` key matters (any other key and value is
//     skipped, nested or not);
//   - `chunks` must be an array of exactly-3-element arrays [raw id of 32 bytes, int size, int
//     csize] — no nil, bool, float, map, bin or ext inside; sizes are taken modulo 2^32 like borg's C;
//   - a new id enters with (1, size, csize); a known id only gains a reference (saturating), keeping
//     its size and csize;
//   - keys of an item must be raws; containers may nest at most 16 deep.
import { MAX_VALUE, type ChunkIndex } from '../format/hashindex.js';

const MAX_DEPTH = 16;
const ID_SIZE = 32;
const CHUNKS = [...Buffer.from('chunks')];

/** Length of the header (type byte + length/value bytes) by type byte for the multi-byte forms; 0 = invalid. */
const HEADER_LENGTH = new Uint8Array(256);
for (const [types, n] of [
  [[0xc0, 0xc2, 0xc3], 1], [[0xcc, 0xd0, 0xd9, 0xc4, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8], 2], [[0xcd, 0xd1, 0xda, 0xc5, 0xc7, 0xdc, 0xde], 3],
  [[0xc8], 4], [[0xca, 0xce, 0xd2, 0xdb, 0xc6, 0xdd, 0xdf], 5], [[0xc9], 6], [[0xcb, 0xcf, 0xd3], 9],
] as const) for (const t of types) HEADER_LENGTH[t] = n;

function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

const enum Expect {
  ItemBegin, MapKey, MapItemEnd, ChunksBegin, EntryOrChunksEnd, Key, Size, Csize, EntryEnd,
}
const enum Frame {
  Array, MapKey, MapValue,
}

export class ItemScanError extends Error {}

export class ItemChunkScanner {
  readonly #index: ChunkIndex;
  /** Bytes of a token that was cut off at the end of the last feed. */
  #carry: Uint8Array = new Uint8Array(0);
  /** Payload bytes of a long raw/bin/ext still to skip. */
  #skip = 0;
  readonly #frames = new Uint8Array(MAX_DEPTH);
  readonly #sizes = new Float64Array(MAX_DEPTH);
  readonly #counts = new Float64Array(MAX_DEPTH);
  #top = 0;
  // The parser's view of the item being read.
  #level = 0;
  #insideChunks = false;
  #expect = Expect.ItemBegin;
  readonly #key = new Uint8Array(ID_SIZE);
  #size = 0;
  #csize = 0;

  constructor(index: ChunkIndex) {
    this.#index = index;
  }

  feed(data: Uint8Array): void {
    let b = data;
    if (this.#carry.byteLength > 0) {
      b = new Uint8Array(this.#carry.byteLength + data.byteLength);
      b.set(this.#carry);
      b.set(data, this.#carry.byteLength);
      this.#carry = new Uint8Array(0);
    }
    const end = b.byteLength;
    let p = 0;
    while (p < end) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, end - p);
        p += n;
        this.#skip -= n;
        continue;
      }
      const used = this.#token(b, p, end - p);
      if (used === 0) {
        this.#carry = b.slice(p);
        return;
      }
      p += used;
    }
  }

  /**
   * Handles the token at `p` (one hot switch, no allocation); returns the bytes consumed, or 0 when
   * the token is cut off. Long raws, bins and exts consume only their header; #skip takes the rest.
   */
  #token(b: Uint8Array, p: number, avail: number): number {
    const t = b[p]!;
    if (t <= 0x7f) return this.#int(t, 1);
    if (t >= 0xe0) return this.#int((t - 0x100) >>> 0, 1);
    if (t >= 0xa0 && t <= 0xbf) return this.#raw(b, p, 1, t & 0x1f, avail);
    if (t >= 0x90 && t <= 0x9f) return this.#container(false, t & 0x0f, 1);
    if (t >= 0x80 && t <= 0x8f) return this.#container(true, t & 0x0f, 1);
    // Multi-byte headers: `need` bytes must be there before anything is decided.
    const need = HEADER_LENGTH[t]!;
    if (need === 0) throw new ItemScanError(`invalid msgpack type byte 0x${t.toString(16)}`);
    if (avail < need) return 0;
    switch (t) {
      case 0xc0: case 0xc2: case 0xc3: case 0xca: case 0xcb:
        this.#unexpected(t === 0xc0 ? 'nil' : t === 0xca || t === 0xcb ? 'float' : 'bool');
        this.#valueDone();
        return need;
      case 0xcc: return this.#int(b[p + 1]!, 2);
      case 0xd0: return this.#int(((b[p + 1]! << 24) >> 24) >>> 0, 2);
      case 0xcd: return this.#int(u16(b, p + 1), 3);
      case 0xd1: return this.#int(((u16(b, p + 1) << 16) >> 16) >>> 0, 3);
      case 0xce: case 0xd2: return this.#int(u32(b, p + 1), 5);
      // Only the low 32 bits of a 64-bit integer survive borg's conversion to uint32.
      case 0xcf: case 0xd3: return this.#int(u32(b, p + 5), 9);
      case 0xd9: return this.#raw(b, p, 2, b[p + 1]!, avail);
      case 0xda: return this.#raw(b, p, 3, u16(b, p + 1), avail);
      case 0xdb: return this.#raw(b, p, 5, u32(b, p + 1), avail);
      case 0xc4: return this.#opaque('bin', 2, b[p + 1]!);
      case 0xc5: return this.#opaque('bin', 3, u16(b, p + 1));
      case 0xc6: return this.#opaque('bin', 5, u32(b, p + 1));
      case 0xc7: return this.#opaque('ext', 3, b[p + 1]!);
      case 0xc8: return this.#opaque('ext', 4, u16(b, p + 1));
      case 0xc9: return this.#opaque('ext', 6, u32(b, p + 1));
      case 0xdc: return this.#container(false, u16(b, p + 1), 3);
      case 0xdd: return this.#container(false, u32(b, p + 1), 5);
      case 0xde: return this.#container(true, u16(b, p + 1), 3);
      case 0xdf: return this.#container(true, u32(b, p + 1), 5);
      default: return this.#opaque('ext', 2, 1 << (t - 0xd4)); // fixext 1..16
    }
  }

  #int(value: number, length: number): number {
    this.#onInt(value);
    this.#valueDone();
    return length;
  }

  /** Raws up to 32 bytes are looked at (ids, key names); longer ones only count as "some raw". */
  #raw(b: Uint8Array, p: number, header: number, length: number, avail: number): number {
    if (length > ID_SIZE) {
      this.#onRaw(length, b, -1);
      this.#valueDone();
      this.#skip = length;
      return header;
    }
    if (avail < header + length) return 0;
    this.#onRaw(length, b, p + header);
    this.#valueDone();
    return header + length;
  }

  #opaque(what: string, header: number, length: number): number {
    this.#unexpected(what);
    this.#valueDone();
    this.#skip = length;
    return header;
  }

  #container(map: boolean, n: number, header: number): number {
    if (this.#top >= MAX_DEPTH) throw new ItemScanError('nesting too deep');
    if (map) this.#onMap();
    else this.#onArray(n);
    if (n === 0) {
      if (map) this.#onMapEnd();
      else this.#onArrayEnd();
      this.#valueDone();
      return header;
    }
    this.#frames[this.#top] = map ? Frame.MapKey : Frame.Array;
    this.#sizes[this.#top] = n;
    this.#counts[this.#top] = 0;
    this.#top++;
    return header;
  }

  /** A value is complete: advance the enclosing containers, closing those that are full. */
  #valueDone(): void {
    for (;;) {
      if (this.#top === 0) {
        // A whole top-level object is done: start over for the next item.
        this.#level = 0;
        this.#insideChunks = false;
        this.#expect = Expect.ItemBegin;
        return;
      }
      const i = this.#top - 1;
      const frame = this.#frames[i]!;
      if (frame === Frame.MapKey) {
        this.#frames[i] = Frame.MapValue;
        return;
      }
      if (frame === Frame.MapValue) this.#onMapItem();
      if (++this.#counts[i]! < this.#sizes[i]!) {
        if (frame === Frame.MapValue) this.#frames[i] = Frame.MapKey;
        return;
      }
      if (frame === Frame.Array) this.#onArrayEnd();
      else this.#onMapEnd();
      this.#top--;
    }
  }

  // --- borg's item rules on top of the token events

  #unexpected(what: string): void {
    if (this.#insideChunks || this.#expect === Expect.MapKey) throw new ItemScanError(`unexpected ${what}`);
  }

  #onInt(value: number): void {
    if (this.#expect === Expect.Size) {
      this.#size = value;
      this.#expect = Expect.Csize;
    } else if (this.#expect === Expect.Csize) {
      this.#csize = value;
      this.#expect = Expect.EntryEnd;
    } else {
      this.#unexpected('integer');
    }
  }

  /** A raw of `length` bytes at `b[at]` (`at` -1: too long to matter, not looked at). */
  #onRaw(length: number, b: Uint8Array, at: number): void {
    if (this.#expect === Expect.Key) {
      if (length !== ID_SIZE || at < 0) throw new ItemScanError(`chunk id of ${length} bytes`);
      this.#key.set(b.subarray(at, at + ID_SIZE));
      this.#expect = Expect.Size;
    } else if (this.#expect === Expect.MapKey) {
      if (length === CHUNKS.length && at >= 0 && CHUNKS.every((c, i) => b[at + i] === c)) {
        this.#expect = Expect.ChunksBegin;
        this.#insideChunks = true;
      } else {
        this.#expect = Expect.MapItemEnd;
      }
    } else if (this.#insideChunks) {
      throw new ItemScanError('unexpected bytes in the chunk list');
    }
  }

  #onArray(n: number): void {
    if (this.#expect === Expect.ChunksBegin) {
      this.#expect = Expect.EntryOrChunksEnd;
    } else if (this.#expect === Expect.EntryOrChunksEnd) {
      if (n !== 3) throw new ItemScanError(`chunk list entry of ${n} elements`);
      this.#expect = Expect.Key;
    } else {
      if (this.#insideChunks) throw new ItemScanError('unexpected array in the chunk list');
      this.#level++;
    }
  }

  #onArrayEnd(): void {
    if (this.#expect === Expect.EntryEnd) {
      this.#addReference();
      this.#expect = Expect.EntryOrChunksEnd;
    } else if (this.#expect === Expect.EntryOrChunksEnd) {
      this.#insideChunks = false;
      this.#expect = Expect.MapItemEnd;
    } else {
      if (this.#insideChunks) throw new ItemScanError('chunk list entry ends early');
      this.#level--;
    }
  }

  #onMap(): void {
    if (this.#level === 0) {
      if (this.#expect !== Expect.ItemBegin) throw new ItemScanError('unexpected item start');
      this.#expect = Expect.MapKey;
    }
    if (this.#insideChunks) throw new ItemScanError('unexpected map in the chunk list');
    this.#level++;
  }

  #onMapItem(): void {
    if (this.#level !== 1) return;
    if (this.#expect !== Expect.MapItemEnd) throw new ItemScanError('unexpected item key');
    this.#expect = Expect.MapKey;
  }

  #onMapEnd(): void {
    this.#level--;
    if (this.#insideChunks) throw new ItemScanError('unexpected map end in the chunk list');
  }

  #addReference(): void {
    const t = this.#index.table;
    const before = t.count;
    const slot = t.insert(this.#key);
    if (t.count === before) {
      const refcount = t.readWord(slot, 0);
      if (refcount < MAX_VALUE) t.writeWord(slot, 0, refcount + 1);
    } else {
      t.writeWord(slot, 1, this.#size);
      t.writeWord(slot, 2, this.#csize);
      t.writeWord(slot, 0, 1);
    }
  }
}
