// The fixed-size chunker (spec §4.4): an optional header chunk of `headerSize` bytes, then chunks of
// `blockSize` bytes; the last chunk (of the header or of the input) may be shorter.
// (Sparse-file handling, where holes end blocks early, belongs to the reader that feeds this chunker.)

import type { FixedParams } from './chunker-params.js';
import { validateChunkerParams } from './chunker-params.js';

export class FixedChunker {
  readonly #blockSize: number;
  readonly #headerSize: number;
  /** The chunk being filled: allocated at its full size, so a completed chunk needs no second copy. */
  #current: Buffer | null = null;
  #filled = 0;
  #inHeader: boolean;

  constructor(params: FixedParams) {
    validateChunkerParams(params);
    this.#blockSize = params.blockSize;
    this.#headerSize = params.headerSize;
    this.#inHeader = params.headerSize > 0;
  }

  /** Feeds the next bytes of the input; returns the chunks completed by them (fresh buffers). */
  update(block: Uint8Array): Buffer[] {
    const chunks: Buffer[] = [];
    let offset = 0;
    while (offset < block.length) {
      // Own ArrayBuffer per chunk (not pooled, not a view): chunks can be transferred to other threads.
      const current = this.#current ??= Buffer.allocUnsafeSlow(this.#inHeader ? this.#headerSize : this.#blockSize);
      const n = Math.min(current.length - this.#filled, block.length - offset);
      current.set(block.subarray(offset, offset + n), this.#filled);
      this.#filled += n;
      offset += n;
      if (this.#filled === current.length) {
        chunks.push(current);
        this.#current = null;
        this.#filled = 0;
        this.#inHeader = false;
      }
    }
    return chunks;
  }

  /** Ends the input; returns the last, shorter chunk if any. The chunker is then ready for a new input. */
  final(): Buffer[] {
    const chunks: Buffer[] = [];
    if (this.#current !== null && this.#filled > 0) {
      const last = Buffer.allocUnsafeSlow(this.#filled);
      last.set(this.#current.subarray(0, this.#filled));
      chunks.push(last);
    }
    this.#current = null;
    this.#filled = 0;
    this.#inHeader = this.#headerSize > 0;
    return chunks;
  }
}
