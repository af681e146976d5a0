// One open file of the mount: its chunk list with cumulative offsets, so that a read at any
// offset finds its first chunk by binary search, and a sequential reader gets the next chunks
// fetched while it consumes the current ones. Also answers SEEK_DATA/SEEK_HOLE from the chunks
// known to be zeros.
import type { ChunkRef } from '../archive/item.js';
import type { ChunkCache } from './chunk-cache.js';
import { ERRNO, FuseError } from './fuse/operations.js';

const SEEK_DATA = 3;
const SEEK_HOLE = 4;
/** Bytes fetched ahead of a sequential reader. */
const READ_AHEAD_BYTES = 16 * 1024 * 1024;
const READ_AHEAD_CHUNKS = 8;

export class FileReader {
  readonly #chunks: readonly ChunkRef[];
  /** starts[i] is the file offset of chunk i; starts[n] the file size. */
  readonly #starts: Float64Array;
  #nextOffset = -1;

  constructor(chunks: readonly ChunkRef[], private readonly cache: ChunkCache) {
    this.#chunks = chunks;
    this.#starts = new Float64Array(chunks.length + 1);
    for (let i = 0; i < chunks.length; i++) this.#starts[i + 1] = this.#starts[i]! + chunks[i]!.size;
  }

  get size(): number {
    return this.#starts[this.#chunks.length]!;
  }

  /** The chunk holding byte `offset` (offset < size). */
  #chunkAt(offset: number): number {
    let lo = 0;
    let hi = this.#chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.#starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  async read(offset: number, size: number): Promise<Buffer> {
    const end = Math.min(offset + size, this.size);
    if (offset >= end) return Buffer.alloc(0);
    const first = this.#chunkAt(offset);
    let last = first;
    while (this.#starts[last + 1]! < end) last++;
    const sequential = offset === this.#nextOffset;
    this.#nextOffset = end;
    const wanted = this.#chunks.slice(first, last + 1);
    if (sequential) this.#readAhead(last + 1);
    const parts = await Promise.all(wanted.map((ref) => this.cache.get(ref)));
    if (parts.length === 1) {
      const start = offset - this.#starts[first]!;
      return parts[0]!.subarray(start, start + (end - offset));
    }
    const out = Buffer.allocUnsafe(end - offset);
    let written = 0;
    parts.forEach((data, i) => {
      const chunkStart = this.#starts[first + i]!;
      const from = Math.max(offset - chunkStart, 0);
      const to = Math.min(end - chunkStart, data.length);
      written += data.copy(out, written, from, to);
    });
    return out;
  }

  #readAhead(from: number): void {
    const refs: ChunkRef[] = [];
    let bytes = 0;
    for (let i = from; i < this.#chunks.length && refs.length < READ_AHEAD_CHUNKS && bytes < READ_AHEAD_BYTES; i++) {
      refs.push(this.#chunks[i]!);
      bytes += this.#chunks[i]!.size;
    }
    this.cache.prefetch(refs);
  }

  /** lseek(2) with SEEK_DATA or SEEK_HOLE: holes are chunks known to be zeros, and the end of the file. */
  seek(offset: number, whence: number): number {
    if (whence !== SEEK_DATA && whence !== SEEK_HOLE) throw new FuseError(ERRNO.EINVAL);
    if (offset < 0 || offset >= this.size) throw new FuseError(ERRNO.ENXIO);
    for (let i = this.#chunkAt(offset); i < this.#chunks.length; i++) {
      const hole = this.cache.isZero(this.#chunks[i]!);
      if (hole === (whence === SEEK_HOLE)) return Math.max(offset, this.#starts[i]!);
    }
    if (whence === SEEK_HOLE) return this.size;
    throw new FuseError(ERRNO.ENXIO);
  }
}
