// AES-CTR counter (IV) bookkeeping (spec §2.9, §2.10).
//
// An IV must never repeat under one key, even across crashes and aborted transactions. Before any IV
// is used, a range of counter values is reserved durably in two places: the repository's `nonce`
// file (shared by all clients) and the client's security dir (guards against a server rolled back by
// an attacker). A NonceManager keeps that reservation; IvCounter hands out IVs inside a range
// synchronously, so the encrypting code (also in worker threads) never waits for I/O.
import { aesBlocks, MAX_IV } from './envelope.js';
import type { Key } from './key.js';

/** Counter values reserved beyond what is needed right now: 2^28 blocks = 4 GiB of data. */
export const NONCE_SPACE_RESERVATION = 1n << 28n;
const MAX_REPRESENTABLE_NONCE = MAX_IV;

/**
 * Where reservations are stored. Both commits are compare-and-swap against the value read before
 * (`start`, null = no value yet). A repository without the nonce RPC methods (server < 1.1) returns
 * null from getRepoNonce and ignores commitRepoNonce.
 */
export interface NonceStore {
  getRepoNonce(): Promise<bigint | null>;
  commitRepoNonce(next: bigint, start: bigint | null): Promise<void>;
  getLocalNonce(): bigint | null;
  setLocalNonce(next: bigint, start: bigint | null): void;
}

/** A half-open range [start, end) of AES counter values. */
export interface IvRange {
  start: bigint;
  end: bigint;
}

/**
 * The first free counter value after the stored manifest (the session's starting IV): its IV plus the
 * AES blocks of the whole envelope, a safe upper bound. A new repository (no manifest yet) starts at 0.
 */
export function manifestNonce(key: Key, manifestEnvelope: Uint8Array | null): bigint {
  if (manifestEnvelope === null) return 0n;
  const iv = key.ivOf(manifestEnvelope);
  return iv === null ? 0n : iv + BigInt(aesBlocks(manifestEnvelope.byteLength));
}

export class NonceManager {
  readonly #store: NonceStore;
  readonly #manifestNonce: bigint;
  #endOfReservation: bigint | null = null;
  // The lowest IV not yet handed out by reserveRange()/ensureReservation(); keeps ranges disjoint.
  #cursor: bigint;

  constructor(store: NonceStore, manifestNonce: bigint) {
    this.#store = store;
    this.#manifestNonce = manifestNonce;
    this.#cursor = manifestNonce;
  }

  /** End (exclusive) of the current reservation, or null before the first one. */
  get endOfReservation(): bigint | null {
    return this.#endOfReservation;
  }

  /**
   * Call before encrypting `blocks` AES blocks at the unused counter value `iv`. Returns the IV to
   * use: `iv` itself while the current reservation covers it, otherwise the start of a new
   * reservation (the counter jumps forward past every value any client may have used).
   */
  async ensureReservation(iv: bigint, blocks: number): Promise<bigint> {
    const needed = BigInt(blocks);
    const end = this.#endOfReservation;
    if (end !== null) {
      if (iv > end) throw new RangeError(`Invalid IV ${iv}: beyond the reservation end ${end}`);
      if (iv + needed <= end) return this.#handOut(iv, needed);
    }
    const repo = await this.#store.getRepoNonce();
    const local = this.#store.getLocalNonce();
    let free = this.#manifestNonce;
    for (const v of [repo, local, end]) if (v !== null && v > free) free = v;
    const reservationEnd = free + needed + NONCE_SPACE_RESERVATION;
    if (reservationEnd >= MAX_REPRESENTABLE_NONCE) throw new RangeError('Cannot reserve nonces: the AES counter space is exhausted');
    await this.#store.commitRepoNonce(reservationEnd, repo);
    // Re-read the local value: another process of this user may have reserved in the meantime.
    if (this.#store.getLocalNonce() !== local) throw new Error('Cannot reserve nonces: the local nonce changed concurrently');
    this.#store.setLocalNonce(reservationEnd, local);
    this.#endOfReservation = reservationEnd;
    return this.#handOut(free, needed);
  }

  /**
   * Reserves `blocks` counter values for one user (e.g. a worker thread) and returns them as a range
   * disjoint from every other range and IV this manager handed out.
   */
  async reserveRange(blocks: number): Promise<IvRange> {
    if (!Number.isSafeInteger(blocks) || blocks <= 0) throw new RangeError(`Invalid block count ${blocks}`);
    const start = await this.ensureReservation(this.#cursor, blocks);
    return { start, end: start + BigInt(blocks) };
  }

  #handOut(iv: bigint, needed: bigint): bigint {
    if (iv + needed > this.#cursor) this.#cursor = iv + needed;
    return iv;
  }
}

/** Thrown by IvCounter.take when its range cannot hold the request; refill it and try again. */
export class IvRangeExhausted extends Error {
  constructor(readonly needed: number) {
    super(`Cannot take ${needed} AES blocks: the reserved IV range is used up`);
    this.name = 'IvRangeExhausted';
  }
}

/** A synchronous source of IVs for sealing: returns the IV for `blocks` blocks and advances past them. */
export interface IvSource {
  take(blocks: number): bigint;
}

/**
 * Hands out consecutive IVs inside [next, end): the writer's counter, next IV = IV + blocks of the
 * payload. `end` null means unbounded (only for keys without a store, e.g. tests or the none mode).
 */
export class IvCounter implements IvSource {
  #next: bigint;
  #end: bigint | null;

  constructor(start: bigint, end: bigint | null = null) {
    if (end !== null && end < start) throw new RangeError(`Invalid IV range [${start}, ${end})`);
    this.#next = start;
    this.#end = end;
  }

  static fromRange(range: IvRange): IvCounter {
    return new IvCounter(range.start, range.end);
  }

  get next(): bigint {
    return this.#next;
  }

  get end(): bigint | null {
    return this.#end;
  }

  /** Counter values left in the range (null when unbounded). */
  get remaining(): bigint | null {
    return this.#end === null ? null : this.#end - this.#next;
  }

  canTake(blocks: number): boolean {
    return this.#end === null || this.#next + BigInt(blocks) <= this.#end;
  }

  take(blocks: number): bigint {
    if (!this.canTake(blocks)) throw new IvRangeExhausted(blocks);
    const iv = this.#next;
    this.#next += BigInt(blocks);
    return iv;
  }

  /** Continues in a new range, which must lie beyond every IV already handed out. */
  refill(range: IvRange): void {
    if (range.start < this.#next) throw new RangeError(`Cannot refill with range starting at ${range.start}: IVs up to ${this.#next} were used`);
    this.#next = range.start;
    this.#end = range.end;
  }
}
