// Buzhash, the rolling hash of borg's content-defined chunker (spec §4.2), and the scanning kernel that
// the streaming chunker (buzhash-chunker.ts) drives.
//
// The kernel is the only per-byte code. It sits behind `BuzhashKernel` so that a faster one (e.g.
// WebAssembly) can replace the TypeScript one and be run through the same conformance tests.

import { BUZHASH_TABLE } from './buzhash-table.js';

/**
 * The key's chunk seed as the chunker uses it. Keys store it as a signed int32 (negative values are
 * common); the table is XORed with its unsigned 32-bit pattern.
 */
export function seedToUint32(seed: number): number {
  if (!Number.isInteger(seed) || seed < -0x80000000 || seed > 0xffffffff) {
    throw new RangeError(`Invalid chunk seed ${seed}: expected a 32-bit integer`);
  }
  return seed >>> 0;
}

/** The effective table `T[i] XOR seed` as int32 values (keeps V8 on its integer fast path). */
export function seededTable(seed: number): Int32Array {
  const s = seedToUint32(seed) | 0;
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) table[i] = BUZHASH_TABLE[i] ^ s;
  return table;
}

export function rotl(v: number, s: number): number {
  s &= 31;
  return s === 0 ? v | 0 : (v << s) | (v >>> (32 - s));
}

export function windowHashWith(table: Int32Array, data: Uint8Array, start: number, length: number): number {
  // Horner form of XOR_i rotl(H[w[i]], length - 1 - i): rotating the partial sum by one per byte.
  let h = 0;
  for (let i = start, end = start + length; i < end; i++) h = ((h << 1) | (h >>> 31)) ^ table[data[i]];
  return h;
}

/** Buzhash of `data` taken as one window (borg's `buzhash(data, seed)`), as uint32. */
export function buzhash(data: Uint8Array, seed = 0): number {
  return windowHashWith(seededTable(seed), data, 0, data.length) >>> 0;
}

/**
 * Rolls a window hash one byte forward: drops `remove` (the oldest byte) and appends `add`
 * (borg's `buzhash_update(sum, remove, add, len, seed)`), as uint32.
 */
export function buzhashUpdate(sum: number, remove: number, add: number, windowSize: number, seed = 0): number {
  const s = seedToUint32(seed);
  return (rotl(sum, 1) ^ rotl(BUZHASH_TABLE[remove & 255] ^ s, windowSize) ^ BUZHASH_TABLE[add & 255] ^ s) >>> 0;
}

/**
 * The per-byte work of the buzhash chunker. A kernel is made for one (seed, window, mask) and holds no
 * stream state: the chunker passes the position and hash in and reads the hash back.
 */
export interface BuzhashKernel {
  readonly name: string;
  /** Hash of the window `buf[p, p + windowSize)`. */
  windowHash(buf: Uint8Array, p: number): number;
  /**
   * Starting with `hash` = hash of the window at `p`, looks at windows p, p+1, ... < stop and returns
   * the first one whose hash has no mask bit set, or `stop` if none does. `buf[stop + windowSize - 1]`
   * is the last byte it may read. Afterwards `hash` holds the hash of the window at the returned position.
   */
  scan(buf: Uint8Array, p: number, stop: number, hash: number): number;
  /** Hash of the window at the position the last `scan` returned. */
  readonly hash: number;
}

export interface BuzhashKernelOptions {
  seed: number;
  windowSize: number;
  maskBits: number;
}

// The tables the TypeScript kernel reads live in module-level constants of fixed length: V8 then knows
// their size and drops the bounds checks of the table lookups, which about doubles the speed compared
// with tables held in fields. A kernel copies its own tables in (2 KiB) when it becomes the active one.
const ACTIVE_ADD = new Int32Array(256);
const ACTIVE_DROP = new Int32Array(256);
let activeKernel: TsBuzhashKernel | null = null;

/** The reference kernel in TypeScript: two table lookups, two byte loads and a rotate per byte. */
export class TsBuzhashKernel implements BuzhashKernel {
  readonly name = 'typescript';
  hash = 0;
  readonly #addTable: Int32Array;
  /** `rotl(H[b], windowSize)`: the contribution of byte b when it leaves the window. */
  readonly #dropTable: Int32Array;
  readonly #windowSize: number;
  readonly #mask: number;

  constructor(options: BuzhashKernelOptions) {
    this.#addTable = seededTable(options.seed);
    this.#dropTable = this.#addTable.map((v) => rotl(v, options.windowSize));
    this.#windowSize = options.windowSize;
    this.#mask = (2 ** options.maskBits - 1) | 0;
  }

  windowHash(buf: Uint8Array, p: number): number {
    return windowHashWith(this.#addTable, buf, p, this.#windowSize);
  }

  scan(buf: Uint8Array, p: number, stop: number, hash: number): number {
    if (activeKernel !== this) {
      ACTIVE_ADD.set(this.#addTable);
      ACTIVE_DROP.set(this.#dropTable);
      activeKernel = this;
    }
    const mask = this.#mask;
    const ws = this.#windowSize;
    let h = hash | 0;
    while (p < stop && (h & mask) !== 0) {
      h = ((h << 1) | (h >>> 31)) ^ ACTIVE_DROP[buf[p]] ^ ACTIVE_ADD[buf[p + ws]];
      p++;
    }
    this.hash = h;
    return p;
  }
}
