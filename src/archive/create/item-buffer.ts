// The item stream of the archive being created, buffered and cut the way borg's CacheChunkBuffer
// does it: items are packed into a buffer; once it holds more than 8 MiB, the buffer is chunked
// with the items chunker and every chunk but the last (which stays buffered) is stored; a
// checkpoint or the final save stores everything.
//
// Cutting a buffer that starts at a previous cut gives the same chunks as cutting the whole stream
// at once, so any buffering yields the same chunk ids. The buffering exists for the statistics:
// borg counts item-stream chunks in the archive statistics object that is current when they are
// stored, and its final save counts them in one that is thrown away (see create-stats.ts). To
// report the same sizes as borg, chunks are stored at the same moments as borg stores them.
import { createChunker, ITEMS_CHUNKER_PARAMS, type Chunker } from '../../chunker/index.js';
import { Encoder } from '../../format/msgpack.js';
import type { Statistics } from '../../cache/cache-stats.js';
import type { ChunkRef, Item } from '../item.js';
import { packItem } from '../item-pack.js';

/** Stores one chunk of data in the repository, counted in `stats`. */
export type StoreChunk = (data: Buffer, stats: Statistics) => Promise<ChunkRef>;

const BUFFER_SIZE = 8 * 1024 * 1024;

/** Room for a full buffer and the item that overfills it, mostly without growing. */
function newEncoder(): Encoder {
  return new Encoder(true, BUFFER_SIZE + 64 * 1024);
}

export class ItemBuffer {
  readonly #chunker: Chunker;
  readonly #refs: ChunkRef[] = [];
  /** The items packed since the last cut (a fresh encoder after each: chunks are views into it). */
  #pending = newEncoder();
  /** Bytes given to the chunker that it has not returned as chunks yet (borg's carried-over piece). */
  #held = 0;

  constructor(private readonly store: StoreChunk, chunkSeed: number) {
    this.#chunker = createChunker(ITEMS_CHUNKER_PARAMS, chunkSeed);
  }

  /** The item-stream chunks stored so far (the archive's `items`). */
  get chunks(): readonly ChunkRef[] {
    return this.#refs;
  }

  /** Appends an item; when the buffer is full, stores its complete chunks counted in `stats`. */
  async add(item: Item, stats: Statistics): Promise<void> {
    const start = this.#pending.pos;
    try {
      packItem(this.#pending, item);
    } catch (e) {
      this.#pending.pos = start; // nothing of an item that cannot be packed
      throw e;
    }
    if (this.#held + this.#pending.pos > BUFFER_SIZE) await this.#cut(false, stats);
  }

  /** Stores the whole buffer (the last chunk too), counted in `stats` (borg's flush(flush=True)). */
  async flush(stats: Statistics): Promise<void> {
    await this.#cut(true, stats);
  }

  async #cut(final: boolean, stats: Statistics): Promise<void> {
    const data = this.#pending.result();
    this.#pending = newEncoder();
    const chunks = data.length ? this.#chunker.update(data) : [];
    if (final) chunks.push(...this.#chunker.final());
    this.#held += data.length;
    for (const chunk of chunks) {
      this.#held -= chunk.length;
      this.#refs.push(await this.store(chunk, stats));
    }
  }
}
