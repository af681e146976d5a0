// Opening objects for `check --verify-data` on several cores: MAC, decryption, decompression and the
// id hash are the expensive per-byte steps, so they run in worker threads while the main thread reads
// segments. With one worker (or few objects) everything runs inline on the main thread.
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
      this.codec.unpack(id, envelope);
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
    this.#pool = new OpenPool(key, workers, false);
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

/** Objects per worker below which starting threads costs more than it saves. */
const OBJECTS_PER_WORKER = 2000;

/** Inline for small repositories or a single core, else up to `workers` threads. */
export function createVerifier(codec: ObjectCodec, workers: number, objects: number, perWorker = OBJECTS_PER_WORKER): ObjectVerifier {
  const useful = Math.min(workers, perWorker > 0 ? Math.floor(objects / perWorker) : workers);
  return useful >= 2 ? new WorkerVerifier(codec.key, useful) : new InlineVerifier(codec);
}
