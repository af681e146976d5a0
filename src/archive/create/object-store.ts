// How `create` puts objects into the repository: through the cache, which deduplicates and counts
// references, with statistics kept in the object the caller names (see create-stats.ts).
//
// File chunks arrive sealed (compressed and encrypted by a ChunkProcessor, possibly in a worker);
// a chunk a worker did not seal because the chunk index knew it is only referenced. Every chunk is
// checked against the index again here: two workers may seal the same new chunk, and the main
// thread stores it once.
import type { Statistics } from '../../cache/cache-stats.js';
import type { ChunkCache } from '../../cache/cache-types.js';
import type { ObjectCodec } from '../../crypto/object-codec.js';
import type { ChunkRef } from '../item.js';
import type { RepositorySession } from '../repository-session.js';
import type { ProcessedChunk } from './chunk-processor.js';

export class ObjectStore {
  readonly #writer: ObjectCodec;

  constructor(private readonly session: RepositorySession, private readonly cache: ChunkCache, compression: string) {
    this.#writer = session.writer(compression);
  }

  /**
   * Stores plain data (item-stream chunks, archive metadata, recovered chunks) unless known. `id`,
   * when the caller has already computed it, saves hashing the data again.
   */
  async storeData(data: Buffer, stats: Statistics, id: Buffer = this.session.key.idHash(data)): Promise<ChunkRef> {
    if (this.cache.seenChunk(id, data.length)) return this.cache.chunkIncref(id, stats);
    // Reserve IVs for the largest object first; nothing else can take them before packWithId.
    await this.session.prepareWrite();
    const packed = this.#writer.packWithId(id, data);
    return this.cache.addChunk(id, packed.envelope, data.length, stats);
  }

  /**
   * Stores (or references) a chunk from a ChunkProcessor. Returns null for a chunk that was
   * reported known but is no longer in the index (only after a failed file gave its chunks back):
   * the caller must supply its data again.
   */
  async storeSealed(chunk: ProcessedChunk, stats: Statistics): Promise<ChunkRef | null> {
    if (chunk.envelope !== null) return this.cache.addChunk(chunk.id, chunk.envelope, chunk.size, stats);
    if (!this.cache.seenChunk(chunk.id, chunk.size)) return null;
    return this.cache.chunkIncref(chunk.id, stats);
  }

  /** References a chunk known to the index (a files-cache hit). */
  reference(id: Buffer, stats: Statistics, part = false): ChunkRef {
    return this.cache.chunkIncref(id, stats, undefined, part);
  }

  /** Gives a reference back; the object is deleted with its last reference. */
  async release(id: Buffer, stats: Statistics): Promise<void> {
    await this.cache.chunkDecref(id, stats);
  }
}
