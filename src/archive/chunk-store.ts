// Where writers put objects: deduplicated through the chunk index, counted for statistics.
// LocalCache (cache/) is the real implementation; SimpleChunkStore serves tools and tests that
// write to a repository without a client cache.
import type { ObjectCodec } from '../crypto/object-codec.js';
import type { Repository } from '../repository/repository.js';
import type { ChunkRef } from './item.js';

export interface ChunkStore {
  /**
   * Stores `data` as an object unless an object with its id exists, and counts one more reference
   * to it either way. The caller has reserved IVs (RepositorySession.prepareWrite) beforehand.
   */
  storeChunk(data: Buffer): Promise<ChunkRef>;
}

/** A ChunkStore without a persistent cache: remembers what it stored in this session only. */
export class SimpleChunkStore implements ChunkStore {
  readonly #stored = new Map<string, ChunkRef>();

  constructor(private readonly repository: Repository, private readonly codec: ObjectCodec, private readonly beforeWrite: () => Promise<void> = async () => {}) {}

  async storeChunk(data: Buffer): Promise<ChunkRef> {
    const id = this.codec.key.idHash(data);
    const known = this.#stored.get(id.toString('hex'));
    if (known) return known;
    await this.beforeWrite();
    const packed = this.codec.packWithId(id, data);
    await this.repository.put(id, packed.envelope);
    const ref = { id, size: packed.size, csize: packed.csize };
    this.#stored.set(id.toString('hex'), ref);
    return ref;
  }
}
