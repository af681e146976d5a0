// Reading ahead across files for extraction. The extraction loop announces the chunk lists of the
// items it will reach next (`plan`); their chunks are fetched in groups (one repository request
// covers many small files) and opened — on the worker pool when there is one — while earlier files
// are written. `take` hands the writer a planned list's plaintexts in order; plans it passes by
// (items skipped or refused) are dropped. At most BUDGET bytes of chunks are fetched ahead of the
// writer (one chunk more when it alone is bigger), so memory stays bounded. A plan can be fetched
// `raw` (a file whose chunks a worker will open and write): its envelopes are kept unopened — from
// a local repository only where they lie, as the worker reads them itself — and `takeRaw` hands
// them over; `take` still gives plaintexts, reading and opening them on the way.
import type { ChunkRef } from '../item.js';
import type { ChunkSource, StoredChunk } from './chunk-reader.js';

const BUDGET = 32 << 20;
/**
 * Requests start again once less than this is in flight: refilling after every written chunk would
 * make requests (and worker messages) of one small chunk each.
 */
const REFILL_BELOW = BUDGET / 2;
/** Chunks per repository request. */
const GROUP_CHUNKS = 256;
const GROUP_BYTES = 8 << 20;

interface Slot {
  ref: ChunkRef;
  /** Its plan is raw: the result is the envelope or its location (a StoredChunk). */
  raw: boolean;
  result?: Promise<Buffer | StoredChunk>;
  settle?: (result: Promise<Buffer | StoredChunk>) => void;
}

interface Plan {
  /** The item's chunk list: `take` finds a plan by this identity. */
  key: readonly ChunkRef[];
  /** Slots hold envelopes, not plaintexts. */
  raw: boolean;
  slots: Slot[];
  /** Slots [0, requested) have been requested from the repository. */
  requested: number;
  /** Slots [0, consumed) have been handed out or dropped. */
  consumed: number;
}

/** Resolves a slot; its resolver is dropped, as it would keep the plaintext alive. */
function settle(slot: Slot, result: Promise<Buffer | StoredChunk>): void {
  const resolve = slot.settle!;
  slot.settle = undefined;
  resolve(result);
}

export class ChunkPrefetcher {
  /** The plan being written first, then those to come. */
  readonly #plans: Plan[] = [];
  #current: Plan | null = null;
  /** Plans (the current one included) with chunks not yet requested, in order; finished ones leave lazily. */
  readonly #unrequested: Plan[] = [];
  /** Bytes requested and neither handed out nor dropped. */
  #inFlight = 0;

  constructor(private readonly source: ChunkSource) {}

  /**
   * Announces that `chunks` (an item's list) will be wanted, after everything planned before;
   * `raw`: most likely as envelopes (takeRaw).
   */
  plan(chunks: readonly ChunkRef[], raw = false): void {
    if (chunks.length === 0) return;
    const plan: Plan = { key: chunks, raw, slots: chunks.map((ref) => ({ ref, raw })), requested: 0, consumed: 0 };
    this.#plans.push(plan);
    this.#unrequested.push(plan);
    this.#pump();
  }

  /** The plaintexts of a planned list, in order; null if it was not planned (read it directly). */
  take(chunks: readonly ChunkRef[]): AsyncIterable<Buffer> | null {
    const plan = this.#start(chunks);
    if (plan === null) return null;
    const stream = this.#consume(plan);
    return plan.raw ? this.#opened(plan, stream) : (stream as AsyncIterable<Buffer>);
  }

  /** The stored chunks of a list planned raw, in order; null if it was not planned so. */
  takeRaw(chunks: readonly ChunkRef[]): AsyncIterable<StoredChunk> | null {
    if (!this.#plans.some((p) => p.key === chunks && p.raw)) return null;
    return this.#consume(this.#start(chunks)!);
  }

  #start(chunks: readonly ChunkRef[]): Plan | null {
    if (chunks.length === 0) return null;
    const at = this.#plans.findIndex((p) => p.key === chunks);
    if (at < 0) return null;
    if (this.#current !== null) this.#drop(this.#current);
    for (let i = 0; i < at; i++) this.#drop(this.#plans.shift()!);
    const plan = this.#plans.shift()!;
    this.#current = plan;
    return plan;
  }

  async *#opened(plan: Plan, stored: AsyncIterable<StoredChunk>): AsyncGenerator<Buffer> {
    let index = 0;
    for await (const chunk of stored) {
      const id = plan.slots[index++]!.ref.id;
      const envelope = Buffer.isBuffer(chunk) ? chunk : await this.source.repository.get(id);
      yield await this.source.openChunk(id, envelope);
    }
  }

  async *#consume(plan: Plan): AsyncGenerator<Buffer | StoredChunk> {
    try {
      while (plan.consumed < plan.slots.length) {
        if (plan.requested === plan.consumed) this.#pump(true);
        const slot = plan.slots[plan.consumed]!;
        const data = await slot.result!;
        plan.consumed += 1;
        this.#inFlight -= slot.ref.size;
        slot.result = undefined; // the plaintext belongs to the writer now
        this.#pump();
        yield data;
      }
    } finally {
      if (this.#current === plan) {
        this.#drop(plan);
        this.#current = null;
        this.#pump();
      }
    }
  }

  /** Forgets what is left of a plan (fetches under way still finish, unread). */
  #drop(plan: Plan): void {
    for (let i = plan.consumed; i < plan.requested; i++) this.#inFlight -= plan.slots[i]!.ref.size;
    plan.consumed = plan.requested = plan.slots.length;
  }

  /** Requests chunks in plan order while the budget allows (`now`: even above the refill mark). */
  #pump(now = false): void {
    if (!now && this.#inFlight >= REFILL_BELOW) return;
    for (;;) {
      const group: Slot[] = [];
      let bytes = 0;
      fill: while (this.#unrequested.length > 0) {
        const plan = this.#unrequested[0]!;
        if (plan.requested === plan.slots.length) {
          this.#unrequested.shift();
          continue;
        }
        while (plan.requested < plan.slots.length) {
          const slot = plan.slots[plan.requested]!;
          const full = this.#inFlight + bytes + slot.ref.size > BUDGET && this.#inFlight + bytes > 0;
          if (full || group.length >= GROUP_CHUNKS || bytes >= GROUP_BYTES) break fill;
          slot.result = new Promise<Buffer | StoredChunk>((resolve) => {
            slot.settle = resolve;
          });
          // A failure is raised when its turn comes, or never for a dropped plan.
          slot.result.catch(() => undefined);
          group.push(slot);
          bytes += slot.ref.size;
          plan.requested += 1;
        }
      }
      if (group.length === 0) return;
      this.#inFlight += bytes;
      void this.#fetch(group);
    }
  }

  /** Reads and opens a group; a missing or damaged object fails only its own slot. */
  async #fetch(group: Slot[]): Promise<void> {
    const { repository } = this.source;
    if (repository.locate === undefined) return this.#read(group);
    // Raw slots of a local repository: where the objects lie is enough.
    const read = group.filter((s) => !s.raw);
    const located = group.filter((s) => s.raw);
    if (read.length > 0) void this.#read(read);
    if (located.length === 0) return;
    try {
      const places = await repository.locate(located.map((s) => s.ref.id));
      located.forEach((slot, i) => {
        const place = places[i];
        // No such object: get() raises the repository's error for it.
        settle(slot, place ? Promise.resolve(place) : repository.get(slot.ref.id));
      });
    } catch (error) {
      for (const slot of located) settle(slot, Promise.reject(error));
    }
  }

  async #read(group: Slot[]): Promise<void> {
    const { repository, openChunk } = this.source;
    let next = 0;
    while (next < group.length) {
      try {
        for await (const envelope of repository.getMany(group.slice(next).map((s) => s.ref.id))) {
          const slot = group[next++]!;
          settle(slot, slot.raw ? Promise.resolve(envelope) : (async (id: Buffer) => openChunk(id, envelope))(slot.ref.id));
        }
      } catch (error) {
        if (next < group.length) settle(group[next++]!, Promise.reject(error));
      }
    }
  }
}
