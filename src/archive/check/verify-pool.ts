// Opening objects for `check --verify-data` on several cores: MAC, decryption, decompression and the
// id hash are the expensive per-byte steps, so they run in worker threads while the main thread reads
// segments. With one worker (or few objects) everything runs inline on the main thread.
import type { Worker } from 'node:worker_threads';
import type { Key } from '../../crypto/index.js';
import type { ObjectCodec } from '../../crypto/object-codec.js';
import { IntegrityError } from '../../errors.js';
import { startWorker } from '../../platform/worker.js';
import type { FromVerifyWorker, ToVerifyWorker } from './verify-protocol.js';

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

interface Pending {
  worker: number;
  resolve: (error: string | null) => void;
  reject: (error: Error) => void;
}

export class WorkerVerifier implements ObjectVerifier {
  readonly #workers: Worker[] = [];
  readonly #load: number[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextTask = 1;
  #failure: Error | null = null;

  constructor(key: Key, workers: number) {
    for (let i = 0; i < workers; i++) {
      const worker = startWorker(new URL('./verify-worker.js', import.meta.url));
      worker.on('message', (msg: FromVerifyWorker) => this.#onMessage(msg));
      worker.on('error', (e) => this.#fail(e));
      worker.on('exit', (code) => {
        if (code !== 0) this.#fail(new Error(`A verify worker exited with code ${code}`));
      });
      worker.postMessage({ type: 'init', mode: key.mode, material: key.material } satisfies ToVerifyWorker);
      this.#workers.push(worker);
      this.#load.push(0);
    }
  }

  verify(id: Buffer, envelope: Buffer): Promise<string | null> {
    if (this.#failure) return Promise.reject(this.#failure);
    let target = 0;
    for (let i = 1; i < this.#load.length; i++) if (this.#load[i]! < this.#load[target]!) target = i;
    this.#load[target]! += 1;
    const task = this.#nextTask++;
    return new Promise((resolve, reject) => {
      this.#pending.set(task, { worker: target, resolve, reject });
      // A copy (cheap next to decryption) can be transferred without detaching the caller's buffer.
      const data = new Uint8Array(envelope);
      const msg: ToVerifyWorker = { type: 'verify', task, id: new Uint8Array(id), envelope: data };
      this.#workers[target]!.postMessage(msg, [data.buffer as ArrayBuffer]);
    });
  }

  #onMessage(msg: FromVerifyWorker): void {
    const pending = this.#pending.get(msg.task);
    if (!pending) return;
    this.#pending.delete(msg.task);
    this.#load[pending.worker]! -= 1;
    if (msg.bug) pending.reject(new Error(`Cannot verify an object: ${msg.error}`));
    else pending.resolve(msg.error);
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#workers.length = 0;
  }
}

/** Objects per worker below which starting threads costs more than it saves. */
const OBJECTS_PER_WORKER = 2000;

/** Inline for small repositories or a single core, else up to `workers` threads. */
export function createVerifier(codec: ObjectCodec, workers: number, objects: number, perWorker = OBJECTS_PER_WORKER): ObjectVerifier {
  const useful = Math.min(workers, perWorker > 0 ? Math.floor(objects / perWorker) : workers);
  return useful >= 2 ? new WorkerVerifier(codec.key, useful) : new InlineVerifier(codec);
}
