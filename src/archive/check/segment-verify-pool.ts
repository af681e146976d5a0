// Worker threads that read and verify runs of objects straight from local segment files (see
// segment-verify-worker.ts). Jobs go to the worker with the fewest bytes queued; their outcomes come
// back per job, and the caller consumes them in job order.
import type { Worker } from 'node:worker_threads';
import type { Key } from '../../crypto/index.js';
import { startWorker } from '../../platform/worker.js';
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
const YOUNG_GENERATION_MB = 1;

const WORKER_ENTRY = new URL('./segment-verify-worker.js', import.meta.url);

function startVerifyWorker(): Worker {
  return startWorker(WORKER_ENTRY, { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
}

/** Workers started ahead by warmUpVerifyWorkers, taken by the next pool. */
const warmWorkers: Worker[] = [];

/**
 * Starts `count` workers now, so that their start-up overlaps the repository check; the next pool
 * takes them. They do not keep the process alive while waiting.
 */
export function warmUpVerifyWorkers(count: number): void {
  while (count > 1 && warmWorkers.length < count) {
    const worker = startVerifyWorker();
    worker.unref();
    worker.on('error', () => {}); // a failure shows again when the pool uses it
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
    if ('failure' in msg) {
      const error: NodeJS.ErrnoException = new Error(msg.failure.message);
      if (msg.failure.code !== undefined) error.code = msg.failure.code;
      pending.reject(error);
    } else {
      pending.resolve({ status: msg.status, sizes: msg.sizes, messages: msg.messages });
    }
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
