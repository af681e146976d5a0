// The per-byte work of a backup: read → chunk → id hash → known? → compress → encrypt.
//
// Runs the same in a worker thread and (with one worker or in tests) on the main thread. It only
// produces sealed objects; storing them, reference counts and the item stream stay with the main
// thread, the single writer (DESIGN.md, "Performance plan").
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { createChunker, type Chunker, type ChunkerParams } from '../../chunker/index.js';
import { Compressor, parseCompressionSpec } from '../../compress/index.js';
import { Key, type KeyMaterial, type KeyMode } from '../../crypto/index.js';
import { ObjectCodec } from '../../crypto/object-codec.js';
import type { IvSource } from '../../crypto/nonces.js';

export interface ProcessorSetup {
  keyMode: KeyMode;
  material: KeyMaterial;
  /** borg's -C spec, e.g. "lz4" or "auto,zstd,10". */
  compression: string;
  chunkerParams: ChunkerParams;
  /** Bytes per read() call. */
  readSize?: number;
}

/** A chunk of a file: `envelope` is null when the chunk was already known (not sealed again). */
export interface ProcessedChunk {
  id: Buffer;
  size: number;
  csize: number;
  envelope: Buffer | null;
}

export interface FileIdentity {
  dev: bigint;
  ino: bigint;
}

export interface ReadOutcome {
  /** Bytes read. */
  size: number;
  /** ctime (ns) after reading: differs from the walk's lstat when the file changed meanwhile. */
  ctimeAfter: bigint;
}

export class FileChangedError extends Error {
  readonly code = 'FileChanged';
}

const DEFAULT_READ_SIZE = 1 << 20;

export class ChunkProcessor {
  readonly #key: Key;
  readonly #compressor: Compressor;
  readonly #chunker: Chunker;
  readonly #readBuffer: Buffer;
  readonly #isKnown: (id: Buffer) => boolean;
  /** Ids of all-zero chunks by length: runs of zeros (VM images, sparse files) are hashed once. */
  readonly #zeroIds = new Map<number, Buffer>();
  #zeros = Buffer.alloc(0);

  constructor(setup: ProcessorSetup, isKnown: (id: Buffer) => boolean) {
    this.#key = Key.fromMaterial(setup.keyMode, setup.material);
    this.#compressor = new Compressor(parseCompressionSpec(setup.compression));
    this.#chunker = createChunker(setup.chunkerParams, this.#key.chunkSeed);
    this.#readBuffer = Buffer.allocUnsafe(setup.readSize ?? DEFAULT_READ_SIZE);
    this.#isKnown = isKnown;
  }

  #idOf(data: Buffer): Buffer {
    if (data.length > this.#zeros.length) this.#zeros = Buffer.alloc(Math.max(data.length, 1 << 20));
    if (this.#zeros.subarray(0, data.length).equals(data)) {
      let id = this.#zeroIds.get(data.length);
      if (!id) this.#zeroIds.set(data.length, (id = this.#key.idHash(data)));
      return id;
    }
    return this.#key.idHash(data);
  }

  /** Seals the chunks the repository does not have yet. */
  #seal(chunks: Buffer[], ivs: IvSource): ProcessedChunk[] {
    const codec = new ObjectCodec(this.#key, this.#compressor, ivs);
    return chunks.map((data) => {
      const id = this.#idOf(data);
      if (this.#isKnown(id)) return { id, size: data.length, csize: 0, envelope: null };
      const packed = codec.packWithId(id, data);
      return { id, size: data.length, csize: packed.csize, envelope: packed.envelope };
    });
  }

  /**
   * Reads the file at `path` to its end, yielding its chunks in order, batch by batch (a batch per
   * read). `identity` (from the walk's lstat) guards against the path having been replaced
   * meanwhile. The generator's return value tells the size read and the ctime after reading.
   * Workers drain it synchronously; the inline (single-threaded) pipeline awaits its stores between
   * batches, so memory stays bounded for files of any size.
   */
  *fileChunks(path: string | Buffer, identity: FileIdentity | null, ivs: IvSource, noatime = false): Generator<ProcessedChunk[], ReadOutcome> {
    const flags = constants.O_RDONLY | constants.O_NOFOLLOW | (noatime ? constants.O_NOATIME : 0);
    let fd: number;
    try {
      fd = openSync(path, flags);
    } catch (e) {
      // O_NOATIME is refused for files we do not own: borg then opens without it.
      if (noatime && (e as NodeJS.ErrnoException).code === 'EPERM') fd = openSync(path, flags & ~constants.O_NOATIME);
      else throw e;
    }
    try {
      if (identity) {
        const st = fstatSync(fd, { bigint: true });
        if (st.dev !== identity.dev || st.ino !== identity.ino) throw new FileChangedError('file was replaced while being backed up');
      }
      let size = 0;
      try {
        for (;;) {
          const n = readSync(fd, this.#readBuffer, 0, this.#readBuffer.length, null);
          if (n === 0) break;
          size += n;
          const chunks = this.#chunker.update(this.#readBuffer.subarray(0, n));
          if (chunks.length) yield this.#seal(chunks, ivs);
        }
        const rest = this.#chunker.final();
        if (rest.length) yield this.#seal(rest, ivs);
      } catch (e) {
        this.#chunker.final(); // reset for the next file
        throw e;
      }
      return { size, ctimeAfter: fstatSync(fd, { bigint: true }).ctimeNs };
    } finally {
      closeSync(fd);
    }
  }

  /** Chunks in-memory data that arrives in pieces (stdin, --content-from-command). */
  processPiece(piece: Uint8Array | null, ivs: IvSource): ProcessedChunk[] {
    const chunks = piece === null ? this.#chunker.final() : this.#chunker.update(piece);
    return this.#seal(chunks, ivs);
  }
}

/**
 * An upper bound of the AES blocks sealing a file of `size` bytes can use. Deciding compressors
 * (lz4, zstd, auto) add at most their 2-byte header; zlib and lzma always keep their output, which
 * for incompressible data is a little larger than the input (zlib: 5 bytes per 16 KiB block; xz: a
 * container of under 64 bytes plus a small fraction); obfuscation may pad each chunk up to the
 * largest object. The bound only has to be safe: unused counter values are simply never used.
 */
export function ivBlocksBound(size: number, params: ChunkerParams, compression: string): number {
  const minChunk = params.algorithm === 'fixed' ? Math.min(params.blockSize, params.headerSize || params.blockSize) : 2 ** params.minExp;
  const maxChunks = Math.floor(size / minChunk) + 2;
  if (compression.startsWith('obfuscate')) return maxChunks * Key.blocksFor(20971479);
  return Key.blocksFor(size + Math.ceil(size / 64)) + maxChunks * 64;
}
