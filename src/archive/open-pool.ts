// Opening objects (MAC, decryption, decompression, id check) on several cores: for extraction the
// main thread reads, creates files and writes while worker threads open what it will write next;
// for check --verify-data the workers only report which objects fail.
// Jobs travel in batches, copied into one transferred buffer (one message per small chunk would
// cost more than opening it); each batch goes to the worker with the fewest bytes queued. A small
// file to extract can be handed over whole (writeFile): the worker opens its chunks and creates the
// file itself, so its plaintexts never come back to the main thread.
import type { Worker } from 'node:worker_threads';
import type { Key } from '../crypto/index.js';
import { BorgError, IntegrityError } from '../errors.js';
import { systemErrorOf } from '../platform/native.js';
import { startWorker } from '../platform/worker.js';
import type { ObjectLocation } from '../repository/repository.js';
import type { FileToWrite, OpenChunk, StoredChunk, WriteChunkAt, WriteFile } from './extract/chunk-reader.js';
import { JOB_FIELDS, LOCATION_FIELDS, RESULT_FIELDS, TARGET_FIELDS, WRITTEN_FIELDS, type FromOpenWorker, type OpenFailure, type ToOpenWorker } from './open-protocol.js';

/** A batch is sent once it holds this many jobs or bytes (or when the event loop turns). */
const BATCH_JOBS = 256;
const BATCH_BYTES = 4 << 20;
/** Batch buffers kept for reuse (about as many as are in flight), and their bytes at most. */
const MAX_FREE_BUFFERS = 4;
const MAX_FREE_BYTES = 16 << 20;
/** A new batch buffer's size at least. */
const MIN_BATCH_BUFFER = 64 * 1024;

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
  /** The plaintext, or for a job written where it belongs (writeChunkAt) its length. */
  resolve: (data: Buffer | number) => void;
  reject: (error: Error) => void;
  /** A file handed over whole: resolved with its bytes of content once written. */
  file?: { path: Buffer; resolve: (bytes: number) => void };
}

/** The batch being filled: ids and envelopes are copied in as they come (the caller may reuse its buffers). */
interface Batch {
  tasks: number[];
  jobs: number[];
  /** FILE_FIELDS per file (open-protocol.ts). */
  files: number[];
  /** TARGET_FIELDS per job once a job has a target (earlier jobs get -1). */
  targets: number[] | null;
  /** LOCATION_FIELDS per job once a job is read by the worker (earlier jobs get -1). */
  locations: number[] | null;
  /** Where each segment file's path is in `data`. */
  paths: Map<string, [number, number]>;
  data: Uint8Array;
  used: number;
  /** Bytes of work in the batch (envelopes, or the sizes of chunks the worker reads itself). */
  weight: number;
}

const NS = 1_000_000_000n;

/** What a job read by the worker counts for the load of that worker (its size is not known here). */
const LOCATED_LOAD = 64 * 1024;
const UTF8 = new TextEncoder();

function loadOf(chunk: StoredChunk): number {
  return Buffer.isBuffer(chunk) ? chunk.length : LOCATED_LOAD;
}

/** Bytes a chunk takes in a batch at most (a located one: its id and, the first time, its file's path). */
function batchBytesOf(chunk: StoredChunk): number {
  return Buffer.isBuffer(chunk) ? 32 + chunk.length : 32 + Buffer.byteLength(chunk.path);
}

function failureError(failure: OpenFailure, pending: Pending): Error {
  if ('bug' in failure) return new Error(`Cannot open a chunk: ${failure.bug}`);
  if ('errno' in failure) return systemErrorOf(failure.errno, failure.syscall, pending.file?.path);
  if (failure.integrity) return new IntegrityError(failure.error.message, { code: failure.error.code, exitCode: failure.error.exitCode, args: failure.error.args });
  return BorgError.fromJSON(failure.error);
}

export class OpenPool {
  readonly #key: Key;
  readonly #size: number;
  readonly #workers: Worker[] = [];
  readonly #load: number[] = [];
  readonly #pending = new Map<number, Pending>();
  #batch: Batch | null = null;
  #lastTarget = -1;
  /** The directory of the last file added to the batch. */
  #batchDir: Buffer | null = null;
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

  /** A WriteChunkAt for extractArchive. */
  get chunkWriter(): WriteChunkAt {
    return (id, envelope, fd, position, length, sparse) => this.writeChunkAt(id, envelope, fd, position, length, sparse);
  }

  /** A WriteFile for extractArchive. */
  get fileWriter(): WriteFile {
    return (file, ids, envelopes) => this.writeFile(file, ids, envelopes);
  }

  open(id: Buffer, envelope: Buffer): Promise<Buffer> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new Error('The chunk opening pool is closed'));
    if (this.#workers.length === 0) this.#start();
    const task = this.#nextTask++;
    return new Promise<Buffer>((resolve, reject) => {
      this.#pending.set(task, { worker: -1, bytes: envelope.length, resolve: resolve as (data: Buffer | number) => void, reject });
      const batch = this.#batchFor(32 + envelope.length);
      batch.tasks.push(task);
      batch.weight += envelope.length;
      this.#addJob(batch, task, id, envelope);
      this.#sendWhenFull(batch);
    });
  }

  /**
   * Opens a chunk of a big file and writes it at `position` of the open file `fd` in the worker;
   * resolves to its length. A plaintext that is not `length` bytes long (as the item recorded) is
   * not written but resolved as it is. With `sparse`, an all-zero chunk is left a hole.
   */
  writeChunkAt(id: Buffer, envelope: StoredChunk, fd: number, position: number, length: number, sparse: boolean): Promise<Buffer | number> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new Error('The chunk opening pool is closed'));
    if (this.#workers.length === 0) this.#start();
    const task = this.#nextTask++;
    return new Promise<Buffer | number>((resolve, reject) => {
      const weight = Buffer.isBuffer(envelope) ? envelope.length : length;
      this.#pending.set(task, { worker: -1, bytes: weight, resolve, reject });
      const batch = this.#batchFor(batchBytesOf(envelope));
      batch.tasks.push(task);
      batch.weight += weight;
      const targets = batch.targets ??= new Array<number>((batch.jobs.length / JOB_FIELDS) * TARGET_FIELDS).fill(-1);
      this.#addJob(batch, task, id, envelope);
      targets.splice(targets.length - TARGET_FIELDS, TARGET_FIELDS, fd, position, length, sparse ? 1 : 0);
      this.#sendWhenFull(batch);
    });
  }

  /**
   * Opens the chunks of a small file (`envelopes` of `ids`, in order) and creates it, in one worker;
   * resolves to its bytes of content. Fails like open() for a chunk, or with the system error of
   * creating the file (then it may exist in part).
   */
  writeFile(file: FileToWrite, ids: readonly Buffer[], envelopes: readonly StoredChunk[]): Promise<number> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new Error('The chunk opening pool is closed'));
    if (this.#workers.length === 0) this.#start();
    const task = this.#nextTask++;
    let bytes = 0;
    let need = file.path.length;
    for (const envelope of envelopes) {
      bytes += loadOf(envelope);
      need += batchBytesOf(envelope);
    }
    return new Promise<number>((resolve, reject) => {
      this.#pending.set(task, { worker: -1, bytes, resolve: () => undefined, reject, file: { path: file.path, resolve } });
      // Files are created holding their directory's lock: a batch ends where the directory changes,
      // so that the workers create files in different directories instead of queueing for one.
      const dir = file.path.subarray(0, file.path.lastIndexOf(0x2f) + 1);
      if (this.#batch !== null && this.#batchDir !== null && !this.#batchDir.equals(dir)) this.#flush();
      this.#batchDir = dir;
      const batch = this.#batchFor(need);
      batch.tasks.push(task);
      batch.weight += bytes;
      const firstJob = batch.jobs.length / JOB_FIELDS;
      for (let i = 0; i < ids.length; i++) this.#addJob(batch, 0, ids[i]!, envelopes[i]!);
      batch.data.set(file.path, batch.used);
      const atime = file.atimeNs / NS;
      const mtime = file.mtimeNs / NS;
      batch.files.push(
        task, firstJob, ids.length, batch.used, file.path.length, file.mode, file.uid, file.gid,
        Number(atime), Number(file.atimeNs - atime * NS), Number(mtime), Number(file.mtimeNs - mtime * NS),
      );
      batch.used += file.path.length;
      this.#sendWhenFull(batch);
    });
  }

  /** The batch to add `need` bytes to: the current one if they fit, else a new one. */
  #batchFor(need: number): Batch {
    const batch = this.#batch;
    if (batch !== null && batch.used + need > batch.data.length) {
      // A batch starts small (jobs read by the workers take a few bytes each) and grows to the
      // batch size; a full one is sent.
      if (batch.used + need <= this.#batchBytes || batch.data.length < this.#batchBytes) {
        const bigger = this.#buffer(Math.max(batch.used + need, Math.min(2 * batch.data.length, this.#batchBytes)));
        bigger.set(batch.data.subarray(0, batch.used));
        this.#recycle(batch.data.buffer as ArrayBuffer);
        batch.data = bigger;
      } else {
        this.#flush();
      }
    }
    return this.#batch ??= { tasks: [], jobs: [], files: [], targets: null, locations: null, paths: new Map(), data: this.#buffer(need), used: 0, weight: 0 };
  }

  #addJob(batch: Batch, task: number, id: Buffer, envelope: StoredChunk): void {
    batch.data.set(id, batch.used);
    if (Buffer.isBuffer(envelope)) {
      batch.data.set(envelope, batch.used + 32);
      batch.jobs.push(task, batch.used, batch.used + 32, envelope.length);
      batch.used += 32 + envelope.length;
      batch.locations?.push(-1, 0, 0, 0);
    } else {
      batch.jobs.push(task, batch.used, -1, 0);
      batch.used += 32;
      this.#addLocation(batch, envelope);
    }
    // Once the batch has targets, every job has a row: none (writeChunkAt fills in its own).
    batch.targets?.push(-1, 0, 0, 0);
  }

  #addLocation(batch: Batch, at: ObjectLocation): void {
    const locations = batch.locations ??= new Array<number>((batch.jobs.length / JOB_FIELDS - 1) * LOCATION_FIELDS).fill(-1);
    let path = batch.paths.get(at.path);
    if (path === undefined) {
      const length = UTF8.encodeInto(at.path, batch.data.subarray(batch.used)).written;
      path = [batch.used, length];
      batch.paths.set(at.path, path);
      batch.used += length;
    }
    locations.push(path[0], path[1], at.segment, at.offset);
  }

  #sendWhenFull(batch: Batch): void {
    // By weight too: jobs the workers read take a few bytes here, and a batch of big chunks sent to
    // one worker would leave the others idle.
    const full = batch.jobs.length / JOB_FIELDS >= BATCH_JOBS || batch.used >= this.#batchBytes || batch.weight >= this.#batchBytes / 2;
    if (full) this.#flush();
    else this.#flushScheduled ??= setImmediate(() => this.#flush());
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
    // The least loaded worker; among equals the one after the last chosen, so that batches that are
    // done before the next one comes still spread over all workers.
    const n = this.#load.length;
    let target = (this.#lastTarget + 1) % n;
    for (let k = 1; k < n; k++) {
      const i = (this.#lastTarget + 1 + k) % n;
      if (this.#load[i]! < this.#load[target]!) target = i;
    }
    this.#lastTarget = target;
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
    const message: ToOpenWorker = { type: 'open', jobs, data, keep: this.#keep };
    const transfer = [data, jobs.buffer as ArrayBuffer];
    if (batch.files.length > 0) {
      message.files = new Float64Array(batch.files);
      transfer.push(message.files.buffer as ArrayBuffer);
    }
    if (batch.targets !== null) {
      message.targets = new Float64Array(batch.targets);
      transfer.push(message.targets.buffer as ArrayBuffer);
    }
    if (batch.locations !== null) {
      message.locations = new Float64Array(batch.locations);
      transfer.push(message.locations.buffer as ArrayBuffer);
    }
    this.#workers[target]!.postMessage(message, transfer);
  }

  /** A batch buffer: one handed back by a worker if it is big enough, else a new one. */
  #buffer(need: number): Uint8Array {
    const i = this.#free.findIndex((b) => b.byteLength >= need);
    if (i >= 0) {
      const [free] = this.#free.splice(i, 1);
      this.#freeBytes -= free!.byteLength;
      return new Uint8Array(free!);
    }
    return new Uint8Array(Math.max(MIN_BATCH_BUFFER, need));
  }

  /** Keeps a batch buffer for reuse, within the limits. */
  #recycle(buffer: ArrayBuffer): void {
    if (this.#free.length < MAX_FREE_BUFFERS && this.#freeBytes + buffer.byteLength <= MAX_FREE_BYTES) {
      this.#free.push(buffer);
      this.#freeBytes += buffer.byteLength;
    }
  }

  #onMessage(msg: FromOpenWorker): void {
    const { results, buffers } = msg;
    if (msg.input !== undefined) this.#recycle(msg.input);
    for (let r = 0; r < results.length; r += RESULT_FIELDS) {
      const pending = this.#take(results[r]!);
      const length = results[r + 3]!;
      const buffer = results[r + 1]!;
      if (buffer < 0) pending?.resolve(length);
      else pending?.resolve(length === 0 ? Buffer.alloc(0) : Buffer.from(buffers[buffer]!, results[r + 2]!, length));
    }
    const written = msg.written;
    if (written !== undefined) {
      for (let r = 0; r < written.length; r += WRITTEN_FIELDS) this.#take(written[r]!)?.file?.resolve(written[r + 1]!);
    }
    for (const failure of msg.failures) {
      const pending = this.#take(failure.task);
      if (pending !== undefined) pending.reject(failureError(failure, pending));
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
