// Where the full items of an archive tree are: a tree keeps only what listing needs in its
// columns and remembers, per entry, the metadata chunk and offset its item starts at. Reading an
// item (for its chunk list, xattrs or symlink target) fetches that chunk again, through a small
// cache, as borg's mount does. Items that span two metadata chunks (about one per chunk) are kept
// whole, as bytes, in a heap of their own. The chunks come from an item source the caller
// provides, so that a tree loaded from its cache file needs no open repository until an item is
// read (the web opens one on demand, the mount passes its session).
import type { ObjectCodec } from '../../crypto/object-codec.js';
import { decodeAt, type MsgValue } from '../../format/msgpack.js';
import type { Repository } from '../../repository/repository.js';

/** Item maps are small; the bounds of item-stream.ts. */
const ITEM_LIMITS = { maxDepth: 8, maxStrLen: 64 * 1024 * 1024 };
/** Decrypted metadata chunks kept (each ~128 KiB with borg's items chunker). */
const CACHED_CHUNKS = 16;

export interface ItemLocation {
  chunk: number;
  offset: number;
  spanning: boolean;
}

/** Where a tree reads the plaintext of its archives' metadata (item stream) chunks. */
export interface ItemSource {
  metadataChunk(id: Buffer): Promise<Buffer>;
}

/** The item source of an open repository. */
export function repositoryItemSource(source: { repository: Repository; codec: ObjectCodec }): ItemSource {
  return { metadataChunk: async (id) => source.codec.unpack(id, await source.repository.get(id)) };
}

export class ItemStore {
  /** Ids of the metadata chunks of every archive in the tree, numbered in the order added. */
  readonly chunkIds: Buffer[];
  #spanning: Buffer;
  #spanningUsed: number;
  readonly #cache = new Map<number, Promise<Buffer>>();

  /** A new store, or (with `chunkIds` and `spanning`) one loaded from a tree file. */
  constructor(private readonly source: ItemSource, chunkIds: Buffer[] = [], spanning: Buffer = Buffer.allocUnsafe(0)) {
    this.chunkIds = chunkIds;
    this.#spanning = spanning;
    this.#spanningUsed = spanning.length;
  }

  /** The bytes of the spanning items (after `finish`). */
  get spanning(): Buffer {
    return this.#spanning.subarray(0, this.#spanningUsed);
  }

  addChunk(id: Buffer): number {
    this.chunkIds.push(id);
    return this.chunkIds.length - 1;
  }

  /** Keeps the bytes of an item that spans chunks; returns their offset in the spanning heap. */
  addSpanning(bytes: Uint8Array): number {
    const end = this.#spanningUsed + bytes.length;
    if (end > 0xffffffff) throw new RangeError('archive tree spanning items exceed 4 GiB');
    if (end > this.#spanning.length) {
      const bigger = Buffer.allocUnsafe(Math.max(end, this.#spanning.length * 2, 4096));
      this.#spanning.copy(bigger, 0, 0, this.#spanningUsed);
      this.#spanning = bigger;
    }
    this.#spanning.set(bytes, this.#spanningUsed);
    const offset = this.#spanningUsed;
    this.#spanningUsed = end;
    return offset;
  }

  /** The raw item map at `location`. */
  async load(location: ItemLocation): Promise<MsgValue> {
    if (location.spanning) return decodeAt(this.#spanning, location.offset, ITEM_LIMITS).value;
    const plaintext = await this.#chunk(location.chunk);
    return decodeAt(plaintext, location.offset, ITEM_LIMITS).value;
  }

  /** A decrypted metadata chunk, shared by concurrent callers, least recently used evicted. */
  #chunk(index: number): Promise<Buffer> {
    let pending = this.#cache.get(index);
    if (pending !== undefined) {
      this.#cache.delete(index);
      this.#cache.set(index, pending);
      return pending;
    }
    const id = this.chunkIds[index]!;
    pending = this.source.metadataChunk(id);
    pending.catch(() => this.#cache.delete(index));
    this.#cache.set(index, pending);
    if (this.#cache.size > CACHED_CHUNKS) this.#cache.delete(this.#cache.keys().next().value!);
    return pending;
  }

  /** Drops the spare capacity of the spanning heap once the tree is built. */
  finish(): void {
    if (this.#spanning.length !== this.#spanningUsed) this.#spanning = Buffer.from(this.#spanning.subarray(0, this.#spanningUsed));
  }
}
