// Regular files (and devices or fifos read with --read-special): the files cache decides whether a
// file is read at all; if so, the chunk pool reads, chunks and seals it (in a worker, or inline
// with one worker) and this class stores the chunks in file order, completes the item, or gives
// everything back when reading fails.
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { filesCachePathHash } from '../../cache/files-cache.js';
import type { IvCounter } from '../../crypto/nonces.js';
import type { WarningRecord } from '../../progress.js';
import type { StatInfo } from '../../platform/dir-scan.js';
import type { ChunkRef, Item } from '../item.js';
import { S_IFREG } from '../item.js';
import { BackupError, backupOSError, osErrorText, BackupOSError } from './backup-errors.js';
import { FileReadError } from './chunk-pool.js';
import { growthAllowance, ivBlocksBound, type ProcessedChunk, type ReadOutcome } from './chunk-processor.js';
import type { CreateRun } from './create-run.js';
import { hardlinkable, type HardlinkGroup } from './hardlinks.js';
import { QueueEntry } from './item-queue.js';

export interface FileJob {
  entry: QueueEntry;
  /** The path as walked (messages, files cache key). */
  path: string;
  /** The path for file system calls. */
  fsPath: string | Buffer;
  /** The last path element, which borg's OS error messages name. */
  name: string;
  /** lstat from the walk (the target's stat when following a symlink to a special file). */
  st: StatInfo;
  /** A device or fifo read with --read-special. */
  special: boolean;
  follow: boolean;
  /** The files cache key; null for special files, which are never remembered. */
  pathHash: Buffer | null;
  /** The hard link group this file is the master of. */
  group: HardlinkGroup | null;
  /** Set when a chunk could not be stored; the file then ends like a failed read. */
  broken: Error | null;
}

/** Largest size a device or fifo is assumed to have when reserving IVs: 16 TiB. */
const SPECIAL_SIZE_BOUND = 2 ** 44;
/** IVs reserved at a time for the files to come: 2^24 AES blocks = 256 MiB of data. */
const IV_RESERVATION = 1 << 24;

export function changedWarning(path: string): WarningRecord {
  return { code: 'FileChangedWarning', message: `${path}: file changed while we backed it up` };
}

export function problemWarning(path: string, error: Error): WarningRecord {
  const code = (error as { warningCode?: unknown }).warningCode;
  return { code: typeof code === 'string' ? code : 'BackupError', message: `${path}: ${error.message}` };
}

/** borg's make_path_safe: archive paths are relative (leading "/" and "../" removed). */
export function safePath(path: string): string {
  return path.replace(/^((\.\.)?\/+)+/, '') || '.';
}

export class FileProcessor {
  #ivs: IvCounter | null = null;
  #ivQueue: Promise<void> = Promise.resolve();

  constructor(private readonly run: CreateRun) {}

  /**
   * Queues the item of a regular (or special, read) file: a hard link slave, a files-cache hit
   * (its chunks referenced, nothing read) or a file to read. Returns null: its status letters are
   * part of its queue entry.
   */
  async process(path: string, fsPath: string | Buffer, name: string, st: StatInfo, special: boolean, follow: boolean): Promise<null> {
    const run = this.run;
    const item: Item = { path: safePath(path), mode: 0, mtime: 0n };
    const entry = new QueueEntry(item, false);
    const job: FileJob = { entry, path, fsPath, name, st, special, follow, pathHash: null, group: null, broken: null };
    entry.job = job;
    const hardlinked = hardlinkable(Number(st.mode)) && st.nlink > 1n;
    run.metadata.simpleAttrs(st, item);
    if (special) item.mode = S_IFREG | (item.mode & 0o7777);
    const group = hardlinked ? run.hardlinks.get(st.dev, st.ino) : undefined;
    run.metadata.extAttrs(fsPath, st, item, (m) => run.warnText(m), path);
    if (group !== undefined) {
      // A slave: no content of its own; `source` is filled in when it is stored.
      entry.slaveOf = group;
      entry.ready = true;
      entry.status('h', path);
      run.push(entry);
      return null;
    }
    if (hardlinked) job.group = run.hardlinks.addMaster(st.dev, st.ino, item.path, entry);
    await this.#start(job, hardlinked);
    return null;
  }

  /** A slave whose master failed takes its place: it is looked up and read like a master. */
  async promote(entry: QueueEntry): Promise<void> {
    const job = entry.job!;
    const group = entry.slaveOf!;
    entry.slaveOf = null;
    delete entry.item!.source;
    entry.outputs.length = 0;
    entry.ready = false;
    group.failed = false;
    group.masterPath = entry.item!.path;
    group.master = entry;
    job.group = group;
    await this.#start(job, true, false);
  }

  /** Files cache lookup, then either the cached chunk list or reading. */
  async #start(job: FileJob, hardlinked: boolean, push = true): Promise<void> {
    const run = this.run;
    const { entry, st, path } = job;
    const item = entry.item!;
    item.hardlinkMaster = hardlinked;
    let status = 'A';
    if (!job.special) {
      job.pathHash = filesCachePathHash(run.session.key, path, run.options.cwd);
      const lookup = run.cache.fileKnownAndUnchanged(job.pathHash, st);
      if (lookup.chunkIds !== null) {
        const chunks = lookup.chunkIds.map((id) => run.store.reference(id, run.stats.files));
        item.chunks = chunks;
        item.size = chunks.reduce((sum, c) => sum + c.size, 0);
        entry.content = { chunks, offset: item.size, partsFrom: 0, parts: 0 };
        run.stats.files.nfiles += 1;
        entry.status('U', path);
        entry.ready = true;
        if (push) run.push(entry);
        else run.entryChanged();
        run.progress.show(run.stats.files, path);
        return;
      }
      if (lookup.known) status = 'M';
    }
    entry.content = { chunks: [], offset: 0, partsFrom: 0, parts: 0 };
    entry.heldFrom = entry.outputs.length;
    entry.status(status, path);
    if (push) run.push(entry);
    await this.#read(job);
  }

  async #read(job: FileJob): Promise<void> {
    const run = this.run;
    const size = job.special ? SPECIAL_SIZE_BOUND : Number(job.st.size);
    let ivStart = 0n;
    let ivEnd = 0n;
    // A big file read by several workers at once reserves IVs per part (ChunkPool.splits).
    const split = run.pool.splits(size, job.special);
    if (run.session.key.encrypted && !split) {
      // Room for some growth while the file is read; beyond it, reading stops early (see ReadOutcome).
      const blocks = ivBlocksBound(size + growthAllowance(size), run.options.chunkerParams, run.options.compression);
      [ivStart, ivEnd] = await this.#ivRange(blocks);
    }
    run.fileStarted(size);
    run.pool.processFile({
      path: job.fsPath, identity: { dev: job.st.dev, ino: job.st.ino }, ivStart, ivEnd, noatime: true,
      special: job.special, follow: job.follow, ...(job.special ? {} : { sizeHint: size }),
      onChunks: (batch) => run.lock.run(() => this.#store(job, batch)),
      ...(split ? { reserveIvs: (blocks: number) => (run.session.key.encrypted ? this.#ivRange(blocks) : Promise.resolve<[bigint, bigint]>([0n, 0n])) } : {}),
    }).then(
      (outcome) => run.lock.run(() => this.#complete(job, outcome)),
      (error: Error) => run.lock.run(() => this.#fail(job, error)),
    ).catch((error: Error) => run.fatal(error)).finally(() => run.fileFinished(size));
  }

  /**
   * A range of `blocks` IVs for one file, carved out of a larger reservation: reserving per file
   * would cost a round trip through the nonce manager for every small file.
   */
  #ivRange(blocks: number): Promise<[bigint, bigint]> {
    // One at a time: the parts of a split file ask at once, and a reservation must not race another.
    const range = this.#ivQueue.then(() => this.#takeIvs(blocks));
    this.#ivQueue = range.then(() => undefined, () => undefined);
    return range;
  }

  async #takeIvs(blocks: number): Promise<[bigint, bigint]> {
    let counter = this.#ivs;
    if (counter === null || !counter.canTake(blocks)) {
      counter = await this.run.session.ivSupply().reserveRange(Math.max(blocks, IV_RESERVATION));
      this.#ivs = counter;
    }
    const start = counter.take(blocks);
    return [start, start + BigInt(blocks)];
  }

  async #store(job: FileJob, batch: ProcessedChunk[]): Promise<void> {
    const run = this.run;
    if (run.stopped) return;
    const entry = job.entry;
    const content = entry.content!;
    this.#opened(entry);
    for (const chunk of batch) {
      if (job.broken !== null) return;
      const ref = (await run.store.storeSealed(chunk, run.stats.files)) ?? (await this.#recover(job, chunk));
      if (ref === null) return;
      content.chunks.push(ref);
      content.offset += ref.size;
    }
    await run.afterStore(job.path);
  }

  /**
   * A chunk that arrived unsealed and is not in the chunk index: a worker found it known but a failed
   * file gave it back meanwhile, or it lies where two parts of a split file join (split-file.ts).
   * Its bytes are read again from where the chunk lies in the file, checked and stored.
   */
  async #recover(job: FileJob, chunk: ProcessedChunk): Promise<ChunkRef | null> {
    const offset = job.entry.content!.offset;
    const data = Buffer.alloc(chunk.size);
    try {
      const fd = openSync(job.fsPath, constants.O_RDONLY | (job.follow ? 0 : constants.O_NOFOLLOW) | constants.O_NONBLOCK);
      try {
        for (let got = 0; got < data.length;) {
          const n = readSync(fd, data, got, data.length - got, offset + got);
          if (n === 0) break;
          got += n;
        }
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      job.broken = backupOSError('read', e);
      return null;
    }
    if (!this.run.session.key.idHash(data).equals(chunk.id)) {
      job.broken = new BackupError('file changed while we backed it up, skipping file');
      return null;
    }
    return this.run.store.storeData(data, this.run.stats.files, chunk.id);
  }

  async #complete(job: FileJob, outcome: ReadOutcome): Promise<void> {
    const run = this.run;
    if (run.stopped) return;
    if (job.broken !== null) return this.#abandon(job, job.broken, false);
    const { entry, st, path } = job;
    const item = entry.item!;
    const content = entry.content!;
    this.#opened(entry);
    item.chunks = content.chunks;
    item.size = content.offset;
    // Devices don't change ctime, and fifos change naturally while being fed: only files count.
    const changed = outcome.truncated || (!job.special && outcome.ctimeAfter !== st.ctimeNs);
    if (changed) entry.warning(changedWarning(path)).status('C', path);
    else if (job.pathHash !== null) run.cache.memorizeFile(job.pathHash, st, content.chunks.map((c) => c.id));
    run.stats.files.nfiles += 1;
    entry.ready = true;
    run.entryChanged();
    run.progress.show(run.stats.files, path);
  }

  async #fail(job: FileJob, error: Error): Promise<void> {
    if (this.run.stopped) return;
    if (!(error instanceof FileReadError)) throw error;
    if (error.code === 'FileChanged') return this.#abandon(job, new BackupError(error.message), true);
    const beforeRead = error.syscall === 'open' || (error.syscall === 'fstat' && job.entry.content!.chunks.length === 0);
    const op = error.syscall === 'open' ? 'open' : error.syscall === 'fstat' ? 'fstat' : 'read';
    const text = osErrorText(error.code, error.message, op === 'open' ? job.name : undefined);
    return this.#abandon(job, new BackupOSError(op, error.code, text), beforeRead);
  }

  /** Gives back the chunks no part item references, and leaves only the error in the queue. */
  async #abandon(job: FileJob, error: Error, beforeRead: boolean): Promise<void> {
    const run = this.run;
    const { entry, path } = job;
    const content = entry.content!;
    for (const chunk of content.chunks.slice(content.partsFrom)) await run.store.release(chunk.id, run.stats.files);
    content.chunks.length = content.partsFrom;
    // borg prints A/M only once the file is open.
    if (beforeRead && entry.heldFrom < entry.outputs.length) entry.outputs.splice(entry.heldFrom, 1);
    entry.heldFrom = Infinity;
    entry.warning(problemWarning(path, error)).status('E', path);
    entry.item = null;
    entry.content = null;
    if (job.group !== null && job.group.master === entry) {
      job.group.failed = true;
      job.group.master = null;
    }
    entry.ready = true;
    run.entryChanged();
  }

  #opened(entry: QueueEntry): void {
    if (entry.heldFrom !== Infinity) {
      entry.heldFrom = Infinity;
      this.run.entryChanged();
    }
  }
}
