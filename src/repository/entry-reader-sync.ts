// Reading single PUT entries with blocking positional reads, for worker threads that read segment
// files themselves (extract from a local repository): the checks and errors of SegmentReader.read
// (header, id, size, CRC), into one reused buffer. Files stay open until closeAll().
import { closeSync, openSync, readSync } from 'node:fs';
import { IntegrityError } from './errors.js';
import { checkPutHeader, describePosition, entryCrcValid, PUT_HEADER_SIZE } from './segment-format.js';

function readFull(fd: number, into: Buffer, at: number, length: number, position: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, into, at + got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

export class SyncEntryReader {
  readonly #fds = new Map<string, number>();
  #scratch = Buffer.allocUnsafeSlow(256 * 1024);

  /**
   * The stored data (envelope) of the PUT for `id` at `offset` of segment `segment` (file `path`);
   * valid until the next read.
   */
  read(path: string, segment: number, offset: number, id: Uint8Array): Buffer {
    const where = (): string => describePosition(segment, offset);
    let fd = this.#fds.get(path);
    if (fd === undefined) {
      fd = openSync(path, 'r');
      this.#fds.set(path, fd);
    }
    const head = readFull(fd, this.#scratch, 0, PUT_HEADER_SIZE, offset);
    const size = checkPutHeader(this.#scratch.subarray(0, head), id, where);
    if (this.#scratch.length < size) {
      const bigger = Buffer.allocUnsafeSlow(size);
      this.#scratch.copy(bigger, 0, 0, PUT_HEADER_SIZE);
      this.#scratch = bigger;
    }
    const got = PUT_HEADER_SIZE + readFull(fd, this.#scratch, PUT_HEADER_SIZE, size - PUT_HEADER_SIZE, offset + PUT_HEADER_SIZE);
    if (got < size) throw new IntegrityError(`Segment entry data short read ${where()}: expected ${size}, got ${got} bytes`);
    const entry = this.#scratch.subarray(0, size);
    if (!entryCrcValid(entry, entry.readUInt32LE(0))) throw new IntegrityError(`Segment entry checksum mismatch ${where()}`);
    return entry.subarray(PUT_HEADER_SIZE);
  }

  /** Whether `data` lies in the buffer that the next read overwrites. */
  holds(data: Uint8Array): boolean {
    return data.buffer === this.#scratch.buffer;
  }

  closeAll(): void {
    for (const fd of this.#fds.values()) closeSync(fd);
    this.#fds.clear();
  }
}
