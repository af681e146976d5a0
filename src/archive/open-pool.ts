// Opening objects (MAC, decryption, decompression, id check) on several cores: for extraction the
// main thread reads, creates files and writes while worker threads open what it will write next;
// for check --verify-data the workers only report which objects fail.
// Jobs travel in batches, copied into one transferred buffer (one message per small chunk would
// cost more than opening it); each batch goes to the worker with the fewest bytes queued.
import type { Worker } from 'node:worker_threads';
import type { Key } from '../crypto/index.js';
import { BorgError, IntegrityError } from '../errors.js';
import { startWorker } from '../platform/worker.js';
import type { OpenChunk } from './extract/chunk-reader.js';
import { RESULT_FIELDS, type FromOpenWorker, type ToOpenWorker } from './open-protocol.js';

/** A batch is sent once it holds this many jobs or bytes (or when the event loop turns). */
const BATCH_JOBS = 256;
const BATCH_BYTES = 4 << 20;
/** Batch buffers kept for reuse (about as many as are in flight), and their bytes at most. */
const MAX_FREE_BUFFERS = 4;
const MAX_FREE_BYTES = 16 << 20;

/**
 * A worker keeps few JS objects alive: a small young generation makes it collect (and free the
 * buffers of finished jobs) more often, which lowers the peak RSS for the same speed.
 */
const WORKER_YOUNG_GENERATION_MB = 4;

export interface OpenPoolOptions {
  /** A batch is sent once it holds this many bytes (default 4 MiB). */
  batchBytes?: number;
  /** Young generation of each worker in MiB (default 4). */
  youngGenerationMb?: number;
}

interface Pending {
  worker: number;
  bytes: number;
  resolve: (data: Buffer) => void;
  reject: (error: Error) => void;
}

/** The batch being filled: ids and envelopes are copied in as they come (the caller may reuse its buffers). */
interface Batch {
  tasks: number[];
  jobs: number[];
  data: Uint8Array;
  used: number;
}

export class OpenPool {
  readonly #key: Key;
  readonly #size: number;
  readonly #workers: Worker[] = [];
  readonly #load: number[] = [];
  readonly #pending = new Map<number, Pending>();
  #batch: Batch | null = null;
  /** Batch buffers handed back by the workers (verification only), ready for reuse. */
  readonly #free: ArrayBuffer[] = [];
  #freeBytes = 0;
  #flushScheduled: NodeJS.Immediate | null = null;
  #nextTask = 1;
  #failure: Error | null = null;
  /** After close(): read-ahead still finishing must not start the threads again (they would keep the process alive). */
  #closed = false;

  readonly #keep: boolean;
  readonly #batchBytes: number;
  readonly #youngGenerationMb: number;

  /**
   * Threads start with the first object, so that opening nothing (or little) costs nothing.
   * `keep` false: plaintexts are not sent back (open() then resolves to an empty buffer).
   */
  constructor(key: Key, workers: number, keep = true, options: OpenPoolOptions = {}) {
    this.#batchBytes = options.batchBytes ?? BATCH_BYTES;
    this.#youngGenerationMb = options.youngGenerationMb ?? WORKER_YOUNG_GENERATION_MB;
    this.#key = key;
    this.#size = workers;
    this.#keep = keep;
  }

  /** An OpenChunk for extractArchive. */
  get opener(): OpenChunk {
    return (id, envelope) => this.open(id, envelope);
  }

  open(id: Buffer, envelope: Buffer): Promise<Buffer> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new Error('The chunk opening pool is closed'));
    if (this.#workers.length === 0) this.#start();
    const task = this.#nextTask++;
    return new Promise<Buffer>((resolve, reject) => {
      this.#pending.set(task, { worker: -1, bytes: envelope.length, resolve, reject });
      const need = 32 + envelope.length;
      if (this.#batch !== null && this.#batch.used + need > this.#batch.data.length) this.#flush();
      const batch = this.#batch ??= { tasks: [], jobs: [], data: this.#buffer(need), used: 0 };
      batch.data.set(id, batch.used);
      batch.data.set(envelope, batch.used + 32);
      batch.tasks.push(task);
      batch.jobs.push(task, batch.used, batch.used + 32, envelope.length);
      batch.used += need;
      if (batch.tasks.length >= BATCH_JOBS || batch.used >= this.#batchBytes) this.#flush();
      else this.#flushScheduled ??= setImmediate(() => this.#flush());
    });
  }

  #start(): void {
    const { mode, material } = this.#key;
    for (let i = 0; i < this.#size; i++) {
      const worker = startWorker(new URL('./open-worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: this.#youngGenerationMb } });
      worker.on('message', (msg: FromOpenWorker) => this.#onMessage(msg));
      worker.on('error', (e) => this.#fail(e));
      worker.on('exit', (code) => {
        if (code !== 0) this.#fail(new Error(`A chunk opening worker exited with code ${code}`));
      });
      worker.postMessage({ type: 'init', mode, material: { ...material } } satisfies ToOpenWorker);
      this.#workers.push(worker);
      this.#load.push(0);
    }
  }

  /** Sends the batch (ids and envelopes in one transferred buffer) to the least loaded worker. */
  #flush(): void {
    if (this.#flushScheduled !== null) clearImmediate(this.#flushScheduled);
    this.#flushScheduled = null;
    const batch = this.#batch;
    this.#batch = null;
    if (batch === null || this.#failure) return;
    let target = 0;
    for (let i = 1; i < this.#load.length; i++) if (this.#load[i]! < this.#load[target]!) target = i;
    let bytes = 0;
    for (const task of batch.tasks) {
      const pending = this.#pending.get(task);
      if (pending === undefined) continue;
      pending.worker = target;
      bytes += pending.bytes;
    }
    this.#load[target]! += bytes;
    // Transferred whole: the worker reads only what the jobs point at, and the unused end was never touched.
    const data = batch.data.buffer as ArrayBuffer;
    const jobs = new Float64Array(batch.jobs);
    this.#workers[target]!.postMessage({ type: 'open', jobs, data, keep: this.#keep } satisfies ToOpenWorker, [data, jobs.buffer as ArrayBuffer]);
  }

  /** A batch buffer: one handed back by a worker if it is big enough, else a new one. */
  #buffer(need: number): Uint8Array {
    const i = this.#free.findIndex((b) => b.byteLength >= need);
    if (i >= 0) {
      const [free] = this.#free.splice(i, 1);
      this.#freeBytes -= free!.byteLength;
      return new Uint8Array(free!);
    }
    return new Uint8Array(Math.max(this.#batchBytes, need));
  }

  #onMessage(msg: FromOpenWorker): void {
    const { results, buffers } = msg;
    if (msg.input !== undefined && this.#free.length < MAX_FREE_BUFFERS && this.#freeBytes + msg.input.byteLength <= MAX_FREE_BYTES) {
      this.#free.push(msg.input);
      this.#freeBytes += msg.input.byteLength;
    }
    for (let r = 0; r < results.length; r += RESULT_FIELDS) {
      const pending = this.#take(results[r]!);
      const length = results[r + 3]!;
      pending?.resolve(length === 0 ? Buffer.alloc(0) : Buffer.from(buffers[results[r + 1]!]!, results[r + 2]!, length));
    }
    for (const failure of msg.failures) {
      const pending = this.#take(failure.task);
      if (pending === undefined) continue;
      if ('bug' in failure) pending.reject(new Error(`Cannot open a chunk: ${failure.bug}`));
      else if (failure.integrity) pending.reject(new IntegrityError(failure.error.message, { code: failure.error.code, exitCode: failure.error.exitCode, args: failure.error.args }));
      else pending.reject(BorgError.fromJSON(failure.error));
    }
  }

  #take(task: number): Pending | undefined {
    const pending = this.#pending.get(task);
    if (pending === undefined) return undefined;
    this.#pending.delete(task);
    this.#load[pending.worker]! -= pending.bytes;
    return pending;
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#flushScheduled !== null) clearImmediate(this.#flushScheduled);
    this.#flushScheduled = null;
    await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#workers.length = 0;
  }
}
