// The buzhash content-defined chunker as a stream (spec §4.3). Cut points depend only on the bytes,
// never on how the caller splits them into blocks.
//
// Per chunk starting at `start`: fewer than min + window + 1 bytes left at the end of the input make
// the final chunk. Otherwise windows are tested from start + min on; the first window (beginning at p)
// whose hash has no mask bit set cuts the chunk at p, provided the window ends before start + max and
// before the end of the input. If no window qualifies, the chunk ends at start + max or at the end
// of the input, whichever comes first.
//
// While streaming, a window that ends exactly at the last byte received so far cannot be judged yet (it
// may be the end of the input), so the scan stops there and resumes with the next block.

import { defaultBuzhashKernel } from './native-buzhash.js';
import type { BuzhashParams } from './chunker-params.js';
import { validateChunkerParams } from './chunker-params.js';
import { type BuzhashKernel, type BuzhashKernelOptions } from './buzhash.js';

/** Input is copied into the chunker's buffer in slices of at most this size (bounds the buffer). */
const SLICE_SIZE = 1 << 20;
/** Smallest buffer the chunker allocates; it grows on demand, so small files stay cheap. */
const MIN_BUFFER_SIZE = 1 << 16;

export type BuzhashKernelFactory = (options: BuzhashKernelOptions) => BuzhashKernel;

export class BuzhashChunker {
  readonly #kernel: BuzhashKernel;
  readonly #min: number;
  readonly #max: number;
  readonly #windowSize: number;
  /** Room for the pending bytes (< max), one more max-size run and a slice, so compaction is rare. */
  readonly #bufferLimit: number;
  #buf = new Uint8Array(0);
  /** Start of the current chunk in #buf. */
  #start = 0;
  /** End of the received bytes in #buf. */
  #end = 0;
  /** Whether #pos/#hash describe a window of the current chunk. */
  #scanning = false;
  #pos = 0;
  #hash = 0;
  /** Emit views into #buf instead of copies (commitViews, finalViews). */
  #views = false;

  constructor(params: BuzhashParams, seed: number, kernelFactory: BuzhashKernelFactory = defaultBuzhashKernel) {
    validateChunkerParams(params);
    this.#kernel = kernelFactory({ seed, windowSize: params.windowSize, maskBits: params.maskBits });
    this.#min = 2 ** params.minExp;
    this.#max = 2 ** params.maxExp;
    this.#windowSize = params.windowSize;
    this.#bufferLimit = 2 * this.#max + SLICE_SIZE;
  }

  /** Size of the internal buffer (at most 2 * max chunk size + 1 MiB; shows the memory bound in tests). */
  get bufferCapacity(): number {
    return this.#buf.length;
  }

  /** Feeds the next bytes of the input; returns the chunks completed by them (fresh buffers). */
  update(block: Uint8Array): Buffer[] {
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < block.length; offset += SLICE_SIZE) {
      this.#append(block.subarray(offset, Math.min(block.length, offset + SLICE_SIZE)));
      this.#cut(chunks, false);
    }
    return chunks;
  }

  /** Ends the input; returns the remaining chunks. The chunker is then ready for a new input. */
  final(): Buffer[] {
    const chunks: Buffer[] = [];
    this.#cut(chunks, true);
    this.#start = this.#end = 0;
    this.#scanning = false;
    return chunks;
  }

  /**
   * Zero-copy input for a reader: room for at most `size` bytes right after the received ones, to
   * fill (e.g. with readSync) and pass to `commitViews`. Invalidates the views returned before.
   */
  inputSpace(size: number): Uint8Array {
    const bytes = Math.min(size, SLICE_SIZE);
    if (this.#end + bytes > this.#buf.length) this.#makeRoom(bytes);
    return this.#buf.subarray(this.#end, this.#end + bytes);
  }

  /**
   * Takes the first `n` bytes of the last `inputSpace` as input and returns the chunks completed,
   * as views into the chunker's buffer: valid only until the next call of any method (the caller
   * hashes or seals them at once; chunks to keep must be copied).
   */
  commitViews(n: number): Buffer[] {
    this.#end += n;
    this.#views = true;
    const chunks: Buffer[] = [];
    this.#cut(chunks, false);
    this.#views = false;
    return chunks;
  }

  /** Like final(), with the chunks as views (see commitViews). */
  finalViews(): Buffer[] {
    this.#views = true;
    try {
      return this.final();
    } finally {
      this.#views = false;
    }
  }

  #append(bytes: Uint8Array): void {
    if (this.#end + bytes.length > this.#buf.length) this.#makeRoom(bytes.length);
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  /** Moves the pending bytes to the front, into a bigger buffer if they and `extra` do not fit. */
  #makeRoom(extra: number): void {
    const pending = this.#end - this.#start;
    const needed = pending + extra;
    let target = this.#buf;
    if (needed > this.#buf.length) {
      const size = Math.max(needed, Math.min(this.#bufferLimit, Math.max(MIN_BUFFER_SIZE, 2 * this.#buf.length)));
      target = new Uint8Array(size);
    }
    target.set(this.#buf.subarray(this.#start, this.#end), 0);
    this.#buf = target;
    this.#pos -= this.#start;
    this.#start = 0;
    this.#end = pending;
  }

  #cut(chunks: Buffer[], final: boolean): void {
    const ws = this.#windowSize;
    for (;;) {
      const start = this.#start;
      if (!this.#scanning) {
        const available = this.#end - start;
        if (available < this.#min + ws + 1) {
          if (final && available > 0) this.#emit(chunks, this.#end);
          return;
        }
        this.#pos = start + this.#min;
        this.#hash = this.#kernel.windowHash(this.#buf, this.#pos);
        this.#scanning = true;
      }
      const limit = Math.min(this.#end, start + this.#max);
      const stop = limit - ws;
      const p = this.#kernel.scan(this.#buf, this.#pos, stop, this.#hash);
      if (p < stop) {
        this.#emit(chunks, p);
      } else if (limit === start + this.#max || final) {
        // No window qualified: the chunk ends at max size or at the end of the input.
        this.#emit(chunks, limit);
      } else {
        this.#pos = p;
        this.#hash = this.#kernel.hash;
        return;
      }
    }
  }

  #emit(chunks: Buffer[], cut: number): void {
    if (this.#views) {
      chunks.push(Buffer.from(this.#buf.buffer, this.#buf.byteOffset + this.#start, cut - this.#start));
    } else {
      // Own ArrayBuffer per chunk (not pooled, not a view): chunks can be transferred to other threads.
      const chunk = Buffer.allocUnsafeSlow(cut - this.#start);
      chunk.set(this.#buf.subarray(this.#start, cut));
      chunks.push(chunk);
    }
    this.#start = cut;
    this.#scanning = false;
  }
}
