// Opening objects for `check --verify-data` on several cores: MAC, decryption, decompression and the
// id hash are the expensive per-byte steps, so they run in worker threads while the main thread reads
// segments. With one worker (or few small objects) everything runs inline on the main thread.
import type { Key } from '../../crypto/index.js';
import type { ObjectCodec } from '../../crypto/object-codec.js';
import { IntegrityError } from '../../errors.js';
import { OpenPool } from '../open-pool.js';

export interface ObjectVerifier {
  /** Resolves to null for an intact object, else to the integrity error's message. */
  verify(id: Buffer, envelope: Buffer): Promise<string | null>;
  close(): Promise<void>;
}

/** Opens objects on the calling thread. */
export class InlineVerifier implements ObjectVerifier {
  constructor(private readonly codec: ObjectCodec) {}

  async verify(id: Buffer, envelope: Buffer): Promise<string | null> {
    try {
      this.codec.verify(id, envelope);
      return null;
    } catch (e) {
      if (e instanceof IntegrityError) return e.message;
      throw e;
    }
  }

  async close(): Promise<void> {}
}

/** Opens objects on worker threads (the shared open pool, without sending plaintexts back). */
export class WorkerVerifier implements ObjectVerifier {
  readonly #pool: OpenPool;

  constructor(key: Key, workers: number) {
    this.#pool = new OpenPool(key, workers, false, { batchBytes: BATCH_BYTES, youngGenerationMb: YOUNG_GENERATION_MB });
  }

  async verify(id: Buffer, envelope: Buffer): Promise<string | null> {
    try {
      await this.#pool.open(id, envelope);
      return null;
    } catch (e) {
      if (e instanceof IntegrityError) return e.message;
      throw e;
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/**
 * Bytes per batch sent to a worker: smaller than extract's, since nothing is sent back and only a
 * few batches per worker need to be on their way to keep it busy (less memory in flight).
 */
const BATCH_BYTES = 1 << 20;

/** A verifying worker keeps even fewer objects alive than an extracting one: collect more often. */
const YOUNG_GENERATION_MB = 1;

/** Objects per worker below which starting threads costs more than it saves. */
const OBJECTS_PER_WORKER = 2000;

/** Bytes opened inline after which threads pay off even for few (big) objects. */
const INLINE_BYTES = 32 << 20;

/**
 * Inline, then on `workers` threads once INLINE_BYTES have been opened: a repository of few but big
 * objects is as much work as one of many small ones.
 */
export class SwitchingVerifier implements ObjectVerifier {
  readonly #inline: InlineVerifier;
  #bytes = 0;
  #pool: WorkerVerifier | null = null;

  constructor(private readonly codec: ObjectCodec, private readonly workers: number) {
    this.#inline = new InlineVerifier(codec);
  }

  verify(id: Buffer, envelope: Buffer): Promise<string | null> {
    if (this.#pool !== null) return this.#pool.verify(id, envelope);
    this.#bytes += envelope.length;
    if (this.#bytes > INLINE_BYTES) this.#pool = new WorkerVerifier(this.codec.key, this.workers);
    return this.#inline.verify(id, envelope);
  }

  close(): Promise<void> {
    return this.#pool?.close() ?? Promise.resolve();
  }
}

/**
 * Threads worth starting for `objects` objects of about `bytes` bytes in all (1: open them inline):
 * up to `workers` for many objects, all of them for few but big ones.
 */
export function verifyThreads(workers: number, objects: number, bytes: number, perWorker = OBJECTS_PER_WORKER): number {
  if (workers < 2) return 1;
  const useful = Math.min(workers, perWorker > 0 ? Math.floor(objects / perWorker) : workers);
  if (useful >= 2) return useful;
  return bytes > INLINE_BYTES ? workers : 1;
}

/**
 * Inline on a single core; up to `workers` threads for many objects; for few objects inline, until
 * they turn out to be big.
 */
export function createVerifier(codec: ObjectCodec, workers: number, objects: number, perWorker = OBJECTS_PER_WORKER): ObjectVerifier {
  if (workers < 2) return new InlineVerifier(codec);
  const useful = Math.min(workers, perWorker > 0 ? Math.floor(objects / perWorker) : workers);
  return useful >= 2 ? new WorkerVerifier(codec.key, useful) : new SwitchingVerifier(codec, workers);
}
