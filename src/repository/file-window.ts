// Positional reads of one file through a reused buffer, for readers that go through a segment front
// to back in worker threads (the repository check's pass, check --verify-data): few system calls,
// no allocation per entry. A view it returns is valid until the next call.
import { readSync } from 'node:fs';

export class FileWindow {
  #buffer: Buffer;
  #start = 0;
  #length = 0;

  /** Reads at least `readSize` bytes at a time (less at the end of the file). */
  constructor(private readonly fd: number, readonly fileSize: number, private readonly readSize = 2 << 20) {
    this.#buffer = Buffer.allocUnsafeSlow(readSize);
  }

  /** Bytes [pos, pos + len), or fewer where the file ends. */
  bytes(pos: number, len: number): Buffer {
    const end = Math.min(pos + len, this.fileSize);
    if (pos >= this.#start && end <= this.#start + this.#length) return this.#buffer.subarray(pos - this.#start, end - this.#start);
    const want = Math.min(Math.max(end - pos, this.readSize), Math.max(0, this.fileSize - pos));
    if (this.#buffer.length < want) this.#buffer = Buffer.allocUnsafeSlow(want);
    let got = 0;
    while (got < want) {
      const n = readSync(this.fd, this.#buffer, got, want - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    this.#start = pos;
    this.#length = got;
    return this.#buffer.subarray(0, Math.max(0, Math.min(got, end - pos)));
  }
}
