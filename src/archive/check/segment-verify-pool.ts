// Worker threads that read and verify runs of objects straight from local segment files (see
// segment-verify-worker.ts). Jobs go to the worker with the fewest bytes queued; their outcomes come
// back per job, and the caller consumes them in job order. Started early, the workers first take
// the repository check's pass over the segments (warmSegmentScanner).
import type { Worker } from 'node:worker_threads';
import type { Key } from '../../crypto/index.js';
import { startWorker } from '../../platform/worker.js';
import type { SegmentScanner } from '../../repository/repository-check.js';
import { cutSegment, joinParts, type PartScan, type ScanPart } from './segment-scan.js';
import type { FromVerifyWorker, RangeJob, ToVerifyWorker } from './segment-verify-protocol.js';

export interface RangeOutcome {
  status: Uint8Array;
  sizes: Float64Array;
  messages: string[];
}

interface Pending {
  worker: number;
  bytes: number;
  resolve: (outcome: RangeOutcome) => void;
  reject: (error: Error) => void;
}

/** Like the open pool's verifying workers: they keep few JS objects alive. */
const YOUNG_GENERATION_MB = 8;

const WORKER_ENTRY = new URL('./segment-verify-worker.js', import.meta.url);

function startVerifyWorker(): Worker {
  return startWorker(WORKER_ENTRY, { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
}

/** Workers started ahead by warmUpVerifyWorkers, taken by the next pool. */
const warmWorkers: Worker[] = [];

/** Segment scans on the warm workers, by task id (negative: the pools' own tasks are positive). */
const scans = new Map<number, { worker: Worker; bytes: number; resolve: (scan: PartScan) => void; reject: (error: Error) => void }>();
const scanLoad = new Map<Worker, number>();
/** Scans running on each warm worker: while there are any, it keeps the process alive. */
const scansRunning = new Map<Worker, number>();
let nextScanTask = -1;
/** A part of a segment smaller than this is not worth a worker of its own. */
const MIN_SCAN_PART = 4 << 20;

function scanEnded(worker: Worker): void {
  const running = (scansRunning.get(worker) ?? 1) - 1;
  scansRunning.set(worker, running);
  // A pool that took the worker has ref'd it for its own jobs.
  if (running === 0 && warmWorkers.includes(worker)) worker.unref();
}

function onScanMessage(msg: FromVerifyWorker): void {
  const pending = scans.get(msg.task);
  if (pending === undefined) return;
  scans.delete(msg.task);
  scanEnded(pending.worker);
  scanLoad.set(pending.worker, scanLoad.get(pending.worker)! - pending.bytes);
  if ('scan' in msg) pending.resolve(msg.scan);
  else if ('failure' in msg) pending.reject(workerFailure(msg.failure));
}

function failScans(worker: Worker, error: Error): void {
  for (const [task, pending] of scans) {
    if (pending.worker !== worker) continue;
    scans.delete(task);
    scanEnded(worker);
    pending.reject(error);
  }
}

function workerFailure(failure: { message: string; code?: string }): Error {
  const error: NodeJS.ErrnoException = new Error(failure.message);
  if (failure.code !== undefined) error.code = failure.code;
  return error;
}

function scanOnWarmWorker(part: ScanPart, bytes: number): Promise<PartScan> {
  let worker = warmWorkers[0]!;
  for (const w of warmWorkers) if (scanLoad.get(w)! < scanLoad.get(worker)!) worker = w;
  const task = nextScanTask--;
  scanLoad.set(worker, scanLoad.get(worker)! + bytes);
  const running = scansRunning.get(worker) ?? 0;
  if (running === 0) worker.ref();
  scansRunning.set(worker, running + 1);
  return new Promise<PartScan>((resolve, reject) => {
    scans.set(task, { worker, bytes, resolve, reject });
    worker.postMessage({ type: 'scan', task, ...part } satisfies ToVerifyWorker);
  });
}

/**
 * The repository check's pass over the segments on the warm workers (they wait for the key
 * meanwhile), a big segment cut into one part per worker; undefined without at least two of them.
 */
export function warmSegmentScanner(): SegmentScanner | undefined {
  if (warmWorkers.length < 2) return undefined;
  return async (segment, path, size) => {
    const parts = cutSegment(segment, path, size, warmWorkers.length, MIN_SCAN_PART);
    const scanned = await Promise.all(parts.map((part) => scanOnWarmWorker(part, Math.min(part.to, size) - part.start)));
    return joinParts(scanned, (start) => scanOnWarmWorker({ segment, path, start, find: false, to: Infinity }, size - start));
  };
}

/**
 * Starts `count` workers now, so that their start-up overlaps the repository check; the next pool
 * takes them. They do not keep the process alive while waiting.
 */
export function warmUpVerifyWorkers(count: number): void {
  while (count > 1 && warmWorkers.length < count) {
    const worker = startVerifyWorker();
    // A failure fails the scans waiting for it, and shows again when the pool uses the worker.
    worker.on('error', (e) => failScans(worker, e));
    worker.on('exit', (code) => failScans(worker, new Error(`A verifying worker exited with code ${code}`)));
    worker.on('message', onScanMessage);
    // After the listeners: a message listener would hold the process open. Scans ref it while they run.
    worker.unref();
    scanLoad.set(worker, 0);
    warmWorkers.push(worker);
  }
}

export class SegmentVerifyPool {
  readonly #workers: Worker[] = [];
  readonly #load: number[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextTask = 1;
  #failure: Error | null = null;

  constructor(key: Key, workers: number) {
    const { mode, material } = key;
    for (let i = 0; i < workers; i++) {
      const worker = warmWorkers.shift() ?? startVerifyWorker();
      worker.ref();
      worker.on('message', (msg: FromVerifyWorker) => this.#onMessage(msg));
      worker.on('error', (e) => this.#fail(e));
      worker.on('exit', (code) => {
        if (code !== 0) this.#fail(new Error(`A verifying worker exited with code ${code}`));
      });
      worker.postMessage({ type: 'init', mode, material: { ...material } } satisfies ToVerifyWorker);
      this.#workers.push(worker);
      this.#load.push(0);
    }
  }

  /** Verifies the objects at `offsets` of segment file `path`; `bytes` weighs the job for balancing. */
  verify(segment: number, path: string, offsets: Float64Array, ids: Uint8Array, bytes: number): Promise<RangeOutcome> {
    if (this.#failure) return Promise.reject(this.#failure);
    let target = 0;
    for (let i = 1; i < this.#load.length; i++) if (this.#load[i]! < this.#load[target]!) target = i;
    const task = this.#nextTask++;
    this.#load[target]! += bytes;
    return new Promise<RangeOutcome>((resolve, reject) => {
      this.#pending.set(task, { worker: target, bytes, resolve, reject });
      const job: RangeJob = { task, segment, path, offsets, ids };
      this.#workers[target]!.postMessage({ type: 'range', ...job } satisfies ToVerifyWorker, [offsets.buffer as ArrayBuffer, ids.buffer as ArrayBuffer]);
    });
  }

  #onMessage(msg: FromVerifyWorker): void {
    const pending = this.#pending.get(msg.task);
    if (pending === undefined) return;
    this.#pending.delete(msg.task);
    this.#load[pending.worker]! -= pending.bytes;
    if ('failure' in msg) pending.reject(workerFailure(msg.failure));
    else if ('status' in msg) pending.resolve({ status: msg.status, sizes: msg.sizes, messages: msg.messages });
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
