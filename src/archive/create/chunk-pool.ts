// A pool of chunk workers (one per core by default). The main thread hands out whole files with an
// IV range reserved for each; workers answer with sealed chunks in file order. Files are sent in
// batches (small files would otherwise cost more in messages than in work), each batch to the
// worker with the fewest bytes queued. With `workers` ≤ 1 the same ChunkProcessor runs inline on
// the main thread (borg's single-threaded behaviour).
import { cpus } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { IvCounter } from '../../crypto/nonces.js';
import { startWorker } from '../../platform/worker.js';
import { ChunkProcessor, growthAllowance, ivBlocksBound, type ByteRange, type FileIdentity, type OpenOptions, type ProcessedChunk, type ProcessorSetup, type ReadOutcome } from './chunk-processor.js';
import { LOOKAHEAD_CHUNKS, readSplit } from './split-file.js';

/** How big files are split among workers; tests make the parts small. */
export interface SplitOptions {
  segmentBytes?: number;
  lookahead?: number;
}
import { encodeJobs, unpackChunk, type FileJobMessage, type FromWorker, type ToWorker } from './chunk-worker-protocol.js';
import { rememberPutHeader } from '../../repository/segment-format.js';
import type { SharedTable } from './shared-chunk-lookup.js';

export interface FileTask {
  path: string | Buffer;
  identity: FileIdentity | null;
  ivStart: bigint;
  ivEnd: bigint;
  noatime: boolean;
  /** Expected bytes (the file's size), for batching and balancing; devices and fifos: unknown. */
  sizeHint?: number;
  /** --read-special: a device or fifo, opened blocking; `follow` through a symlink to it. */
  special?: boolean;
  follow?: boolean;
  /**
   * Called for each batch of chunks, in file order, before the returned promise settles. The inline
   * pipeline waits for the returned promise before reading on; a worker waits (blocking, on shared
   * credits) once the envelopes it sent but the returned promises did not finish exceed a limit.
   */
  onChunks: (chunks: ProcessedChunk[]) => void | Promise<void>;
  /**
   * Reserves IVs for one part of a file the pool splits among its workers (see `splits`); the
   * task's own ivStart/ivEnd are then not used.
   */
  reserveIvs?: (blocks: number) => Promise<[bigint, bigint]>;
}

/**
 * A read error of one file, with the errno code of the failed call (ENOENT, EACCES, ...; or
 * FileChanged) and, for system errors, the call (open, read, fstat).
 */
export class FileReadError extends Error {
  constructor(readonly code: string, message: string, readonly errno?: number, readonly syscall?: string) {
    super(message);
    this.name = 'FileReadError';
  }
}

/** Envelope bytes a worker may have sent and not yet seen stored before it waits. */
const CREDIT_LIMIT = 8 << 20;
/** A batch is sent once it holds this many files or bytes (or when the event loop turns). */
const BATCH_FILES = 64;
const BATCH_BYTES = 4 << 20;
/** Size assumed for files of unknown size when balancing. */
const UNKNOWN_SIZE = 64 << 20;
/**
 * Segment size when a big file is split among the workers (split-file.ts): big enough that the
 * look-ahead and the join cost little, small enough to keep every worker busy and the chunks held
 * for a segment not yet joined bounded. Rounded to a multiple of the largest chunk, so that runs of
 * max-size chunks (zeros) join at the segment start.
 */
const SEGMENT_BYTES = 32 << 20;

interface Pending {
  task: FileTask;
  resolve: (outcome: ReadOutcome) => void;
  reject: (error: Error) => void;
  worker: number;
  bytes: number;
}

const WORKER_ENTRY = new URL('./chunk-worker.js', import.meta.url);

/** Workers started ahead by warmUpChunkWorkers, taken by the next pool. */
const warmWorkers: Worker[] = [];

/**
 * Starts `count` chunk workers now, so that their start-up (loading their modules takes a few
 * hundred ms) overlaps opening the repository and the cache; the next ChunkPool takes them. They do
 * not keep the process alive while waiting.
 */
export function warmUpChunkWorkers(count: number): void {
  while (count > 1 && warmWorkers.length < count) {
    const worker = startWorker(WORKER_ENTRY);
    worker.unref();
    worker.on('error', () => {}); // a failure shows again when the pool uses it
    warmWorkers.push(worker);
  }
}

/** Default number of workers: the BORG_TS_WORKERS setting, else one per core. */
export function defaultWorkerCount(env: Record<string, string | undefined> = process.env): number {
  const configured = Number(env['BORG_TS_WORKERS']);
  if (Number.isInteger(configured) && configured >= 1) return configured;
  return Math.max(1, cpus().length);
}

function openOptions(task: FileTask): OpenOptions {
  return { noatime: task.noatime, special: task.special ?? false, follow: task.follow ?? false };
}

export class ChunkPool {
  readonly #workers: Worker[] = [];
  /** Bytes of the unfinished files each worker was given. */
  readonly #load: number[] = [];
  readonly #pending = new Map<number, Pending>();
  readonly #inline: ChunkProcessor | null;
  readonly #credits: Int32Array;
  #batch: FileJobMessage[] = [];
  #batchBytes = 0;
  #flushScheduled: NodeJS.Immediate | null = null;
  #nextTask = 1;
  #inlineQueue: Promise<void> = Promise.resolve();
  #failure: Error | null = null;
  readonly #setup: ProcessorSetup;
  readonly #segmentBytes: number;
  /** Largest chunk of the buzhash chunker; 0 with the fixed chunker, whose files are not split. */
  readonly #maxChunk: number;
  readonly #lookahead: number;

  /**
   * `workers` ≤ 1 runs inline. `isKnown` answers for the inline processor; workers read `table`
   * (the chunk index's shared buckets) instead.
   */
  constructor(setup: ProcessorSetup, workers: number, isKnown: (id: Buffer) => boolean, table: SharedTable | null, split: SplitOptions = {}) {
    this.#setup = setup;
    const segmentBytes = split.segmentBytes ?? SEGMENT_BYTES;
    this.#lookahead = split.lookahead ?? LOOKAHEAD_CHUNKS;
    const p = setup.chunkerParams;
    this.#maxChunk = p.algorithm === 'buzhash' ? 2 ** p.maxExp : 0;
    this.#segmentBytes = this.#maxChunk > 0 ? Math.max(1, Math.round(segmentBytes / this.#maxChunk)) * this.#maxChunk : 0;
    this.#credits = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, workers)));
    if (workers <= 1) {
      this.#inline = new ChunkProcessor(setup, isKnown);
      return;
    }
    this.#inline = null;
    for (let i = 0; i < workers; i++) {
      const worker = warmWorkers.shift() ?? startWorker(WORKER_ENTRY);
      worker.ref();
      worker.on('message', (msg: FromWorker) => this.#onMessage(i, msg));
      worker.on('error', (e) => this.#fail(e));
      worker.on('exit', (code) => {
        if (code !== 0) this.#fail(new Error(`A chunk worker exited with code ${code}`));
      });
      worker.postMessage({ type: 'init', setup, table, credits: this.#credits.buffer as SharedArrayBuffer, index: i, creditLimit: CREDIT_LIMIT } satisfies ToWorker);
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

  /**
   * Whether a regular file of `size` bytes is read by several workers at once (split-file.ts): with
   * workers, the buzhash chunker and at least two segments. Such a task needs `reserveIvs`.
   */
  splits(size: number, special: boolean): boolean {
    return this.#inline === null && !special && this.#segmentBytes > 0 && size >= 2 * this.#segmentBytes;
  }

  processFile(task: FileTask): Promise<ReadOutcome> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#inline) {
      // One processor, one chunker state: inline files are read strictly one after the other.
      const run = this.#inlineQueue.then(() => this.#processInline(this.#inline!, task));
      this.#inlineQueue = run.then(() => undefined, () => undefined);
      return run;
    }
    const size = task.sizeHint ?? 0;
    const reserve = task.reserveIvs;
    if (reserve && this.splits(size, task.special ?? false)) {
      const { chunkerParams, compression } = this.#setup;
      return readSplit(size, { segmentBytes: this.#segmentBytes, ahead: 1, lookahead: this.#lookahead }, {
        readSegment: async (range, onChunks) => {
          // A middle part seals at most its length plus the chunk crossing its end; the last part
          // gets room for growth, like a whole file.
          const bytes = range.end !== null ? range.end - range.start + this.#maxChunk : size - range.start + growthAllowance(size);
          const [ivStart, ivEnd] = await reserve(ivBlocksBound(bytes, chunkerParams, compression));
          const length = range.end !== null ? range.end - range.start : size - range.start;
          return this.#submit({ ...task, ivStart, ivEnd, sizeHint: length, onChunks }, range);
        },
      }, task.onChunks);
    }
    return this.#submit(task, null);
  }

  /** Queues a file (or a part of one) for the worker with the least work. */
  #submit(task: FileTask, range: ByteRange | null): Promise<ReadOutcome> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextTask++;
    const bytes = task.sizeHint ?? UNKNOWN_SIZE;
    return new Promise<ReadOutcome>((resolve, reject) => {
      this.#pending.set(id, { task, resolve, reject, worker: -1, bytes });
      this.#batch.push({
        task: id, path: task.path, dev: task.identity?.dev ?? null, ino: task.identity?.ino ?? null,
        ivStart: task.ivStart, ivEnd: task.ivEnd, open: openOptions(task), range,
      });
      this.#batchBytes += bytes;
      if (this.#batch.length >= BATCH_FILES || this.#batchBytes >= BATCH_BYTES) this.#flush();
      else this.#flushScheduled ??= setImmediate(() => this.#flush());
    });
  }

  /** Sends the batch to the worker with the least work queued. */
  #flush(): void {
    if (this.#flushScheduled !== null) clearImmediate(this.#flushScheduled);
    this.#flushScheduled = null;
    if (this.#batch.length === 0 || this.#failure) return;
    let target = 0;
    for (let i = 1; i < this.#load.length; i++) if (this.#load[i]! < this.#load[target]!) target = i;
    for (const job of this.#batch) this.#pending.get(job.task)!.worker = target;
    this.#load[target]! += this.#batchBytes;
    const jobs = encodeJobs(this.#batch);
    this.#workers[target]!.postMessage({ type: 'files', jobs } satisfies ToWorker, [jobs.numbers.buffer as ArrayBuffer, jobs.bigints.buffer as ArrayBuffer, jobs.paths.buffer as ArrayBuffer]);
    this.#batch = [];
    this.#batchBytes = 0;
  }

  async #processInline(processor: ChunkProcessor, task: FileTask): Promise<ReadOutcome> {
    const batches = processor.fileChunks(task.path, task.identity, new IvCounter(task.ivStart, task.ivEnd), openOptions(task));
    for (;;) {
      let next: IteratorResult<ProcessedChunk[], ReadOutcome>;
      try {
        next = batches.next();
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new FileReadError(err.code ?? err.name, err.message, err.errno, err.syscall);
      }
      if (next.done) return next.value;
      await task.onChunks(next.value);
    }
  }

  #onMessage(worker: number, msg: FromWorker): void {
    const stored: Promise<void>[] = [];
    const pack = Buffer.from(msg.pack);
    try {
      for (const result of msg.results) {
        const pending = this.#pending.get(result.task);
        if (!pending) continue;
        if (result.kind === 'chunks') {
          const chunks = result.chunks.map((wire) => {
            const { putHeader, ...chunk } = unpackChunk(msg, pack, wire);
            // The worker computed the segment entry's header and CRC: storing the envelope locally copies nothing.
            if (putHeader !== null) rememberPutHeader(chunk.envelope!, putHeader);
            return chunk;
          });
          const done = pending.task.onChunks(chunks);
          if (done) stored.push(done);
          continue;
        }
        this.#pending.delete(result.task);
        this.#load[worker]! -= pending.bytes;
        if (result.kind === 'done') pending.resolve({ size: result.size, ctimeAfter: result.ctimeAfter, truncated: result.truncated, eof: result.eof });
        else pending.reject(new FileReadError(result.code, result.message, result.errno, result.syscall));
      }
    } catch (e) {
      this.#fail(e as Error);
      return;
    }
    // The worker may send more once these envelopes are stored.
    const release = () => {
      Atomics.sub(this.#credits, worker, msg.bytes);
      Atomics.notify(this.#credits, worker);
    };
    if (stored.length === 0) release();
    else Promise.all(stored).then(release, (e: Error) => this.#fail(e));
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }

  async close(): Promise<void> {
    if (this.#flushScheduled !== null) clearImmediate(this.#flushScheduled);
    this.#flushScheduled = null;
    await Promise.all(this.#workers.map((w) => w.terminate()));
    this.#workers.length = 0;
  }
}
