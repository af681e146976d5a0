// Writing a file's chunks to an open file. Small chunks are gathered into one positional writev
// of up to WRITE_BATCH bytes; a batch is written in the background while the next chunks are
// read and opened (at most one batch in flight, so memory stays bounded). A file that fits in one
// batch is written synchronously: for small files a thread-pool round trip costs more than the
// write. With `sparse`, all-zero chunks are skipped, leaving holes, and ftruncate sets the size.
import { ftruncateSync, writev, writevSync } from 'node:fs';
import { promisify } from 'node:util';

const writevAsync = promisify(writev);

const WRITE_BATCH = 4 * 1024 * 1024;

let zeros = Buffer.alloc(0);

/** Whether `data` is all zero bytes (borg's zeros.startswith(data)), with memcmp speed. */
export function isAllZero(data: Buffer): boolean {
  if (data.length === 0 || data[0] !== 0 || data[data.length - 1] !== 0) return data.length === 0;
  if (zeros.length < data.length) zeros = Buffer.alloc(data.length);
  return zeros.subarray(0, data.length).equals(data);
}

/** Writes all of `buffers` at `position`, continuing after short writes. */
async function writeAll(fd: number, buffers: Buffer[], position: number): Promise<void> {
  let rest = buffers;
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten: written } = await writevAsync(fd, rest, at);
    at += written;
    rest = skipBytes(rest, written);
  }
}

function writeAllSync(fd: number, buffers: Buffer[], position: number): void {
  let rest = buffers;
  let at = position;
  while (rest.length > 0) {
    const written = writevSync(fd, rest, at);
    at += written;
    rest = skipBytes(rest, written);
  }
}

function skipBytes(buffers: Buffer[], count: number): Buffer[] {
  let skip = count;
  let i = 0;
  while (i < buffers.length && skip >= buffers[i]!.length) skip -= buffers[i++]!.length;
  const rest = buffers.slice(i);
  if (skip > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(skip);
  return rest.filter((b) => b.length > 0);
}

export class FileWriter {
  #batch: Buffer[] = [];
  #batchBytes = 0;
  /** File offset of the first byte of the batch. */
  #batchStart = 0;
  /** Bytes of content so far, holes included. */
  #position = 0;
  /** End of the last byte actually written. */
  #dataEnd = 0;
  #inFlight: Promise<void> | null = null;
  #wentAsync = false;

  constructor(private readonly fd: number, private readonly sparse: boolean) {}

  /** Content length so far (holes included). */
  get size(): number {
    return this.#position;
  }

  /** Continues after `bytes` that were written in place by someone else. */
  skip(bytes: number): void {
    this.#position += bytes;
    this.#batchStart = this.#position;
  }

  async write(data: Buffer): Promise<void> {
    if (this.sparse && isAllZero(data)) {
      await this.#flush(false);
      this.#position += data.length;
      this.#batchStart = this.#position;
      return;
    }
    this.#batch.push(data);
    this.#batchBytes += data.length;
    this.#position += data.length;
    if (this.#batchBytes >= WRITE_BATCH) await this.#flush(false);
  }

  /** Writes what is left and gives the file its full length (trailing holes). */
  async finish(): Promise<void> {
    await this.#flush(true);
    await this.#settle();
    if (this.#position > this.#dataEnd) ftruncateSync(this.fd, this.#position);
  }

  /** Waits for a write still in flight (also after an error elsewhere, before closing the fd). */
  async #settle(): Promise<void> {
    const pending = this.#inFlight;
    this.#inFlight = null;
    if (pending !== null) await pending;
  }

  async abandon(): Promise<void> {
    await this.#settle().catch(() => undefined);
  }

  async #flush(final: boolean): Promise<void> {
    if (this.#batchBytes === 0) return;
    const buffers = this.#batch;
    const start = this.#batchStart;
    this.#batch = [];
    this.#batchStart += this.#batchBytes;
    this.#dataEnd = this.#batchStart;
    this.#batchBytes = 0;
    if (final && !this.#wentAsync) {
      writeAllSync(this.fd, buffers, start);
      return;
    }
    await this.#settle();
    this.#wentAsync = true;
    const pending = writeAll(this.fd, buffers, start);
    pending.catch(() => undefined); // raised by the next #settle()
    this.#inFlight = pending;
  }
}
