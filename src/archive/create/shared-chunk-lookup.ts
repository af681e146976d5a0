// Read-only lookups in the chunk index from worker threads (DESIGN.md, "Performance plan").
//
// The main thread owns the ChunkIndex and is its only writer; workers see its bucket storage as a
// SharedArrayBuffer and ask "is this chunk already stored?" to skip compressing and encrypting
// known chunks. Races only ever produce "not known" (a slot being filled, or a table the main
// thread has since replaced by a resized one): the main thread re-checks every chunk a worker
// sends, so a false "not known" costs work, never correctness. During a backup entries are only
// added, so a key seen complete in a used slot is really stored.
const KEY_WORDS = 8;
const EMPTY = 0xffffffff;
const DELETED = 0xfffffffe;

export interface SharedTable {
  buffer: SharedArrayBuffer;
  numBuckets: number;
  valueWords: number;
}

export class SharedChunkLookup {
  #words: Uint32Array;
  #numBuckets: number;
  #bucketWords: number;
  readonly #probe = new Uint32Array(KEY_WORDS);
  readonly #probeBytes = new Uint8Array(this.#probe.buffer);

  constructor(table: SharedTable) {
    this.#words = new Uint32Array(table.buffer);
    this.#numBuckets = table.numBuckets;
    this.#bucketWords = KEY_WORDS + table.valueWords;
  }

  /** Switches to the table the main thread resized into. */
  replace(table: SharedTable): void {
    this.#words = new Uint32Array(table.buffer);
    this.#numBuckets = table.numBuckets;
    this.#bucketWords = KEY_WORDS + table.valueWords;
  }

  has(id: Uint8Array): boolean {
    if (this.#numBuckets === 0) return false;
    this.#probeBytes.set(id.subarray(0, 32));
    const p = this.#probe;
    const words = this.#words;
    const n = this.#numBuckets;
    let slot = p[0]! % n;
    for (let steps = 0; steps < n; steps++) {
      const base = slot * this.#bucketWords;
      const state = Atomics.load(words, base + KEY_WORDS);
      if (state === EMPTY) return false;
      if (state !== DELETED &&
        words[base] === p[0] && words[base + 1] === p[1] && words[base + 2] === p[2] && words[base + 3] === p[3] &&
        words[base + 4] === p[4] && words[base + 5] === p[5] && words[base + 6] === p[6] && words[base + 7] === p[7]) {
        return true;
      }
      slot = slot + 1 === n ? 0 : slot + 1;
    }
    return false;
  }
}
