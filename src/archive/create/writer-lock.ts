// The main thread is the only writer of segments, chunk index, files cache and item stream; its
// writes are asynchronous (repository puts), so two of them could interleave between awaits. The
// writer lock runs them one after the other, in the order they were asked for: the chunks of a
// file in file order, a file's completion after its chunks, and a checkpoint never in the middle
// of storing a batch (which could commit chunks no item references yet).
export class WriterLock {
  #tail: Promise<unknown> = Promise.resolve();
  #queued = 0;

  /** Runs `task` after every task queued before it; its result or error is returned. */
  run<T>(task: () => Promise<T> | T): Promise<T> {
    this.#queued++;
    const result = this.#tail.then(task);
    const settled = result.then(() => undefined, () => undefined);
    this.#tail = settled.then(() => {
      this.#queued--;
    });
    return result;
  }

  /** Tasks waiting or running. */
  get queued(): number {
    return this.#queued;
  }

  /** Resolves when every task queued so far has finished. */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}
