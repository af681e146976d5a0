// File contents for the mount: decrypted chunks in a small LRU cache shared by all open files,
// fetched ahead of sequential readers, and zero chunks answered without reading the repository.
// A chunk that stores a run of zeros compresses to almost nothing; when a chunk's stored size
// says so and its id is the id of that many zeros, it is a hole. Chunks that cannot be read are
// EIO, or zeros with allow_damaged_files.
import type { Key } from '../crypto/index.js';
import type { ObjectCodec } from '../crypto/object-codec.js';
import type { ChunkRef } from '../archive/item.js';
import type { Repository } from '../repository/repository.js';
import { ERRNO, FuseError } from './fuse/operations.js';

export interface ChunkSource {
  repository: Repository;
  codec: ObjectCodec;
  key: Key;
}

export interface ChunkCacheOptions {
  /** Decrypted chunks kept (borg's BORG_MOUNT_DATA_CACHE_ENTRIES). */
  capacity: number;
  /** Read an unreadable chunk as zeros instead of failing with EIO. */
  allowDamaged: boolean;
  onWarning: (message: string) => void;
}

/** Stored at least this many times smaller than its plaintext: worth checking for all zeros. */
const ZERO_RATIO = 64;

export class ChunkCache {
  readonly #entries = new Map<string, Promise<Buffer>>();
  readonly #zeroIds = new Map<number, string>();
  #zeros = Buffer.alloc(0);

  constructor(private readonly source: ChunkSource, private readonly options: ChunkCacheOptions) {}

  /** Whether the chunk is known to hold only zeros (without reading it). */
  isZero(ref: ChunkRef): boolean {
    if (ref.size === 0 || ref.csize * ZERO_RATIO > ref.size) return false;
    let id = this.#zeroIds.get(ref.size);
    if (id === undefined) {
      id = this.source.key.idHash(this.#zeroBytes(ref.size)).toString('latin1');
      this.#zeroIds.set(ref.size, id);
    }
    return ref.id.toString('latin1') === id;
  }

  /** The plaintext of a chunk. */
  get(ref: ChunkRef): Promise<Buffer> {
    if (this.isZero(ref)) return Promise.resolve(this.#zeroBytes(ref.size).subarray(0, ref.size));
    const key = ref.id.toString('latin1');
    let pending = this.#entries.get(key);
    if (pending !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, pending);
      return pending;
    }
    pending = this.#fetch(ref);
    this.#entries.set(key, pending);
    pending.catch(() => this.#entries.delete(key));
    while (this.#entries.size > this.options.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    return pending;
  }

  /** Starts fetching chunks a reader will want next (errors surface when they are read). */
  prefetch(refs: readonly ChunkRef[]): void {
    for (const ref of refs) {
      if (this.#entries.has(ref.id.toString('latin1'))) continue;
      this.get(ref).catch(() => {});
    }
  }

  async #fetch(ref: ChunkRef): Promise<Buffer> {
    try {
      const data = this.source.codec.unpack(ref.id, await this.source.repository.get(ref.id));
      if (data.length !== ref.size) throw new Error(`chunk ${ref.id.toString('hex')} has ${data.length} bytes, the item says ${ref.size}`);
      return data;
    } catch (e) {
      const message = `Cannot read chunk ${ref.id.toString('hex')}: ${e instanceof Error ? e.message : String(e)}`;
      if (!this.options.allowDamaged) {
        this.options.onWarning(message);
        throw new FuseError(ERRNO.EIO, message);
      }
      this.options.onWarning(`${message}; reading zeros (allow_damaged_files)`);
      return Buffer.alloc(ref.size);
    }
  }

  #zeroBytes(size: number): Buffer {
    if (this.#zeros.length < size) this.#zeros = Buffer.alloc(size);
    return this.#zeros.subarray(0, size);
  }
}
