// Reading a byte stream (a file, stdin, a filter's output) in pieces of a chosen size without
// loading it: the tar reader asks for 512-byte headers and streams member data through.

export class ByteReader {
  readonly #source: AsyncIterator<Uint8Array>;
  #chunks: Buffer[] = [];
  #available = 0;
  #ended = false;
  /** Bytes consumed so far. */
  position = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  async #fill(wanted: number): Promise<void> {
    while (this.#available < wanted && !this.#ended) {
      const next = await this.#source.next();
      if (next.done) {
        this.#ended = true;
        break;
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      if (chunk.length === 0) continue;
      this.#chunks.push(chunk);
      this.#available += chunk.length;
    }
  }

  #take(length: number): Buffer {
    const parts: Buffer[] = [];
    let missing = length;
    while (missing > 0) {
      const head = this.#chunks[0]!;
      if (head.length <= missing) {
        parts.push(head);
        this.#chunks.shift();
        missing -= head.length;
      } else {
        parts.push(head.subarray(0, missing));
        this.#chunks[0] = head.subarray(missing);
        missing = 0;
      }
    }
    this.#available -= length;
    this.position += length;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
  }

  /** Exactly `length` bytes, or fewer only when the stream ends first. */
  async read(length: number): Promise<Buffer> {
    await this.#fill(length);
    return this.#take(Math.min(length, this.#available));
  }

  /** Between 1 and `max` bytes as they arrive (no copying of large pieces); empty at the end. */
  async readSome(max: number): Promise<Buffer> {
    if (this.#available === 0) await this.#fill(1);
    return this.#take(Math.min(max, this.#available, this.#chunks[0]?.length ?? 0));
  }

  /** Skips `length` bytes; returns how many there were. */
  async skip(length: number): Promise<number> {
    let skipped = 0;
    while (skipped < length) {
      const piece = await this.readSome(length - skipped);
      if (piece.length === 0) break;
      skipped += piece.length;
    }
    return skipped;
  }

  /** Reads and drops the rest of the source. */
  async drain(): Promise<void> {
    while ((await this.readSome(1 << 20)).length > 0);
  }

  /** Stops reading the source (e.g. a filter process's output after an error). */
  async close(): Promise<void> {
    this.#chunks = [];
    this.#available = 0;
    if (!this.#ended) await this.#source.return?.();
    this.#ended = true;
  }
}
