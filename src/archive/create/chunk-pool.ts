// A pool of chunk workers (one per core by default). The main thread hands out whole files with an
// IV range reserved for each; workers answer with sealed chunks in file order. With `workers: 0`
// the same ChunkProcessor runs inline on the main thread (borg's single-threaded behaviour).
import { cpus } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { IvCounter } from '../../crypto/nonces.js';
import { startWorker } from '../../platform/worker.js';
import { ChunkProcessor, type FileIdentity, type ProcessedChunk, type ProcessorSetup, type ReadOutcome } from './chunk-processor.js';
import type { FromWorker, ToWorker } from './chunk-worker-protocol.js';
import type { SharedTable } from './shared-chunk-lookup.js';

export interface FileTask {
  path: string | Buffer;
  identity: FileIdentity | null;
  ivStart: bigint;
  ivEnd: bigint;
  noatime: boolean;
  /**
   * Called for each batch of chunks, in file order, before the returned promise settles. The inline
   * pipeline waits for the returned promise before reading on (backpressure); workers do not wait.
   */
  onChunks: (chunks: ProcessedChunk[]) => void | Promise<void>;
}

/** A read error of one file, with the errno code of the failed call (ENOENT, EACCES, ...). */
export class FileReadError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'FileReadError';
  }
}

interface Pending {
  task: FileTask;
  resolve: (outcome: ReadOutcome) => void;
  reject: (error: Error) => void;
}

/** Default number of workers: the BORG_TS_WORKERS setting, else one per core. */
export function defaultWorkerCount(env: Record<string, string | undefined> = process.env): number {
  const configured = Number(env['BORG_TS_WORKERS']);
  if (Number.isInteger(configured) && configured >= 1) return configured;
  return Math.max(1, cpus().length);
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

export class ChunkPool {
  readonly #workers: Worker[] = [];
  readonly #load: number[] = [];
  readonly #pending = new Map<number, Pending>();
  readonly #inline: ChunkProcessor | null;
  #nextTask = 1;
  #inlineQueue: Promise<void> = Promise.resolve();
  #failure: Error | null = null;

  /**
   * `workers` ≤ 1 runs inline. `isKnown` answers for the inline processor; workers read `table`
   * (the chunk index's shared buckets) instead.
   */
  constructor(setup: ProcessorSetup, workers: number, isKnown: (id: Buffer) => boolean, table: SharedTable | null) {
    if (workers <= 1) {
      this.#inline = new ChunkProcessor(setup, isKnown);
      return;
    }
    this.#inline = null;
    for (let i = 0; i < workers; i++) {
      const worker = startWorker(new URL('./chunk-worker.js', import.meta.url));
      worker.on('message', (msg: FromWorker) => this.#onMessage(i, msg));
      worker.on('error', (e) => this.#fail(e));
      worker.on('exit', (code) => {
        if (code !== 0) this.#fail(new Error(`A chunk worker exited with code ${code}`));
      });
      worker.postMessage({ type: 'init', setup, table } satisfies ToWorker);
      this.#workers.push(worker);
      this.#load.push(0);
    }
  }

  get parallel(): boolean {
    return this.#inline === null;
  }

  /** Tells the workers about a resized chunk index. */
  updateTable(table: SharedTable): void {
    for (const w of this.#workers) w.postMessage({ type: 'table', table } satisfies ToWorker);
  }

  /** Tasks handed to workers and not finished yet. */
  get inFlight(): number {
    return this.#pending.size;
  }

  processFile(task: FileTask): Promise<ReadOutcome> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#inline) {
      // One processor, one chunker state: inline files are read strictly one after the other.
      const run = this.#inlineQueue.then(() => this.#processInline(this.#inline!, task));
      this.#inlineQueue = run.then(() => undefined, () => undefined);
      return run;
    }
    const id = this.#nextTask++;
    let target = 0;
    for (let i = 1; i < this.#load.length; i++) if (this.#load[i]! < this.#load[target]!) target = i;
    this.#load[target]!++;
    return new Promise<ReadOutcome>((resolve, reject) => {
      this.#pending.set(id, { task, resolve, reject });
      const msg: ToWorker = {
        type: 'file', task: id, path: task.path, dev: task.identity?.dev ?? null, ino: task.identity?.ino ?? null,
        ivStart: task.ivStart, ivEnd: task.ivEnd, noatime: task.noatime,
      };
      this.#workers[target]!.postMessage(msg);
    });
  }

  async #processInline(processor: ChunkProcessor, task: FileTask): Promise<ReadOutcome> {
    const batches = processor.fileChunks(task.path, task.identity, new IvCounter(task.ivStart, task.ivEnd), task.noatime);
    for (;;) {
      let next: IteratorResult<ProcessedChunk[], ReadOutcome>;
      try {
        next = batches.next();
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new FileReadError(err.code ?? 'Error', err.message);
      }
      if (next.done) return next.value;
      await task.onChunks(next.value);
    }
  }

  #onMessage(worker: number, msg: FromWorker): void {
    const pending = this.#pending.get(msg.task);
    if (!pending) return;
    if (msg.type === 'chunks') {
      try {
        const result = pending.task.onChunks(msg.chunks.map((c) => ({ id: asBuffer(c.id), size: c.size, csize: c.csize, envelope: c.envelope ? asBuffer(c.envelope) : null })));
        if (result) result.catch((e: Error) => this.#fail(e));
      } catch (e) {
        this.#fail(e as Error);
      }
      return;
    }
    this.#pending.delete(msg.task);
    this.#load[worker]!--;
    if (msg.type === 'done') pending.resolve({ size: msg.size, ctimeAfter: msg.ctimeAfter });
    else pending.reject(new FileReadError(msg.code, msg.message));
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
