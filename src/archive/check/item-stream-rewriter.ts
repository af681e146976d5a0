// Writing an archive's checked items back as an item stream: packed with sorted keys, cut with the
// items chunker and the key's seed (as borg's ChunkBuffer does), so an archive whose items did not
// change gets exactly its old item-stream chunks and only their references are counted.
import { createChunker, ITEMS_CHUNKER_PARAMS, type Chunker } from '../../chunker/index.js';
import { encode, type MsgMap } from '../../format/msgpack.js';
import type { CheckContext } from './check-context.js';

/** Bytes collected before the chunker is fed: one call per tiny item would be slow. */
const BATCH_BYTES = 1 << 16;

export class ItemStreamRewriter {
  readonly #chunker: Chunker;
  readonly #ids: Buffer[] = [];
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(private readonly ctx: CheckContext) {
    this.#chunker = createChunker(ITEMS_CHUNKER_PARAMS, ctx.key.chunkSeed);
  }

  async add(item: MsgMap): Promise<void> {
    const packed = encode(item, { sortKeys: true });
    this.#pending.push(packed);
    this.#pendingBytes += packed.length;
    if (this.#pendingBytes >= BATCH_BYTES) await this.#flush(false);
  }

  async #flush(final: boolean): Promise<void> {
    const data = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    const chunks = data.length > 0 ? this.#chunker.update(data) : [];
    if (final) chunks.push(...this.#chunker.final());
    for (const chunk of chunks) this.#ids.push(await this.ctx.storeData(Buffer.from(chunk)));
  }

  /** Stores the rest; returns the ids of the whole stream (the archive's new `items`). */
  async finish(): Promise<Buffer[]> {
    await this.#flush(true);
    return this.#ids;
  }
}
