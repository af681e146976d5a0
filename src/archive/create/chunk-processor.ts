// The per-byte work of a backup: read → chunk → id hash → known? → compress → encrypt.
//
// Runs the same in a worker thread and (with one worker or in tests) on the main thread. It only
// produces sealed objects; storing them, reference counts and the item stream stay with the main
// thread, the single writer (DESIGN.md, "Performance plan").
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { seekData, seekHole } from '../../platform/native.js';
import { dropPageCache } from '../../platform/page-cache.js';
import { BuzhashChunker, createChunker, type Chunker, type ChunkerParams } from '../../chunker/index.js';
import { Compressor, parseCompressionSpec } from '../../compress/index.js';
import { Key, type KeyMaterial, type KeyMode } from '../../crypto/index.js';
import { ObjectCodec } from '../../crypto/object-codec.js';
import { IvRangeExhausted, type IvSource } from '../../crypto/nonces.js';

export interface ProcessorSetup {
  keyMode: KeyMode;
  material: KeyMaterial;
  /** borg's -C spec, e.g. "lz4" or "auto,zstd,10". */
  compression: string;
  chunkerParams: ChunkerParams;
  /** Bytes per read() call. */
  readSize?: number;
  /** --sparse: with the fixed chunker, holes are not read (see sparseMap). */
  sparse?: boolean;
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
  /** Bytes of the chunks produced (the file size, unless `truncated`; for a range, all its chunks). */
  size: number;
  /** ctime (ns) after reading: differs from the walk's lstat when the file changed meanwhile. */
  ctimeAfter: bigint;
  /**
   * The file grew beyond what its IV range can seal while it was read: reading stopped after the
   * last chunk that fit. The file changed during the backup, so the caller reports it like one.
   */
  truncated: boolean;
  /** Reading stopped at the end of the file (always, unless a range stopped after its look-ahead). */
  eof: boolean;
}

/**
 * A part of a big file for one worker (see split-file.ts). Reading starts at `start` as if a chunk
 * had just been cut there. Chunks starting before `end` are sealed; after them, `lookahead` more
 * chunks are cut and hashed but not sealed (they let the main thread find where the next range's
 * chunks join this range's), and reading stops. `end` null: everything to the end of the file.
 */
export interface ByteRange {
  start: number;
  end: number | null;
  lookahead: number;
  /**
   * `start` is a guess, not a known cut: the first chunk is then only hashed, as it rarely belongs to
   * the file's real chain of chunks (split-file.ts has the main thread seal it when it does).
   */
  speculative: boolean;
}

export interface OpenOptions {
  /** Open with O_NOATIME where permitted (borg always tries). */
  noatime?: boolean;
  /**
   * A device or fifo read with --read-special: opened blocking (a fifo waits for its writer), and
   * with `follow` through a final symlink. Regular files are opened non-blocking, so that a path
   * replaced by a fifo since the walk cannot hang the backup (the identity check then rejects it).
   */
  special?: boolean;
  follow?: boolean;
}

export class FileChangedError extends Error {
  readonly code = 'FileChanged';
}

const DEFAULT_READ_SIZE = 1 << 20;

const PAGE = 4096;
/** The page cache of a file being read is dropped every this many bytes (and at the end). */
const DROP_EVERY = 8 << 20;

/**
 * Drops the page cache of what a read has consumed, as borg's chunker does (platform/page-cache.ts).
 * The kernel drops only whole page-cache folios (which can be megabytes), so the advice always
 * covers everything consumed since `from`.
 */
class ReadCacheDropper {
  #advisedTo: number;

  /** `from`: where dropping starts; `to`: where it must stop (a split part leaves the rest to its neighbour). */
  constructor(private readonly fd: number, private readonly from: number, private readonly to = Infinity) {
    this.#advisedTo = from;
  }

  /** Reading has reached `end`. */
  read(end: number): void {
    if (end - this.#advisedTo >= DROP_EVERY) this.#advise(end, false);
  }

  /** Reading stopped at `end` (`eof`: the end of the file). */
  finish(end: number, eof: boolean): void {
    this.#advise(end, eof && this.to === Infinity);
  }

  #advise(end: number, toEof: boolean): void {
    const start = Math.ceil(this.from / PAGE) * PAGE;
    const stop = Math.floor(Math.min(end, this.to) / PAGE) * PAGE;
    this.#advisedTo = end;
    if (toEof || stop > start) dropPageCache(this.fd, start, toEof ? 0 : stop - start);
  }
}

export class ChunkProcessor {
  readonly #key: Key;
  readonly #compressor: Compressor;
  readonly #chunker: Chunker;
  readonly #readBuffer: Buffer;
  readonly #isKnown: (id: Buffer) => boolean;
  readonly #sparseBlocks: { blockSize: number; headerSize: number } | null;
  /** Ids of all-zero chunks by length: runs of zeros (VM images, sparse files) are hashed once. */
  readonly #zeroIds = new Map<number, Buffer>();
  #zeros = Buffer.alloc(0);
  /** Largest chunk the buzhash chunker cuts (0 for the fixed chunker). */
  readonly #maxChunk: number;

  constructor(setup: ProcessorSetup, isKnown: (id: Buffer) => boolean) {
    this.#key = Key.fromMaterial(setup.keyMode, setup.material);
    this.#compressor = new Compressor(parseCompressionSpec(setup.compression));
    this.#chunker = createChunker(setup.chunkerParams, this.#key.chunkSeed);
    this.#readBuffer = Buffer.allocUnsafe(setup.readSize ?? DEFAULT_READ_SIZE);
    this.#isKnown = isKnown;
    const p = setup.chunkerParams;
    this.#maxChunk = p.algorithm === 'buzhash' ? 2 ** p.maxExp : 0;
    this.#sparseBlocks = setup.sparse && p.algorithm === 'fixed' ? { blockSize: p.blockSize, headerSize: p.headerSize } : null;
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

  /**
   * Seals the chunks the repository does not have yet. Stops at the first chunk its IV range cannot
   * seal (`exhausted`); the chunks before it are complete.
   */
  #seal(chunks: Buffer[], ivs: IvSource): { sealed: ProcessedChunk[]; exhausted: boolean } {
    const codec = new ObjectCodec(this.#key, this.#compressor, ivs);
    const sealed: ProcessedChunk[] = [];
    for (const data of chunks) {
      const id = this.#idOf(data);
      if (this.#isKnown(id)) {
        sealed.push({ id, size: data.length, csize: 0, envelope: null });
        continue;
      }
      try {
        const packed = codec.packWithId(id, data);
        sealed.push({ id, size: data.length, csize: packed.csize, envelope: packed.envelope });
      } catch (e) {
        if (e instanceof IvRangeExhausted) return { sealed, exhausted: true };
        throw e;
      }
    }
    return { sealed, exhausted: false };
  }

  /** Hashes look-ahead chunks without sealing them: they come back like known chunks. */
  #hashOnly(chunks: Buffer[]): ProcessedChunk[] {
    return chunks.map((data) => ({ id: this.#idOf(data), size: data.length, csize: 0, envelope: null }));
  }

  /**
   * Reads the file at `path` to its end (or the part `range` names), yielding its chunks in order,
   * batch by batch (a batch per read). `identity` (from the walk's lstat) guards against the path having been replaced
   * meanwhile. The generator's return value tells the size read and the ctime after reading.
   * Workers drain it synchronously; the inline (single-threaded) pipeline awaits its stores between
   * batches, so memory stays bounded for files of any size. A file that outgrows its IV range
   * (it grew while being read) ends early with `truncated`.
   */
  *fileChunks(path: string | Buffer, identity: FileIdentity | null, ivs: IvSource, options: OpenOptions = {}, range: ByteRange | null = null): Generator<ProcessedChunk[], ReadOutcome> {
    const noatime = options.noatime ?? false;
    const flags = constants.O_RDONLY | (options.follow ? 0 : constants.O_NOFOLLOW) | (options.special ? 0 : constants.O_NONBLOCK)
      | (noatime ? constants.O_NOATIME : 0);
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
        // Only the inode, like borg: some file systems (overlayfs) report another st_dev through an fd.
        if (st.ino !== identity.ino) throw new FileChangedError('file inode changed (race condition), skipping file');
      }
      if (this.#sparseBlocks !== null && range === null) {
        const map = sparseMap(fd, this.#sparseBlocks.headerSize);
        if (map !== null) {
          const { size, truncated } = yield* this.#rangeChunks(fd, map, ivs);
          return { size, ctimeAfter: fstatSync(fd, { bigint: true }).ctimeNs, truncated, eof: true };
        }
      }
      let size = 0;
      let truncated = false;
      // A range reads at explicit positions; a whole file reads on from the current position (fifos).
      let position = range === null ? null : range.start;
      const sealEnd = range?.end ?? Infinity;
      let lookaheadLeft = range?.lookahead ?? 0;
      let firstUnsealed = range?.speculative ?? false;
      /** Seals the chunks starting before the range's end, hashes up to `lookaheadLeft` after it. */
      const take = (chunks: Buffer[]): { batch: ProcessedChunk[]; stop: boolean } => {
        const batch: ProcessedChunk[] = [];
        // A speculative part's first chunk is only hashed, except a max-size one: that lies in a run
        // without cut points (zeros), where the parts' chains usually meet at the part's start.
        if (firstUnsealed && chunks.length) {
          firstUnsealed = false;
          if (chunks[0]!.length !== this.#maxChunk) {
            batch.push(...this.#hashOnly(chunks.slice(0, 1)));
            size += batch[0]!.size;
            chunks = chunks.slice(1);
          }
        }
        let sealCount = 0;
        for (let offset = (range?.start ?? 0) + size; sealCount < chunks.length && offset < sealEnd; sealCount++) offset += chunks[sealCount]!.length;
        const { sealed, exhausted } = this.#seal(sealCount === chunks.length ? chunks : chunks.slice(0, sealCount), ivs);
        for (const c of sealed) size += c.size;
        batch.push(...sealed);
        if (exhausted) {
          truncated = true;
          return { batch, stop: true };
        }
        if (sealCount === chunks.length) return { batch, stop: false };
        const ahead = this.#hashOnly(chunks.slice(sealCount, sealCount + lookaheadLeft));
        lookaheadLeft -= ahead.length;
        for (const c of ahead) size += c.size;
        batch.push(...ahead);
        return { batch, stop: lookaheadLeft === 0 };
      };
      let eof = false;
      // The buzhash chunker is read into directly and hands out views: its chunks are sealed or
      // hashed before the next read, so neither the input nor the chunks are copied.
      const direct = this.#chunker instanceof BuzhashChunker ? this.#chunker : null;
      let readAt = range?.start ?? 0;
      // A split part leaves its first look-ahead's worth cached: the part before reads it last.
      const dropper = options.special ? null : range === null
        ? new ReadCacheDropper(fd, 0)
        : new ReadCacheDropper(fd, range.start + (range.start > 0 ? range.lookahead * this.#maxChunk : 0), range.end ?? Infinity);
      try {
        for (;;) {
          const space = direct ? direct.inputSpace(this.#readBuffer.length) : this.#readBuffer;
          const n = readSync(fd, space, 0, space.length, position);
          if (n === 0) {
            eof = true;
            break;
          }
          readAt += n;
          dropper?.read(readAt);
          if (position !== null) position += n;
          const { batch, stop } = take(direct ? direct.commitViews(n) : this.#chunker.update(space.subarray(0, n)));
          if (batch.length) yield batch;
          if (stop) break;
        }
        const rest = direct ? direct.finalViews() : this.#chunker.final();
        if (eof && rest.length) {
          const { batch } = take(rest);
          if (batch.length) yield batch;
        }
      } catch (e) {
        this.#chunker.final(); // reset for the next file
        throw e;
      }
      dropper?.finish(readAt, eof);
      return { size, ctimeAfter: fstatSync(fd, { bigint: true }).ctimeNs, truncated, eof: eof && !truncated };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * borg's fixed chunker over a file map: every range is cut into blocks of the block size (the
   * last one of a range may be shorter); hole ranges are not read but yield all-zero blocks.
   */
  *#rangeChunks(fd: number, map: FileRange[], ivs: IvSource): Generator<ProcessedChunk[], { size: number; truncated: boolean }> {
    const blockSize = this.#sparseBlocks!.blockSize;
    const dropper = new ReadCacheDropper(fd, 0);
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for (const [start, length, isData] of map) {
      for (let offset = start, end = start + length; offset < end;) {
        const wanted = Math.min(end - offset, blockSize);
        let block: Buffer;
        if (isData) {
          block = Buffer.allocUnsafeSlow(wanted);
          let got = 0;
          while (got < wanted) {
            const n = readSync(fd, block, got, wanted - got, offset + got);
            if (n === 0) break;
            got += n;
          }
          dropper.read(offset + got);
          if (got < wanted) block = block.subarray(0, got);
        } else {
          block = Buffer.alloc(wanted);
        }
        if (block.length > 0) {
          pending.push(block);
          pendingBytes += block.length;
          offset += block.length;
        }
        const eof = block.length < wanted;
        if (pendingBytes >= this.#readBuffer.length || eof) {
          const { sealed, exhausted } = this.#seal(pending, ivs);
          pending = [];
          pendingBytes = 0;
          for (const c of sealed) size += c.size;
          if (sealed.length) yield sealed;
          if (exhausted) return { size, truncated: true };
        }
        if (eof) {
          dropper.finish(offset, true);
          return { size, truncated: false };
        }
      }
    }
    dropper.finish(Infinity, true);
    const { sealed, exhausted } = this.#seal(pending, ivs);
    for (const c of sealed) size += c.size;
    if (sealed.length) yield sealed;
    return { size, truncated: exhausted };
  }

  /**
   * Chunks in-memory data that arrives in pieces (stdin, --content-from-command); `null` ends the
   * input. `ivs` must be able to seal everything (see ivBlocksBound with the piece length plus the
   * largest chunk the chunker may hold back).
   */
  processPiece(piece: Uint8Array | null, ivs: IvSource): ProcessedChunk[] {
    const chunks = piece === null ? this.#chunker.final() : this.#chunker.update(piece);
    const { sealed, exhausted } = this.#seal(chunks, ivs);
    if (exhausted) throw new IvRangeExhausted(0);
    return sealed;
  }
}

/** [start, length, isData]: a range of a file, as borg's sparsemap() gives them. */
export type FileRange = [number, number, boolean];

/**
 * The data and hole ranges of an open file (borg's sparsemap, found with SEEK_DATA/SEEK_HOLE),
 * after a header of `headerSize` bytes that is always one data range. Null when the file system
 * cannot tell (the file is then read as a whole).
 */
export function sparseMap(fd: number, headerSize: number): FileRange[] | null {
  const ranges: FileRange[] = [];
  const fileLength = Number(fstatSync(fd).size);
  if (headerSize > 0) ranges.push([0, headerSize, true]);
  try {
    let start = headerSize;
    for (let isData = true; ; isData = !isData) {
      const end = isData ? seekHole(fd, start) : seekData(fd, start);
      if (end < 0) {
        // A hole at the end of the file has no next data region to find.
        if (!isData && start < fileLength) ranges.push([start, fileLength - start, false]);
        return ranges;
      }
      if (end > start) ranges.push([start, end - start, isData]);
      start = end;
    }
  } catch {
    return null;
  }
}

/**
 * Bytes a file may grow by while it is read and still be stored whole (IVs are reserved for its
 * size plus this); beyond it, reading stops early and the file counts as changed.
 */
export function growthAllowance(size: number): number {
  return Math.max(1 << 16, Math.ceil(size / 16));
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
