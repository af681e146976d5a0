// Borg's BORG_IDX hash index (spec §1.7): open addressing with linear probing over one contiguous
// buffer of `key (32 bytes) || value (u32le words)` buckets, kept in borg's on-disk layout so that
// reading and writing are plain copies. Sizing, tombstone handling and the "move a found entry into
// the first tombstone on its probe path" step follow borg 1.2.4, so the same operations give the
// same bytes. Values are u32 words; the first word doubles as the bucket state (EMPTY, DELETED).
import { IndexCorrupted } from './errors.js';
import { parseHashIndexHeader, encodeHashIndexHeader, HEADER_SIZE, type HashIndexHeader, type HeaderCheckOptions } from './hashindex-header.js';
import { HASH_SIZES, MAX_VALUE, KEY_SIZE, fitSize, growSize, shrinkSize, lowerLimit, upperLimit, minEmpty } from './hashindex-sizes.js';

export { HASH_SIZES, MAX_VALUE, KEY_SIZE, HEADER_SIZE, parseHashIndexHeader, type HashIndexHeader, type HeaderCheckOptions };

// Local copies: hot loops should not go through module bindings (some loaders turn them into getters).
const USED_MAX = 0xfffffbff;
const EMPTY = 0xffffffff;
const DELETED = 0xfffffffe;
const KEY_WORDS = KEY_SIZE / 4;

// The word arrays are used as little-endian u32 views of the file layout.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('borg-ts hash indexes need a little-endian platform');

export interface HashIndexOptions {
  /** Minimum bucket count, rounded up to the next HASH_SIZES entry (as borg's capacity argument). */
  capacity?: number;
  /** Allocate the buckets in a SharedArrayBuffer (worker threads can then read them). */
  shared?: boolean;
}

export interface HashIndexReadOptions {
  /** Required value size; a file with another one is rejected. */
  valueSize?: number;
  /** Accept tables without enough empty buckets as they are (borg's compact chunks.archive.d files). */
  permitCompact?: boolean;
  shared?: boolean;
}

export class HashIndex {
  readonly keySize = KEY_SIZE;
  readonly valueSize: number;
  readonly #valueWords: number;
  readonly #bucketWords: number;
  readonly #shared: boolean;
  #buffer!: ArrayBuffer | SharedArrayBuffer;
  #words!: Uint32Array;
  #numBuckets = 0;
  #numEntries = 0;
  #numEmpty = 0;
  #lowerLimit = 0;
  #upperLimit = 0;
  #minEmpty = 0;
  /** Where the last failed lookup would insert its key (first tombstone or the final EMPTY; -1: none). */
  #insertAt = -1;
  /** The key being looked up, as aligned words. */
  readonly #probe = new Uint32Array(KEY_WORDS);

  constructor(valueSize: number, options: HashIndexOptions = {}) {
    if (!Number.isInteger(valueSize) || valueSize < 4 || valueSize > 124 || valueSize % 4 !== 0) {
      throw new RangeError(`Invalid hash index value size ${valueSize}: must be a multiple of 4 from 4 to 124`);
    }
    this.valueSize = valueSize;
    this.#valueWords = valueSize / 4;
    this.#bucketWords = KEY_WORDS + this.#valueWords;
    this.#shared = options.shared ?? false;
    this.#allocate(fitSize(options.capacity ?? 0));
  }

  get count(): number {
    return this.#numEntries;
  }

  get numBuckets(): number {
    return this.#numBuckets;
  }

  /** The bucket storage (borg's layout, without header); replaced whenever the table is resized. */
  get buffer(): ArrayBuffer | SharedArrayBuffer {
    return this.#buffer;
  }

  /** Slot of `key`, or -1. Like borg, may move the entry into an earlier tombstone on its probe path. */
  find(key: Uint8Array): number {
    this.#loadKey(key);
    return this.#lookup(true);
  }

  /** Slot of `key`, or -1, without moving anything (for lookups that must not write). */
  peek(key: Uint8Array): number {
    this.#loadKey(key);
    return this.#lookup(false);
  }

  has(key: Uint8Array): boolean {
    return this.find(key) >= 0;
  }

  get(key: Uint8Array): number[] | undefined {
    const slot = this.find(key);
    if (slot < 0) return undefined;
    const base = slot * this.#bucketWords + KEY_WORDS;
    return Array.from(this.#words.subarray(base, base + this.#valueWords));
  }

  set(key: Uint8Array, words: ArrayLike<number>): void {
    if (words.length !== this.#valueWords) throw new RangeError(`Cannot set a hash index value: expected ${this.#valueWords} words, got ${words.length}`);
    for (let i = 0; i < words.length; i++) checkWord(words[i]!, i);
    const slot = this.insert(key);
    this.#words.set(words, slot * this.#bucketWords + KEY_WORDS);
  }

  /** Slot holding `key`, claiming a bucket for it (value words all 0) if it is new. */
  insert(key: Uint8Array): number {
    this.#loadKey(key);
    const slot = this.#lookup(true);
    return slot >= 0 ? slot : this.#claim();
  }

  delete(key: Uint8Array): boolean {
    const slot = this.find(key);
    if (slot < 0) return false;
    this.#words[slot * this.#bucketWords + KEY_WORDS] = DELETED; // key and other words stay, as in borg
    this.#numEntries--;
    if (this.#numEntries < this.#lowerLimit) this.#resize(shrinkSize(this.#numBuckets));
    return true;
  }

  clear(): void {
    this.#allocate(fitSize(0));
  }

  readWord(slot: number, w: number): number {
    this.#checkSlot(slot, w);
    return this.#words[slot * this.#bucketWords + KEY_WORDS + w]!;
  }

  writeWord(slot: number, w: number, value: number): void {
    this.#checkSlot(slot, w);
    checkWord(value, w);
    this.#words[slot * this.#bucketWords + KEY_WORDS + w] = value;
  }

  keyAt(slot: number): Buffer {
    this.#checkSlot(slot, 0);
    return Buffer.from(new Uint8Array(this.#buffer, slot * this.#bucketWords * 4, KEY_SIZE));
  }

  /** The key bytes of `slot` in place (no copy; valid until the next change). */
  keyView(slot: number): Uint8Array {
    this.#checkSlot(slot, 0);
    return new Uint8Array(this.#buffer, slot * this.#bucketWords * 4, KEY_SIZE);
  }

  /** The first slot in use at or after `from` (bucket order), or -1. */
  nextUsedSlot(from: number): number {
    const w = this.#words;
    const bw = this.#bucketWords;
    for (let i = Math.max(0, from); i < this.#numBuckets; i++) if (w[i * bw + KEY_WORDS]! <= USED_MAX) return i;
    return -1;
  }

  /** Entries in bucket order (the order of borg's iteritems and the `list` RPC); do not mutate meanwhile. */
  *entries(): IterableIterator<[Buffer, number[]]> {
    for (let s = this.nextUsedSlot(0); s >= 0; s = this.nextUsedSlot(s + 1)) {
      const base = s * this.#bucketWords + KEY_WORDS;
      yield [this.keyAt(s), Array.from(this.#words.subarray(base, base + this.#valueWords))];
    }
  }

  /** The whole file (up to buffer.constants.MAX_LENGTH bytes; toParts has no limit). */
  toBytes(): Buffer {
    const body = this.#numBuckets * this.#bucketWords * 4;
    const out = Buffer.allocUnsafe(HEADER_SIZE + body);
    encodeHashIndexHeader(this.#header()).copy(out, 0);
    out.set(new Uint8Array(this.#buffer, 0, body), HEADER_SIZE);
    return out;
  }

  /** The file as a header and views of at most `partSize` bytes (no copy; valid until the next change). */
  *toParts(partSize = 1 << 24): IterableIterator<Buffer> {
    yield encodeHashIndexHeader(this.#header());
    const body = this.#numBuckets * this.#bucketWords * 4;
    for (let off = 0; off < body; off += partSize) yield Buffer.from(this.#buffer, off, Math.min(partSize, body - off));
  }

  /** Reads a whole BORG_IDX file, rejecting anything malformed with IndexCorrupted. */
  static fromBytes(bytes: Uint8Array, options: HashIndexReadOptions = {}): HashIndex {
    const header = parseHashIndexHeader(bytes, { valueSize: options.valueSize, fileLength: bytes.byteLength });
    return HashIndex.fromParts(header, [bytes.subarray(HEADER_SIZE)], options);
  }

  /**
   * Builds an index from a header (parsed with the file's length, see parseHashIndexHeader) and the
   * bucket bytes in pieces, for files larger than one Buffer.
   */
  static fromParts(header: HashIndexHeader, parts: Iterable<Uint8Array>, options: HashIndexReadOptions = {}): HashIndex {
    const index = new HashIndex(header.valueSize, { capacity: 0, shared: options.shared ?? false });
    index.#load(header, parts, options.permitCompact ?? false);
    return index;
  }

  #header(): HashIndexHeader {
    return { numEntries: this.#numEntries, numBuckets: this.#numBuckets, keySize: KEY_SIZE, valueSize: this.valueSize };
  }

  #load(header: HashIndexHeader, parts: Iterable<Uint8Array>, permitCompact: boolean): void {
    const body = header.numBuckets * this.#bucketWords * 4;
    const buffer = this.#shared ? new SharedArrayBuffer(body) : new ArrayBuffer(body);
    let off = 0;
    for (const part of parts) {
      if (off + part.byteLength > body) throw new IndexCorrupted(`Cannot read hash index: more than ${body} bytes of buckets`);
      new Uint8Array(buffer, off, part.byteLength).set(part);
      off += part.byteLength;
    }
    if (off !== body) throw new IndexCorrupted(`Cannot read hash index: ${off} bytes of buckets, expected ${body}`);
    const words = new Uint32Array(buffer);
    let used = 0;
    let empty = 0;
    for (let i = 0, s = KEY_WORDS; i < header.numBuckets; i++, s += this.#bucketWords) {
      const state = words[s]!;
      if (state <= USED_MAX) used++;
      else if (state === EMPTY) empty++;
      else if (state !== DELETED) throw new IndexCorrupted(`Cannot read hash index: bucket ${i} has the invalid state 0x${state.toString(16)}`);
    }
    if (used !== header.numEntries) {
      throw new IndexCorrupted(`Cannot read hash index: the header counts ${header.numEntries} entries but ${used} buckets are in use`);
    }
    this.#setTable(buffer, header.numBuckets, used, empty);
    // borg rebuilds a table that has too few EMPTY buckets left (tombstones make probes long).
    if (!permitCompact && empty <= this.#minEmpty) this.#resize(this.#numBuckets);
  }

  #allocate(numBuckets: number): void {
    const bytes = numBuckets * this.#bucketWords * 4;
    const buffer = this.#shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
    const words = new Uint32Array(buffer);
    for (let s = KEY_WORDS; s < words.length; s += this.#bucketWords) words[s] = EMPTY;
    this.#setTable(buffer, numBuckets, 0, numBuckets);
  }

  #setTable(buffer: ArrayBuffer | SharedArrayBuffer, numBuckets: number, numEntries: number, numEmpty: number): void {
    this.#buffer = buffer;
    this.#words = new Uint32Array(buffer);
    this.#numBuckets = numBuckets;
    this.#numEntries = numEntries;
    this.#numEmpty = numEmpty;
    this.#lowerLimit = lowerLimit(numBuckets);
    this.#upperLimit = upperLimit(numBuckets);
    this.#minEmpty = minEmpty(numBuckets);
  }

  /**
   * Re-inserts all entries in bucket order into a fresh table of fitSize(capacity) buckets. Probing
   * runs on a bitmap of taken buckets that stays in cache, so the big table only sees writes.
   */
  #resize(capacity: number): void {
    const old = this.#words;
    const oldBuckets = this.#numBuckets;
    const count = this.#numEntries;
    const bw = this.#bucketWords;
    this.#allocate(fitSize(capacity));
    const w = this.#words;
    const nb = this.#numBuckets;
    const taken = new Uint32Array((nb + 31) >>> 5);
    for (let i = 0, base = 0; i < oldBuckets; i++, base += bw) {
      if (old[base + KEY_WORDS]! > USED_MAX) continue;
      let idx = old[base]! % nb;
      while (taken[idx >>> 5]! & (1 << (idx & 31))) if (++idx === nb) idx = 0;
      taken[idx >>> 5]! |= 1 << (idx & 31);
      for (let j = 0, to = idx * bw; j < bw; j++) w[to + j] = old[base + j]!;
    }
    this.#numEntries = count;
    this.#numEmpty = nb - count;
  }

  /** Claims a bucket for the key in #probe, which the last lookup did not find. */
  #claim(): number {
    if (this.#numEntries > this.#upperLimit || this.#insertAt < 0) {
      if (this.#numBuckets >= HASH_SIZES[HASH_SIZES.length - 1]! && this.#insertAt < 0) throw new RangeError('Cannot insert into the hash index: it is full');
      this.#resize(growSize(this.#numBuckets));
      this.#lookup(false);
    }
    const bw = this.#bucketWords;
    if (this.#words[this.#insertAt * bw + KEY_WORDS] === EMPTY) {
      // Taking an EMPTY bucket: rebuild first if it would leave minEmpty or fewer (borg 1.2.4's threshold).
      if (this.#numEmpty - 1 <= this.#minEmpty) {
        this.#resize(this.#numBuckets);
        this.#lookup(false);
      }
      this.#numEmpty--;
    }
    const slot = this.#insertAt;
    const base = slot * bw;
    const w = this.#words;
    const p = this.#probe;
    for (let j = 0; j < KEY_WORDS; j++) w[base + j] = p[j]!;
    for (let j = KEY_WORDS; j < bw; j++) w[base + j] = 0;
    this.#numEntries++;
    return slot;
  }

  #loadKey(key: Uint8Array): void {
    if (key.byteLength !== KEY_SIZE) throw new RangeError(`Invalid hash index key: expected ${KEY_SIZE} bytes, got ${key.byteLength}`);
    const p = this.#probe;
    for (let i = 0, j = 0; i < KEY_WORDS; i++, j += 4) p[i] = key[j]! | (key[j + 1]! << 8) | (key[j + 2]! << 16) | (key[j + 3]! << 24);
  }

  #lookup(move: boolean): number {
    const nb = this.#numBuckets;
    if (nb === 0) return (this.#insertAt = -1);
    const w = this.#words;
    const bw = this.#bucketWords;
    const p = this.#probe;
    const k0 = p[0]!, k1 = p[1]!, k2 = p[2]!, k3 = p[3]!, k4 = p[4]!, k5 = p[5]!, k6 = p[6]!, k7 = p[7]!;
    const start = k0 % nb;
    let idx = start;
    let deleted = -1;
    for (;;) {
      const base = idx * bw;
      const state = w[base + KEY_WORDS]!;
      if (state === EMPTY) {
        this.#insertAt = deleted >= 0 ? deleted : idx;
        return -1;
      }
      if (state === DELETED) {
        if (deleted < 0) deleted = idx;
      } else if (w[base] === k0 && w[base + 1] === k1 && w[base + 2] === k2 && w[base + 3] === k3 &&
                 w[base + 4] === k4 && w[base + 5] === k5 && w[base + 6] === k6 && w[base + 7] === k7) {
        if (!move || deleted < 0) return idx;
        w.copyWithin(deleted * bw, base, base + bw);
        w[base + KEY_WORDS] = DELETED;
        return deleted;
      }
      if (++idx === nb) idx = 0;
      if (idx === start) {
        this.#insertAt = deleted;
        return -1;
      }
    }
  }

  #checkSlot(slot: number, w: number): void {
    if (!(slot >= 0 && slot < this.#numBuckets && w >= 0 && w < this.#valueWords) || !Number.isInteger(slot) || !Number.isInteger(w)) {
      throw new RangeError(`Invalid hash index slot ${slot} / word ${w}`);
    }
    if (this.#words[slot * this.#bucketWords + KEY_WORDS]! > USED_MAX) throw new RangeError(`Hash index slot ${slot} is not in use`);
  }
}

function checkWord(value: number, w: number): void {
  if (!Number.isInteger(value) || value < 0 || value > (w === 0 ? USED_MAX : 0xffffffff)) {
    throw new RangeError(`Invalid hash index value word ${w}: ${value}`);
  }
}
