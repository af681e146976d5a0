// Reading a segment front to back through a window, with the next window read ahead: while the
// entries of one window are looked at, the bytes after it are already being read into the second
// half of another buffer. An entry that starts near the end of the window is completed by copying
// its start (at most one window) in front of the bytes read ahead, so the window moves on without
// waiting and without reading anything twice. Views stay valid only until the window moves on.

/** Reads `size` bytes at `pos` into `into` at `at` (less at the end of the file); returns the bytes read. */
export type ReadInto = (pos: number, size: number, into: Buffer, at: number) => Promise<Buffer>;

interface Ahead {
  pos: number;
  size: number;
  buffer: number;
  read: Promise<Buffer>;
}

export class SegmentWindow {
  /** Each 2 windows long: room for the start of a cut-off entry, then a window read ahead. */
  readonly #buffers: Buffer[];
  #current = 0;
  #win: Buffer = Buffer.alloc(0);
  #winStart: number;
  #ahead: Ahead | null = null;

  /** `end`: the file size if known (reads stop there), else Infinity. */
  constructor(private readonly read: ReadInto, private readonly windowSize: number, start: number, private readonly end = Infinity) {
    this.#buffers = [Buffer.allocUnsafeSlow(2 * windowSize), Buffer.allocUnsafeSlow(2 * windowSize)];
    this.#winStart = start;
  }

  /** [pos, pos + len) when the window holds it (no await), else null. */
  view(pos: number, len: number): Buffer | null {
    const at = pos - this.#winStart;
    return at < 0 || at + len > this.#win.length ? null : this.#win.subarray(at, at + len);
  }

  /** Moves the window to `pos`: [pos, pos + len), or less at the end of the file. */
  async fill(pos: number, len: number): Promise<Buffer> {
    const ahead = this.#ahead;
    this.#ahead = null;
    let win: Buffer | null = null;
    if (ahead !== null) {
      // The buffer read ahead must not be written to twice at once: wait for it in any case.
      const got = await ahead.read;
      const tail = ahead.pos - pos;
      const winEnd = this.#winStart + this.#win.length;
      if (ahead.pos === winEnd && tail >= 0 && tail <= this.windowSize && pos >= this.#winStart) {
        const buffer = this.#buffers[ahead.buffer]!;
        this.#win.copy(buffer, this.windowSize - tail, pos - this.#winStart);
        const joined = buffer.subarray(this.windowSize - tail, this.windowSize + got.length);
        // Usable if it holds the entry, or if the file ends there anyway.
        if (joined.length >= len || got.length < ahead.size) {
          win = joined;
          this.#current = ahead.buffer;
        }
      }
    }
    if (win === null) {
      const size = this.#sizeAt(pos, len);
      if (this.#buffers[this.#current]!.length < size) this.#buffers[this.#current] = Buffer.allocUnsafeSlow(size);
      win = await this.read(pos, size, this.#buffers[this.#current]!, 0);
    }
    this.#win = win;
    this.#winStart = pos;
    const next = pos + win.length;
    if (win.length > 0 && next < this.end) this.#readAhead(next);
    return win.subarray(0, len);
  }

  /** Finishes a read still under way (its result is not needed). */
  async close(): Promise<void> {
    const ahead = this.#ahead;
    this.#ahead = null;
    if (ahead !== null) await ahead.read.catch(() => undefined);
  }

  #sizeAt(pos: number, len: number): number {
    return Math.min(Math.max(len, this.windowSize), Math.max(len, this.end - pos));
  }

  #readAhead(pos: number): void {
    const index = 1 - this.#current;
    if (this.#buffers[index]!.length < 2 * this.windowSize) this.#buffers[index] = Buffer.allocUnsafeSlow(2 * this.windowSize);
    const size = this.#sizeAt(pos, 0);
    const read = this.read(pos, size, this.#buffers[index]!, this.windowSize);
    // A failure is raised when the window gets there (or never, if the reader stops before).
    read.catch(() => undefined);
    this.#ahead = { pos, size, buffer: index, read };
  }
}
