// The chunker layer: turns a byte stream into chunks exactly where borg would cut it (spec §4).
//
// Chunkers are streaming: feed blocks of any size with `update`, then call `final` once. Every chunk
// returned is a fresh Buffer with its own, exactly sized ArrayBuffer (never a view of the input, of
// another chunk or of a pool), so it can be kept, modified or transferred to another thread freely.
// After `final` a chunker is reset and can be reused for the next input (it keeps its buffer).

import type { ChunkerParams } from './chunker-params.js';
import { BuzhashChunker, type BuzhashKernelFactory } from './buzhash-chunker.js';
import { FixedChunker } from './fixed.js';

export interface Chunker {
  /** Feeds the next bytes; returns the chunks they completed, in order (often none). */
  update(block: Uint8Array): Buffer[];
  /** Ends the input; returns the remaining chunks (none for empty input). */
  final(): Buffer[];
}

export interface CreateChunkerOptions {
  /** Replaces the TypeScript buzhash kernel (e.g. with a WebAssembly one). */
  buzhashKernel?: BuzhashKernelFactory;
}

/**
 * Creates a chunker for `params`. `seed` is the key's chunk seed (signed or unsigned 32-bit; 0 for
 * unencrypted repositories); the fixed chunker ignores it.
 */
export function createChunker(params: ChunkerParams, seed: number, options: CreateChunkerOptions = {}): Chunker {
  if (params.algorithm === 'fixed') return new FixedChunker(params);
  return new BuzhashChunker(params, seed, options.buzhashKernel);
}

/** Chunks a whole in-memory buffer (convenience for small inputs such as metadata streams). */
export function chunkBuffer(params: ChunkerParams, seed: number, data: Uint8Array): Buffer[] {
  const chunker = createChunker(params, seed);
  return [...chunker.update(data), ...chunker.final()];
}

export {
  type ArchiveChunkerParams, type BuzhashParams, type ChunkerParams, type FixedParams,
  DEFAULT_CHUNKER_PARAMS, ITEMS_CHUNKER_PARAMS, MAX_DATA_SIZE,
  chunkerParamsFromArchive, chunkerParamsToArchive, describeChunkerParams, parseChunkerParams,
  validateChunkerParams,
} from './chunker-params.js';
export { type BuzhashKernel, type BuzhashKernelOptions, TsBuzhashKernel, buzhash, buzhashUpdate, seedToUint32 } from './buzhash.js';
export { BuzhashChunker, type BuzhashKernelFactory } from './buzhash-chunker.js';
export { FixedChunker } from './fixed.js';
export { InvalidChunkerParams, MalformedChunkerParams } from './errors.js';
