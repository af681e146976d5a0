// The order in which `check --verify-data` reports damaged objects. Objects are opened far ahead of
// the reports (a deep pipeline keeps the workers busy), but the findings keep the order the reports
// have always had: an unreadable object is reported where it is read, a failed opening where a
// queue of `window` objects / `windowBytes` bytes, drained to half when full and completely after
// every `batch` objects, lets it go. That order depends only on the objects and their sizes, never
// on timing, so it can be replayed while the real work runs with other limits.

/** One opened object whose outcome may still be on its way. */
export interface VerifySlot {
  id: Buffer;
  done: boolean;
  /** Null: intact; else the integrity error's message. */
  error: string | null;
  /** Anything else that went wrong (raised when the slot's turn comes). */
  failure?: unknown;
}

type Event = { unreadable: true; id: Buffer; reason: string; integrity: boolean } | { unreadable: false; slot: VerifySlot };

export interface ReportSink {
  unreadable(id: Buffer, reason: string, integrity: boolean): void;
  corrupted(id: Buffer, reason: string): void;
}

export class VerifyReportOrder {
  readonly #events: Event[] = [];
  #head = 0;
  /** The queue being replayed: slots and their envelope sizes. */
  readonly #queue: { slot: VerifySlot; bytes: number }[] = [];
  #queueHead = 0;
  #queueBytes = 0;
  #seen = 0;

  constructor(private readonly window: number, private readonly windowBytes: number, private readonly batch: number, private readonly sink: ReportSink) {}

  /** The next object could not be read. */
  unreadable(id: Buffer, reason: string, integrity: boolean): void {
    this.#events.push({ unreadable: true, id, reason, integrity });
    this.#counted();
  }

  /** The next object is being opened; its outcome goes into `slot`. */
  opened(slot: VerifySlot, bytes: number): void {
    this.#queue.push({ slot, bytes });
    this.#queueBytes += bytes;
    if (this.#queue.length - this.#queueHead >= this.window || this.#queueBytes >= this.windowBytes) {
      while (this.#queue.length - this.#queueHead > this.window / 2 || this.#queueBytes > this.windowBytes / 2) this.#release();
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
    this.#counted();
  }

  /** After the last object: everything still queued is let go. */
  end(): void {
    this.#releaseAll();
  }

  /** Reports what is due and known, in order; stops at the first outcome still on its way. */
  pump(): void {
    while (this.#head < this.#events.length) {
      const event = this.#events[this.#head]!;
      if (event.unreadable) {
        this.sink.unreadable(event.id, event.reason, event.integrity);
      } else {
        const { slot } = event;
        if (!slot.done) break;
        if (slot.failure !== undefined) throw slot.failure;
        if (slot.error !== null) this.sink.corrupted(slot.id, slot.error);
      }
      this.#head += 1;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#events.length) {
      this.#events.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Whether every event has been reported. */
  get drained(): boolean {
    return this.#head === this.#events.length;
  }

  #counted(): void {
    this.#seen += 1;
    if (this.#seen % this.batch === 0) this.#releaseAll();
  }

  #release(): void {
    const { slot, bytes } = this.#queue[this.#queueHead++]!;
    this.#queueBytes -= bytes;
    this.#events.push({ unreadable: false, slot });
  }

  #releaseAll(): void {
    while (this.#queueHead < this.#queue.length) this.#release();
    this.#queue.length = 0;
    this.#queueHead = 0;
  }
}
