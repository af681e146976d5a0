// Writing an archive's item stream (spec §5.4): items packed with sorted keys, back to back, cut
// with the items chunker (buzhash 15,19,17,4095 and the key's seed) and stored as objects. Cutting
// a continuous stream gives the same chunks as borg's buffered writer, so metadata chunks of
// unchanged trees deduplicate between borg and borg-ts.
import { createChunker, ITEMS_CHUNKER_PARAMS, type Chunker } from '../chunker/index.js';
import { encode } from '../format/msgpack.js';
import type { ChunkStore } from './chunk-store.js';
import { itemToMsg, type ChunkRef, type Item } from './item.js';

export class ItemStreamWriter {
  readonly #chunker: Chunker;
  readonly #refs: ChunkRef[] = [];
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(private readonly store: ChunkStore, chunkSeed: number) {
    this.#chunker = createChunker(ITEMS_CHUNKER_PARAMS, chunkSeed);
  }

  /** Chunk references of the stream so far (the archive's `items`, with sizes for statistics). */
  get chunks(): readonly ChunkRef[] {
    return this.#refs;
  }

  async add(item: Item): Promise<void> {
    const packed = encode(itemToMsg(item), { sortKeys: true });
    this.#pending.push(packed);
    this.#pendingBytes += packed.length;
    // Feed the chunker in batches: one call per item would be slow for tiny items.
    if (this.#pendingBytes >= 1 << 16) await this.#flush(false);
  }

  async #flush(final: boolean): Promise<void> {
    const data = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    const chunks = data.length ? this.#chunker.update(data) : [];
    if (final) chunks.push(...this.#chunker.final());
    for (const chunk of chunks) this.#refs.push(await this.store.storeChunk(chunk));
  }

  /** Stores the rest of the stream; returns the chunk references of the whole stream. */
  async finish(): Promise<ChunkRef[]> {
    await this.#flush(true);
    return [...this.#refs];
  }
}
