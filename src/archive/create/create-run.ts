// One `create` in progress: the pieces (chunk pool, item queue, item buffer, object store, archive
// saver, statistics) and the rules that tie them together.
//
// The walker runs ahead and hands files to the chunk pool; chunks come back from the workers in any
// order of files but in order within a file, and are stored under the writer lock. Entries leave
// the queue in walk order once complete. The walker waits when too many files are being read or
// too many entries wait (memory stays bounded however large the tree), and while a checkpoint is
// written (so that no reference is taken that the checkpoint would not cover).
import type { ChunkCache } from '../../cache/cache-types.js';
import { ChunkPool } from './chunk-pool.js';
import { ArchiveSaver, partItem } from './checkpoints.js';
import type { CreateOptions } from './create-options.js';
import { CreateProgress } from './create-progress.js';
import { CreateStats } from './create-stats.js';
import { FileProcessor } from './file-processor.js';
import { FsObjects } from './fs-objects.js';
import { Hardlinks } from './hardlinks.js';
import { ItemBuffer } from './item-buffer.js';
import { ItemQueue, type QueueEntry } from './item-queue.js';
import { MetadataCollector } from './metadata.js';
import { ObjectStore } from './object-store.js';
import type { RepositorySession } from '../repository-session.js';
import { WriterLock } from './writer-lock.js';

/** Entries waiting in the queue before the walker pauses (each holds one item: small). */
const MAX_QUEUED = 20_000;
/** Files being read per worker before the walker pauses (small files travel in batches)... */
const FILES_PER_WORKER = 128;
/** ...and bytes (a file counts with at most BIG_FILE bytes, so big files do not starve the others). */
const BYTES_PER_WORKER = 64 << 20;
const BIG_FILE = 16 << 20;

export class CreateRun {
  readonly stats = new CreateStats();
  readonly queue = new ItemQueue();
  readonly lock = new WriterLock();
  readonly hardlinks = new Hardlinks();
  readonly metadata: MetadataCollector;
  readonly store: ObjectStore;
  readonly items: ItemBuffer;
  readonly saver: ArchiveSaver;
  readonly files: FileProcessor;
  readonly objects: FsObjects;
  readonly progress: CreateProgress;
  readonly pool: ChunkPool;
  /** Warnings printed so far. */
  warningCount = 0;
  #fatal: Error | null = null;
  #stopped = false;
  #drainScheduled = false;
  #checkpointing = false;
  #inFlight = 0;
  #inFlightBytes = 0;
  readonly #maxInFlight: number;
  readonly #maxInFlightBytes: number;
  #waiters: Array<() => void> = [];
  #table: SharedArrayBuffer | null = null;

  constructor(readonly session: RepositorySession, readonly cache: ChunkCache, readonly options: CreateOptions) {
    this.metadata = new MetadataCollector(options);
    this.store = new ObjectStore(session, cache, options.compression);
    this.items = new ItemBuffer((data, stats) => this.store.storeData(data, stats), session.key.chunkSeed);
    this.saver = new ArchiveSaver(session, cache, this.store, this.items, this.stats, options);
    this.files = new FileProcessor(this);
    this.objects = new FsObjects(this);
    this.progress = new CreateProgress(options.progress);
    const workers = Math.max(1, options.workers);
    this.#maxInFlight = workers * FILES_PER_WORKER;
    this.#maxInFlightBytes = workers * BYTES_PER_WORKER;
    const buffer = cache.chunks.table.buffer;
    if (buffer instanceof SharedArrayBuffer) this.#table = buffer;
    this.pool = new ChunkPool(
      { keyMode: session.key.mode, material: session.key.material, compression: options.compression, chunkerParams: options.chunkerParams, sparse: options.sparse },
      workers, (id) => cache.chunks.has(id), this.#table === null ? null : this.#sharedTable(),
    );
    options.signal?.addEventListener('abort', () => this.#notify(), { once: true });
  }

  /** True once the backup was interrupted and its checkpoint written: nothing is stored any more. */
  get stopped(): boolean {
    return this.#stopped;
  }

  get aborted(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  // --- the queue

  push(entry: QueueEntry): void {
    this.queue.push(entry);
    this.entryChanged();
  }

  /** Something at or behind the queue's head changed: emit what is ready. */
  entryChanged(): void {
    if (this.#drainScheduled || this.#stopped) return;
    this.#drainScheduled = true;
    this.lock.run(() => this.#drain()).catch((e: Error) => this.fatal(e));
  }

  warnText(message: string): void {
    this.options.warnings?.warn({ code: 'BorgWarning', message });
    this.warningCount += 1;
  }

  async #drain(): Promise<void> {
    this.#drainScheduled = false;
    if (this.#stopped) return;
    for (let entry = this.queue.head(); entry !== undefined; entry = this.queue.head()) {
      if (entry.slaveOf?.failed) {
        await this.files.promote(entry);
        continue;
      }
      this.#print(entry);
      if (!entry.ready) break;
      await this.#emit(entry);
      this.queue.shift();
      this.#notify();
      if (this.saver.checkpointDue()) await this.checkpoint();
    }
    this.indexChanged();
  }

  #print(entry: QueueEntry): void {
    const end = Math.min(entry.outputs.length, entry.heldFrom);
    for (; entry.printed < end; entry.printed++) {
      const output = entry.outputs[entry.printed]!;
      if ('status' in output) {
        this.options.fileStatus?.(output.status, output.path);
      } else {
        this.options.warnings?.warn(output.warning);
        this.warningCount += 1;
      }
    }
  }

  /** Stores a complete entry's item (and, for a file with part items, borg's part bookkeeping). */
  async #emit(entry: QueueEntry): Promise<void> {
    const item = entry.item;
    if (item === null) return;
    if (entry.slaveOf !== null) item.source = entry.slaveOf.masterPath;
    const content = entry.content;
    if (content !== null && content.parts > 0) {
      // The last part, so that the parts together are the whole file; then the complete item
      // references every chunk once more.
      const last = partItem(entry);
      if (last !== null) await this.items.add(last, this.stats.items);
      for (const chunk of content.chunks) this.store.reference(chunk.id, this.stats.files, true);
      this.stats.files.nfilesParts += content.parts;
    }
    await this.items.add(item, this.stats.items);
    this.progress.show(this.stats.files, item.path);
  }

  // --- storing

  /** After a batch of chunks was stored: progress, resized index, checkpoint. Under the lock. */
  async afterStore(path: string): Promise<void> {
    this.progress.show(this.stats.files, path);
    this.indexChanged();
    if (this.saver.checkpointDue()) await this.checkpoint();
  }

  /** Tells the workers when the chunk index moved to a new (resized) buffer. */
  indexChanged(): void {
    if (this.#table === null || !this.pool.parallel) return;
    const buffer = this.cache.chunks.table.buffer;
    if (buffer === this.#table || !(buffer instanceof SharedArrayBuffer)) return;
    this.#table = buffer;
    this.pool.updateTable(this.#sharedTable());
  }

  #sharedTable(): { buffer: SharedArrayBuffer; numBuckets: number; valueWords: number } {
    return { buffer: this.#table!, numBuckets: this.cache.chunks.table.numBuckets, valueWords: 3 };
  }

  /** Writes a checkpoint. Under the lock. */
  async checkpoint(): Promise<void> {
    if (this.#checkpointing || this.#stopped) return;
    this.#checkpointing = true;
    try {
      await this.saver.checkpoint(this.queue);
    } finally {
      this.#checkpointing = false;
      this.#notify();
    }
  }

  // --- flow control

  /** A file of `size` bytes was handed to the pool. */
  fileStarted(size: number): void {
    this.#inFlight += 1;
    this.#inFlightBytes += Math.min(size, BIG_FILE);
  }

  fileFinished(size: number): void {
    this.#inFlight -= 1;
    this.#inFlightBytes -= Math.min(size, BIG_FILE);
    this.#notify();
  }

  fatal(error: Error): void {
    this.#fatal ??= error;
    this.#notify();
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Waits until the walker may go on: false once the backup is being interrupted. Throws the
   * error that broke the backup, if any.
   */
  async room(): Promise<boolean> {
    for (;;) {
      if (this.#fatal !== null) throw this.#fatal;
      if (this.aborted || this.#stopped) return false;
      if (!this.#checkpointing && this.#inFlight < this.#maxInFlight && this.#inFlightBytes < this.#maxInFlightBytes && this.queue.length < MAX_QUEUED) {
        return true;
      }
      await this.#wait();
    }
  }

  /** Waits until every queued entry is stored; false if the backup was interrupted first. */
  async settle(): Promise<boolean> {
    for (;;) {
      if (this.#fatal !== null) throw this.#fatal;
      if (this.aborted) return false;
      if (this.queue.length === 0 && this.#inFlight === 0) {
        await this.lock.idle();
        if (this.#fatal !== null) throw this.#fatal;
        if (this.queue.length === 0 && this.#inFlight === 0) return true;
        continue;
      }
      await this.#wait();
    }
  }

  /** After an interruption: a checkpoint of what is stored, then nothing more. */
  async interrupt(): Promise<void> {
    await this.lock.run(async () => {
      if (this.#fatal === null) await this.checkpoint();
      this.#stopped = true;
    });
    if (this.#fatal !== null) throw this.#fatal;
  }

  async close(): Promise<void> {
    this.#stopped = true;
    this.progress.stop();
    this.#notify();
    await this.pool.close();
  }
}
