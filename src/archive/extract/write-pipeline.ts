// Small files written in the background. Once its chunks are read, a plain regular file is created
// by one thread-pool job (writeNewFile) while the extraction goes on with the next items, so the
// system calls of several files overlap with reading and decrypting. What the user sees stays in
// archive order: every side effect of an item (its --list line, warnings, a fatal error) runs
// after those of the items before it, so output is the same as when each file is written in turn.
// Items that depend on the files written so far (directories, links, anything else) wait for all
// of them first (drain).

/** Files and bytes of content written in the background at most. */
const MAX_FILES = 512;
const MAX_BYTES = 16 << 20;

export class WritePipeline {
  /** Side effects in archive order; each link runs after the one before. */
  #tail: Promise<void> = Promise.resolve();
  /** Links queued and not yet finished. */
  #queued = 0;
  /** The files in flight, oldest first; `written` settles (never rejects) when the job ends. */
  readonly #files: Array<{ bytes: number; written: Promise<void> }> = [];
  readonly #paths = new Set<string>();
  #bytes = 0;
  /** A fatal error raised by a side effect: everything after it is skipped, drain() throws it. */
  #failure: { error: unknown } | null = null;

  get failed(): boolean {
    return this.#failure !== null;
  }

  /** Runs `effect` after everything queued (at once when nothing is). */
  emit(effect: () => void): void {
    if (this.#queued === 0 && this.#failure === null) {
      effect();
      return;
    }
    this.#chain(effect);
  }

  #chain(effect: () => void | Promise<void>): Promise<void> {
    this.#queued += 1;
    const link = this.#tail.then(async () => {
      try {
        if (this.#failure === null) await effect();
      } catch (error) {
        this.#failure = { error };
      } finally {
        this.#queued -= 1;
      }
    });
    this.#tail = link;
    return link;
  }

  /** Whether an item at `relative` depends on a file in flight (same path, or one of its parents). */
  conflicts(relative: string): boolean {
    if (this.#paths.size === 0) return false;
    let path = relative;
    for (;;) {
      if (this.#paths.has(path)) return true;
      const slash = path.lastIndexOf('/');
      if (slash < 0) return false;
      path = path.slice(0, slash);
    }
  }

  /** Waits until a file of `bytes` more fits. */
  async room(bytes: number): Promise<void> {
    while (this.#files.length > 0 && (this.#files.length >= MAX_FILES || this.#bytes + bytes > MAX_BYTES)) {
      await this.#files[0]!.written;
    }
  }

  /**
   * Adds a file being written at `relative`: `written` settles when it is; then, in order,
   * `settled` gets its error (undefined on success) and may throw a fatal one.
   */
  add(relative: string, bytes: number, written: Promise<void>, settled: (error: unknown) => void): void {
    const entry = { bytes, written: written.then(() => undefined, () => undefined) };
    this.#files.push(entry);
    this.#paths.add(relative);
    this.#bytes += bytes;
    // Registered before anyone can wait for `entry.written`, so it has run when they resume.
    void entry.written.then(() => {
      this.#files.splice(this.#files.indexOf(entry), 1);
      this.#paths.delete(relative);
      this.#bytes -= bytes;
    });
    void this.#chain(async () => {
      let error: unknown;
      try {
        await written;
      } catch (e) {
        error = e ?? new Error('file write failed');
      }
      settled(error);
    });
  }

  /** Waits for everything queued; throws a fatal error raised meanwhile. */
  async drain(): Promise<void> {
    if (this.#queued > 0) await this.#tail;
    if (this.#failure !== null) throw this.#failure.error;
  }

  /** Waits for files still being written, whatever happened (before the extraction returns). */
  async settle(): Promise<void> {
    await this.#tail.catch(() => undefined);
    // After a failure the links no longer wait for their files: those still being written finish
    // before the workers writing them may be stopped.
    await Promise.all(this.#files.map((f) => f.written));
  }
}
