// An IvSource for a writing session: hands out IVs synchronously from a reserved range and refills
// the range (through the NonceManager's durable reservation) before it can run dry.
import { IvCounter, type IvSource, type NonceManager } from './nonces.js';
import { MAX_PAYLOAD_BLOCKS } from './object-codec.js';

/** Blocks reserved per refill: 16 Mi blocks = 256 MiB of payload between two reservations. */
const DEFAULT_BATCH_BLOCKS = 1 << 24;

export class IvSupply implements IvSource {
  readonly #manager: NonceManager;
  readonly #batchBlocks: number;
  #counter: IvCounter | null = null;

  constructor(manager: NonceManager, batchBlocks = DEFAULT_BATCH_BLOCKS) {
    this.#manager = manager;
    this.#batchBlocks = Math.max(batchBlocks, MAX_PAYLOAD_BLOCKS);
  }

  /** Makes sure the next `take(blocks)` calls for up to `blocks` blocks in total cannot fail. */
  async ensure(blocks: number = MAX_PAYLOAD_BLOCKS): Promise<void> {
    if (this.#counter?.canTake(blocks)) return;
    const range = await this.#manager.reserveRange(Math.max(blocks, this.#batchBlocks));
    if (this.#counter === null) this.#counter = IvCounter.fromRange(range);
    else this.#counter.refill(range);
  }

  /** Hands out a whole range, e.g. for a worker thread that seals on its own. */
  async reserveRange(blocks: number): Promise<IvCounter> {
    return IvCounter.fromRange(await this.#manager.reserveRange(blocks));
  }

  take(blocks: number): bigint {
    if (this.#counter === null) throw new Error('IvSupply.take() called before ensure()');
    return this.#counter.take(blocks);
  }
}
