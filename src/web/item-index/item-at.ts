// Reads one full item back from where the index says it starts in the item stream: the chunk it
// starts in (and the next ones, if it spans a boundary), unpacked from its byte offset. Recently
// read item-stream chunks are kept, since neighbouring items are usually asked for together.
import { Unpacker } from '../../format/msgpack.js';
import { BorgError } from '../../errors.js';
import type { ArchiveSource } from '../../archive/archive-reader.js';
import type { LoadedArchiveMeta } from '../../archive/archive-meta.js';
import { itemFromMsg, type Item } from '../../archive/item.js';

const ITEM_LIMITS = { maxDepth: 8, maxStrLen: 64 * 1024 * 1024 };
const KEEP_CHUNKS = 16;

export class ItemReader {
  /** Chunk id (hex) -> plaintext, least recently used first. */
  #chunks = new Map<string, Buffer>();

  async #chunk(source: ArchiveSource, id: Buffer): Promise<Buffer> {
    const hex = id.toString('hex');
    let plain = this.#chunks.get(hex);
    if (plain !== undefined) {
      this.#chunks.delete(hex);
    } else {
      plain = source.codec.unpack(id, await source.repository.get(id));
      if (this.#chunks.size >= KEEP_CHUNKS) this.#chunks.delete(this.#chunks.keys().next().value!);
    }
    this.#chunks.set(hex, plain);
    return plain;
  }

  /** The item starting at byte `offset` of item-stream chunk `chunk`. */
  async read(source: ArchiveSource, archive: LoadedArchiveMeta, chunk: number, offset: number): Promise<Item> {
    const ids = archive.meta.items;
    const unpacker = new Unpacker(ITEM_LIMITS);
    for (let c = chunk; c < ids.length; c++) {
      const plain = await this.#chunk(source, ids[c]!);
      unpacker.feed(c === chunk ? plain.subarray(offset) : plain);
      const value = unpacker.next();
      if (value !== undefined) return itemFromMsg(value);
    }
    throw new BorgError(`Archive ${archive.meta.name}: no item at chunk ${chunk}, offset ${offset} of its item stream`, { code: 'IntegrityError' });
  }
}
