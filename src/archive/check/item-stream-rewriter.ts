// Writing an archive's checked items back as an item stream: packed with sorted keys, cut with the
// items chunker and the key's seed (as borg's ChunkBuffer does), so an archive whose items did not
// change gets exactly its old item-stream chunks and only their references are counted.
import { createChunker, ITEMS_CHUNKER_PARAMS, type Chunker } from '../../chunker/index.js';
import { encodeAll, type MsgMap } from '../../format/msgpack.js';
import type { CheckContext } from './check-context.js';

/** Items collected before they are packed (into one buffer) and fed to the chunker: one call per tiny item would be slow. */
const BATCH_ITEMS = 512;

export class ItemStreamRewriter {
  readonly #chunker: Chunker;
  readonly #ids: Buffer[] = [];
  #pending: MsgMap[] = [];

  constructor(private readonly ctx: CheckContext) {
    this.#chunker = createChunker(ITEMS_CHUNKER_PARAMS, ctx.key.chunkSeed);
  }

  /** Takes an item; only every BATCH_ITEMS-th call returns a promise (the others need no await). */
  add(item: MsgMap): Promise<void> | undefined {
    this.#pending.push(item);
    return this.#pending.length >= BATCH_ITEMS ? this.#flush(false) : undefined;
  }

  async #flush(final: boolean): Promise<void> {
    const data = encodeAll(this.#pending, { sortKeys: true });
    this.#pending = [];
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
