// Streaming reads and writes of borg's integrity-checked cache files (spec §1.9): `chunks`, `files`
// and the per-archive indexes in `chunks.archive.d`. One running XXH64 covers the file's final base
// name, its bytes, and named parts (`HashHeader` after a hash index header, `final` at the end), so
// files far larger than one Buffer are checked without being held twice in memory.
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync, constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { FileIntegrityError } from '../format/errors.js';
import { ChunkIndex, HashIndex, HEADER_SIZE, parseHashIndexHeader } from '../format/hashindex.js';
import { IntegrityHasher, type IntegrityData } from '../format/integrity-file.js';
import { syncDir } from '../platform/save-file.js';

const BLOCK_SIZE = 1 << 20;

/**
 * Reads a file front to back, verifying `expected` digests as their parts go by. Without expected
 * digests (a cache from an old borg, or integrity data set aside) nothing is verified, like borg.
 */
export class CheckedFileReader {
  readonly #fd: number;
  readonly #hasher: IntegrityHasher | null;
  readonly #buffer = Buffer.allocUnsafe(BLOCK_SIZE);
  readonly size: number;

  constructor(readonly path: string, readonly name: string, readonly expected: IntegrityData | undefined) {
    this.#fd = openSync(path, 'r');
    this.size = fstatSync(this.#fd).size;
    this.#hasher = expected ? new IntegrityHasher(name) : null;
  }

  /** Up to `max` (at most 1 MiB) next bytes; empty at the end. The view is valid until the next read. */
  read(max = BLOCK_SIZE): Buffer {
    const n = readSync(this.#fd, this.#buffer, 0, Math.min(max, BLOCK_SIZE), null);
    const block = this.#buffer.subarray(0, n);
    this.#hasher?.update(block);
    return block;
  }

  /** Exactly `n` bytes (fewer only at the end of the file), copied. */
  readExactly(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const block = this.read(n - off);
      if (block.length === 0) return out.subarray(0, off);
      block.copy(out, off);
      off += block.length;
    }
    return out;
  }

  /** Checks the digest recorded for part `name` at the current position. */
  part(name: string): void {
    if (!this.#hasher || !this.expected) return;
    if (this.expected.digests[name] !== this.#hasher.part(name)) throw new FileIntegrityError(this.name, `digest mismatch in part '${name}'`);
  }

  /** Checks the `final` digest (the caller has read the whole file) and closes the file. */
  close(): void {
    try {
      if (this.#hasher && this.expected) {
        if (this.#hasher.position !== this.size) throw new FileIntegrityError(this.name, 'file not read to its end');
        if (this.expected.digests['final'] !== this.#hasher.part('final')) throw new FileIntegrityError(this.name, "digest mismatch in part 'final'");
      }
    } finally {
      this.abandon();
    }
  }

  /** Closes without verifying (after an error). */
  abandon(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // already closed
    }
  }
}

/**
 * Writes a file under a temporary name and moves it into place on commit (fsynced), recording the
 * digests under the final name. Readers never see a half-written file.
 */
export class CheckedFileWriter {
  readonly #fd: number;
  readonly #tmp: string;
  readonly #hasher: IntegrityHasher;
  readonly digests: Record<string, string> = {};
  #closed = false;

  constructor(readonly path: string, name = basename(path), fileMode = 0o600) {
    this.#tmp = join(dirname(path), `${basename(path)}-${randomBytes(4).toString('hex')}.tmp`);
    this.#fd = openSync(this.#tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, fileMode);
    this.#hasher = new IntegrityHasher(name);
  }

  write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.byteLength) off += writeSync(this.#fd, bytes, off, bytes.byteLength - off);
    this.#hasher.update(bytes);
  }

  part(name: string): void {
    this.digests[name] = this.#hasher.part(name);
  }

  /**
   * Finishes the file and returns its integrity data. `beforeRename` runs once the data is on disk
   * but before it becomes visible (to store detached integrity data first).
   */
  commit(beforeRename?: (integrity: IntegrityData) => void): IntegrityData {
    this.digests['final'] = this.#hasher.part('final');
    try {
      fsyncSync(this.#fd);
    } finally {
      closeSync(this.#fd);
      this.#closed = true;
    }
    const integrity: IntegrityData = { algorithm: 'XXH64', digests: { ...this.digests } };
    beforeRename?.(integrity);
    renameSync(this.#tmp, this.path);
    syncDir(dirname(this.path));
    return integrity;
  }

  /** Drops the unfinished file. */
  abort(): void {
    if (!this.#closed) {
      this.#closed = true;
      closeSync(this.#fd);
    }
    try {
      unlinkSync(this.#tmp);
    } catch {
      // already gone
    }
  }
}

/** Reads a chunk index file (`chunks`, `chunks.archive.d/*`), verifying `expected` when given. */
export function readChunkIndexFile(path: string, name: string, expected: IntegrityData | undefined, options: { permitCompact?: boolean } = {}): ChunkIndex {
  const reader = new CheckedFileReader(path, name, expected);
  try {
    const headerBytes = reader.readExactly(HEADER_SIZE);
    reader.part('HashHeader');
    // Checking the header against the file length before reading on keeps a damaged header from
    // asking for a huge allocation.
    const header = parseHashIndexHeader(headerBytes, { valueSize: ChunkIndex.VALUE_SIZE, fileLength: reader.size });
    const blocks = function* (): Iterable<Uint8Array> {
      for (let block = reader.read(); block.length > 0; block = reader.read()) yield block;
    };
    const index = new ChunkIndex(HashIndex.fromParts(header, blocks(), { permitCompact: options.permitCompact ?? false }));
    reader.close();
    return index;
  } catch (e) {
    reader.abandon();
    throw e;
  }
}

/** Writes a hash index given as its parts (the 18-byte header first) and returns its integrity data. */
export function writeHashIndexFile(
  path: string, name: string, parts: Iterable<Uint8Array>,
  options: { fileMode?: number; beforeRename?: (integrity: IntegrityData) => void } = {},
): IntegrityData {
  const writer = new CheckedFileWriter(path, name, options.fileMode);
  try {
    let first = true;
    for (const part of parts) {
      writer.write(part);
      if (first) writer.part('HashHeader');
      first = false;
    }
    return writer.commit(options.beforeRename);
  } catch (e) {
    writer.abort();
    throw e;
  }
}
