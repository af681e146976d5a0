// Long work (building indexes, computing statistics, restoring) runs as jobs: the request that
// starts one gets its id at once, and every change of its state is pushed to the pages over
// Server-Sent Events (/api/events). Updates of one job are sent at most ten times a second.
import type { ServerResponse } from 'node:http';
import { errorResponse } from './errors.js';

export type JobStatus = 'running' | 'done' | 'failed';

export interface JobState {
  id: string;
  kind: string;
  /** What the job works on, e.g. "index 0 archive-1"; one running job per key. */
  key: string;
  title: string;
  status: JobStatus;
  current: number;
  total: number;
  message: string;
  error?: string;
  result?: unknown;
}

export interface JobControl {
  progress(current: number, total: number, message?: string): void;
  readonly signal: AbortSignal;
}

const KEEP_FINISHED = 100;
const MIN_INTERVAL_MS = 100;

export class Jobs {
  #jobs = new Map<string, JobState>();
  #promises = new Map<string, Promise<unknown>>();
  #listeners = new Set<(job: JobState) => void>();
  #next = 1;
  #abort = new AbortController();

  /** Starts `run` as a job, or returns the running job with the same key. */
  start(kind: string, key: string, title: string, run: (control: JobControl) => Promise<unknown>): JobState {
    for (const job of this.#jobs.values()) if (job.key === key && job.status === 'running') return job;
    const job: JobState = { id: String(this.#next++), kind, key, title, status: 'running', current: 0, total: 0, message: '' };
    this.#jobs.set(job.id, job);
    let last = 0;
    const control: JobControl = {
      signal: this.#abort.signal,
      progress: (current, total, message) => {
        job.current = current;
        job.total = total;
        if (message !== undefined) job.message = message;
        const now = Date.now();
        if (now - last >= MIN_INTERVAL_MS) {
          last = now;
          this.#emit(job);
        }
      },
    };
    this.#emit(job);
    const promise = run(control).then((result) => {
      job.status = 'done';
      if (result !== undefined) job.result = result;
      if (job.total > 0) job.current = job.total;
      this.#finish(job);
      return result;
    }, (error: unknown) => {
      job.status = 'failed';
      job.error = errorResponse(error).message;
      this.#finish(job);
      throw error;
    });
    promise.catch(() => undefined);
    this.#promises.set(job.id, promise);
    return job;
  }

  get(id: string): JobState | undefined {
    return this.#jobs.get(id);
  }

  /** Resolves when the job ends (rejects when it failed). */
  wait(id: string): Promise<unknown> {
    return this.#promises.get(id) ?? Promise.resolve(undefined);
  }

  running(): JobState[] {
    return [...this.#jobs.values()].filter((j) => j.status === 'running');
  }

  /** Streams job states to one page: the current ones first, then every change. */
  stream(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    const send = (job: JobState) => res.write(`event: job\ndata: ${JSON.stringify(job)}\n\n`);
    for (const job of this.#jobs.values()) send(job);
    this.#listeners.add(send);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15000);
    heartbeat.unref();
    res.on('close', () => {
      clearInterval(heartbeat);
      this.#listeners.delete(send);
    });
  }

  /** Stops running jobs (server shutdown) and waits for them. */
  async close(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled(this.#promises.values());
  }

  #finish(job: JobState): void {
    this.#emit(job);
    const finished = [...this.#jobs.values()].filter((j) => j.status !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) {
      this.#jobs.delete(old.id);
      this.#promises.delete(old.id);
    }
  }

  #emit(job: JobState): void {
    for (const listener of this.#listeners) listener(job);
  }
}
