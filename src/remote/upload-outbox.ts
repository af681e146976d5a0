// The client's outgoing byte stream to the server: messages are queued here and written to the
// remote shell's stdin, no faster than --upload-ratelimit allows (a token bucket refilled every
// 100 ms, holding at most two refills, like borg's limiter), and only while the pipe accepts more.
// `unsent` counts what has not reached the kernel yet; asynchronous writers (put) wait until it is
// no larger than --upload-buffer, so a slow link holds the producer back instead of filling memory.
import type { Writable } from 'node:stream';

const PERIOD_MS = 100;

export interface OutboxOptions {
  /** Bytes per second; 0 or undefined = unlimited. */
  rateLimit?: number;
}

export class UploadOutbox {
  #queue: Buffer[] = [];
  #queued = 0;
  /** Bytes handed to the stream whose write callback has not fired yet. */
  #inStream = 0;
  #waiters: Array<{ limit: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  #failed: unknown = null;
  #writable = true;
  #timer: NodeJS.Timeout | null = null;
  readonly #perPeriod: number;
  #tokens: number;
  #refilledAt = performance.now();
  /** Total bytes written to the stream. */
  sent = 0;

  constructor(private readonly stream: Writable, options: OutboxOptions = {}) {
    this.#perPeriod = options.rateLimit ? Math.max(1, Math.floor((options.rateLimit * PERIOD_MS) / 1000)) : 0;
    this.#tokens = this.#perPeriod;
    stream.on('drain', () => {
      this.#writable = true;
      this.#pump();
    });
  }

  /** Bytes queued or written but not yet taken by the kernel. */
  get unsent(): number {
    return this.#queued + this.#inStream;
  }

  push(message: Buffer): void {
    if (this.#failed !== null) return;
    this.#queue.push(message);
    this.#queued += message.length;
    this.#pump();
  }

  /** Resolves once `unsent <= limit`; rejects when the stream failed. */
  waitUntilBelow(limit: number): Promise<void> {
    if (this.#failed !== null) return Promise.reject(this.#failed);
    if (this.unsent <= limit) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ limit, resolve, reject }));
  }

  /** Drops everything queued and fails the waiters (the connection is gone). */
  fail(error: unknown): void {
    if (this.#failed !== null) return;
    this.#failed = error;
    this.#queue = [];
    this.#queued = 0;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const w of this.#waiters.splice(0)) w.reject(error);
  }

  #notify(): void {
    if (this.#waiters.length === 0) return;
    const unsent = this.unsent;
    this.#waiters = this.#waiters.filter((w) => {
      if (unsent > w.limit) return true;
      w.resolve();
      return false;
    });
  }

  #refill(): void {
    const now = performance.now();
    const periods = Math.floor((now - this.#refilledAt) / PERIOD_MS);
    if (periods > 0) {
      this.#tokens = Math.min(2 * this.#perPeriod, this.#tokens + periods * this.#perPeriod);
      this.#refilledAt += periods * PERIOD_MS;
    }
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#writable && this.#timer === null && this.#failed === null) {
      let piece = this.#queue[0]!;
      if (this.#perPeriod > 0) {
        this.#refill();
        if (this.#tokens <= 0) {
          const wait = Math.max(1, this.#refilledAt + PERIOD_MS - performance.now());
          this.#timer = setTimeout(() => {
            this.#timer = null;
            this.#pump();
          }, wait);
          return;
        }
        if (piece.length > this.#tokens) piece = piece.subarray(0, this.#tokens);
        this.#tokens -= piece.length;
      }
      if (piece.length === this.#queue[0]!.length) this.#queue.shift();
      else this.#queue[0] = this.#queue[0]!.subarray(piece.length);
      this.#queued -= piece.length;
      this.#inStream += piece.length;
      const size = piece.length;
      this.#writable = this.stream.write(piece, () => {
        this.#inStream -= size;
        this.sent += size;
        this.#notify();
      });
    }
    this.#notify();
  }
}
