// Reference counting on the chunk index for writers, with borg's rules: a chunk is stored once and
// referenced many times; the reference that brings its count to 0 deletes the object from the
// repository. Statistics count every reference; "unique" sizes only objects stored or freed.
// The ad-hoc cache (no sync) knows existing chunks only by id: their refcount is MAX_VALUE (never
// deleted) and their size 0 until a writer tells it.
import { toHex } from '../format/bytes.js';
import type { ChunkIndex } from '../format/hashindex.js';
import type { Repository } from '../repository/repository.js';
import { ChunkNotInCache, ChunkSizeMismatch } from './cache-errors.js';
import type { Statistics } from './cache-stats.js';
import type { ChunkListEntry } from './cache-types.js';

export class ChunkRefcounts {
  constructor(readonly chunks: ChunkIndex, private readonly repository: Repository, private readonly adhoc = false) {}

  /** Refcount of `id` (0 if unknown). A known id with another size is an error (ad-hoc: learns the size). */
  seen(id: Uint8Array, size?: number): number {
    const entry = this.chunks.get(id);
    if (entry === undefined) return 0;
    if (this.adhoc) {
      if (entry.refcount && size && !entry.size) this.chunks.set(id, entry.refcount, size, entry.csize);
    } else if (size !== undefined && size !== entry.size) {
      throw new ChunkSizeMismatch(toHex(id), entry.size, size);
    }
    return entry.refcount;
  }

  /**
   * Stores `envelope` under `id` unless the chunk is known (then only a reference is added). The
   * index learns the chunk before the put is awaited, so a second add of the same id meanwhile
   * becomes a reference too.
   */
  async add(id: Buffer, envelope: Uint8Array, size: number, stats: Statistics, overwrite: boolean): Promise<ChunkListEntry> {
    const refcount = this.seen(id, size);
    if (refcount && !overwrite) return this.incref(id, stats, false, size);
    const csize = envelope.byteLength;
    this.chunks.add(id, 1, size, csize);
    stats.update(size, csize, !refcount);
    await this.repository.put(id, envelope);
    return { id, size, csize };
  }

  incref(id: Buffer, stats: Statistics, part: boolean, size?: number): ChunkListEntry {
    const entry = this.chunks.get(id);
    if (entry === undefined) throw new ChunkNotInCache(toHex(id));
    this.chunks.incref(id);
    // Ad-hoc entries of chunks this run did not see have size 0: the caller's size stands in.
    const chunkSize = this.adhoc ? entry.size || (size ?? 0) : entry.size;
    if (this.adhoc && !chunkSize) throw new RangeError(`Cannot reference chunk ${toHex(id)}: its size is unknown`);
    stats.update(chunkSize, entry.csize, false, part);
    return { id, size: chunkSize, csize: entry.csize };
  }

  /** Drops a reference; true if it was the last one and the object was deleted. */
  async decref(id: Buffer, stats: Statistics, part: boolean): Promise<boolean> {
    const entry = this.chunks.get(id);
    if (entry === undefined) throw new ChunkNotInCache(toHex(id));
    const refcount = this.chunks.decref(id);
    if (refcount === 0) {
      this.chunks.delete(id);
      stats.update(-entry.size, -entry.csize, true, part);
      // Like borg, many decrefs in a row need not wait for each answer from a remote repository.
      await this.repository.delete(id, { wait: false });
      return true;
    }
    stats.update(-entry.size, -entry.csize, false, part);
    return false;
  }
}
