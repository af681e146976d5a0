// Storing a file's content again during recreate, when its chunks change (--recompress,
// --chunker-params): the old chunks are fetched and opened; with re-chunking their plaintext is
// cut again by a chunker with the new params, otherwise each chunk keeps its id.
//
// Recompression stores a new object under the SAME id (the id is the hash of the plaintext, which
// does not change), replacing the old object: the cache's overwrite puts it and counts one more
// reference. `if-different` only does so when the codec the new -C spec picks for the data
// differs from the stored one (levels are not compared, as in borg); `always` does it for every
// chunk. A chunk is rewritten at most once per run: later references only count.
import type { Statistics } from '../../cache/cache-stats.js';
import type { ChunkCache } from '../../cache/cache-types.js';
import type { Chunker } from '../../chunker/index.js';
import { Compressor, decompress, detectCompression, parseCompressionSpec } from '../../compress/index.js';
import { Key } from '../../crypto/index.js';
import { IntegrityError } from '../../errors.js';
import type { ChunkRef } from '../item.js';
import type { RepositorySession } from '../repository-session.js';

export type RecompressMode = 'never' | 'if-different' | 'always';

/** Called with every new chunk reference of the file, in order; false stops the file (interrupted). */
export type ChunkSink = (ref: ChunkRef) => Promise<boolean>;

interface OldChunk {
  id: Buffer;
  data: Buffer;
  /** The stored payload (compressed, with its codec header). */
  payload: Buffer;
}

export class ChunkRewriter {
  readonly #compressor: Compressor;
  /** Ids (hex) stored or referenced by this run: they are only referenced again. */
  readonly #seen = new Set<string>();

  constructor(
    private readonly session: RepositorySession,
    private readonly cache: ChunkCache,
    compression: string,
    private readonly mode: RecompressMode,
  ) {
    this.#compressor = new Compressor(parseCompressionSpec(compression));
  }

  /**
   * Stores the content of the chunks `old` again and hands each new reference to `sink`, re-cut
   * by `chunker` when given. Returns false when `sink` stopped it.
   */
  async rewrite(old: readonly ChunkRef[], chunker: Chunker | null, stats: Statistics, sink: ChunkSink): Promise<boolean> {
    const ids = old.map((c) => c.id);
    if (chunker === null) {
      for await (const chunk of this.#fetch(ids)) {
        if (!(await sink(await this.#store(chunk.data, chunk.id, stats, chunk.payload)))) return false;
      }
      return true;
    }
    try {
      for await (const chunk of this.#fetch(ids)) {
        for (const piece of chunker.update(chunk.data)) {
          if (!(await sink(await this.#store(piece, this.session.key.idHash(piece), stats, null)))) return false;
        }
      }
      for (const piece of chunker.final()) {
        if (!(await sink(await this.#store(piece, this.session.key.idHash(piece), stats, null)))) return false;
      }
      return true;
    } finally {
      // A stopped or failed file must not leave its tail in the chunker for the next file.
      chunker.final();
    }
  }

  /** The old chunks, opened and checked against their ids (the repository pipelines the reads). */
  async *#fetch(ids: readonly Buffer[]): AsyncIterable<OldChunk> {
    const { repository, key } = this.session;
    let index = 0;
    for await (const envelope of repository.getMany(ids)) {
      const id = ids[index++]!;
      const payload = key.open(envelope, id);
      const data = decompress(payload);
      if (!key.idHash(data).equals(id)) {
        throw new IntegrityError(`Cannot verify chunk ${id.toString('hex')}: its data does not match its id`, { args: [id.toString('hex')] });
      }
      yield { id, data, payload };
    }
  }

  /** Stores or references one chunk; `oldPayload` is its stored payload when already at hand. */
  async #store(data: Buffer, id: Buffer, stats: Statistics, oldPayload: Buffer | null): Promise<ChunkRef> {
    const hex = id.toString('hex');
    if (this.#seen.has(hex)) return this.cache.chunkIncref(id, stats);
    let overwrite = this.mode !== 'never';
    let payload: Buffer | null = null;
    if (this.mode === 'if-different' && this.cache.seenChunk(id) > 0) {
      const stored = oldPayload ?? this.session.key.open(await this.session.repository.get(id), id);
      payload = this.#compressor.compress(data);
      if (detectCompression(stored) === detectCompression(payload)) overwrite = false;
    }
    let ref: ChunkRef;
    if (!overwrite && this.cache.seenChunk(id, data.length) > 0) {
      ref = this.cache.chunkIncref(id, stats);
    } else {
      payload ??= this.#compressor.compress(data);
      ref = await this.cache.addChunk(id, await this.#seal(payload), data.length, stats, { overwrite });
    }
    this.#seen.add(hex);
    return ref;
  }

  /** Encrypts a payload with the next IVs of the session (reserved before they are taken). */
  async #seal(payload: Buffer): Promise<Buffer> {
    const key = this.session.key;
    if (!key.encrypted) return key.seal(payload, 0n);
    const blocks = Key.blocksFor(payload.length);
    await this.session.prepareWrite(blocks);
    return key.seal(payload, this.session.ivSupply().take(blocks));
  }
}
