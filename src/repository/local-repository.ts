// A repository in a local directory (spec §1), compatible with borg 1.2 on disk: borg and borg-ts can
// take turns on the same repository. Public methods run one at a time (an internal queue), so callers
// may fire several without awaiting each; the log, index and hints are only touched from here.
import { existsSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { saveFile } from '../platform/save-file.js';
import { readConfig, repositorySettings, saveConfig, SECTION } from './config.js';
import {
  AtticRepository, DoesNotExist, IntegrityError, InvalidRepository, NonceReservationMismatch, ObjectNotFound,
  RepositoryAppendOnly,
} from './errors.js';
import type { IniFile } from './ini.js';
import { Lock, repositoryLockPath } from './lock.js';
import { checkRepository, type CheckOptions } from './repository-check.js';
import { createRepositoryFiles } from './repository-create.js';
import type { ObjectLocation, Repository, SegmentLayout } from './repository.js';
import { ATTIC_MAGIC, ID_SIZE, TAG_PUT } from './segment-format.js';
import { SegmentPaths } from './segment-paths.js';
import { SegmentReader, type ScannedPut } from './segment-reader.js';
import { SegmentWriter } from './segment-writer.js';
import { Transactions, type CommitOptions } from './transaction.js';

export interface OpenOptions {
  /** true: exclusive lock (writers); false: shared (readers, default); null: shared, upgraded on the first write. */
  exclusive?: boolean | null;
  /** Seconds to wait for a lock held by others (default 1, like borg's --lock-wait); null waits forever. */
  lockWait?: number | null;
  /** Take the repository lock at all (default true). */
  lock?: boolean;
  /** Force append-only mode even if the config does not ask for it (borg serve --append-only). */
  appendOnly?: boolean;
  /** Override the config's storage quota in bytes (borg serve --storage-quota). */
  storageQuota?: number | null;
  /** Applied to the modes of created files and directories (default 0o077, borg's default). */
  umask?: number;
  /** Receives warnings such as "index corrupted, rebuilding". */
  onWarning?: (message: string) => void;
}

export interface CreateOptions extends OpenOptions {
  makeParentDirs?: boolean;
  /** Repository id (32 bytes); random by default. */
  id?: Uint8Array;
}

const DEFAULT_UMASK = 0o077;
/**
 * Objects read together by getMany (and the read-ahead: one more batch in flight): at most
 * GET_MANY_MAX objects and about GET_MANY_BYTES. Sizes are estimated from the index before reading:
 * an object followed by the next wanted one in the same segment takes at most the distance between
 * them; any other counts as GET_MANY_UNKNOWN (objects far apart are not read together anyway).
 */
const GET_MANY_BYTES = 4 * 1024 * 1024;
const GET_MANY_MAX = 256;
const GET_MANY_UNKNOWN = 1024 * 1024;
/**
 * Objects of one batch that lie close together in a segment (each starting at most MAX_RUN_GAP
 * after the previous one, all within MAX_RUN_SPAN) are read with one read: extraction and
 * verification mostly want objects in the order they were written.
 */
const MAX_RUN_GAP = 256 * 1024;
const MAX_RUN_SPAN = 8 * 1024 * 1024;

function checkId(id: Uint8Array): void {
  if (!(id instanceof Uint8Array) || id.byteLength !== ID_SIZE) throw new TypeError(`Invalid object id: expected ${ID_SIZE} bytes`);
}

export class LocalRepository implements Repository {
  readonly path: string;
  readonly id: Buffer;
  private readonly txn: Transactions;
  private readonly ini: IniFile;
  private readonly fileMode: number;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Segments whose CRCs check() verified in this session, unchanged since (any write forgets them). */
  private readonly crcVerified = new Set<number>();

  private constructor(path: string, ini: IniFile, txn: Transactions, fileMode: number) {
    this.path = path;
    this.ini = ini;
    this.txn = txn;
    this.fileMode = fileMode;
    this.id = txn.ctx.settings.id;
  }

  /** Creates an empty repository and opens it with an exclusive lock. */
  static async create(path: string, options: CreateOptions = {}): Promise<LocalRepository> {
    const umask = options.umask ?? DEFAULT_UMASK;
    createRepositoryFiles(path, {
      appendOnly: options.appendOnly ?? false,
      storageQuota: options.storageQuota ?? 0,
      makeParentDirs: options.makeParentDirs ?? false,
      ...(options.id ? { id: options.id } : {}),
      fileMode: 0o666 & ~umask,
      dirMode: 0o777 & ~umask,
    });
    const repo = await LocalRepository.open(path, { ...options, exclusive: options.exclusive ?? true });
    // Like borg: if the very first commit finds no room, the new repository is removed again.
    repo.txn.ctx.abandonNewRepository = () => repo.destroyFiles();
    return repo;
  }

  static async open(path: string, options: OpenOptions = {}): Promise<LocalRepository> {
    const abs = resolve(path);
    let st;
    try {
      st = statSync(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DoesNotExist(abs);
      throw e;
    }
    if (!st.isDirectory()) throw new InvalidRepository(abs);
    const umask = options.umask ?? DEFAULT_UMASK;
    const fileMode = 0o666 & ~umask;
    const exclusive = options.exclusive === undefined ? false : options.exclusive;
    const lock = options.lock === false
      ? null
      : await new Lock(repositoryLockPath(abs), { exclusive: exclusive === true, timeout: options.lockWait === undefined ? 1 : options.lockWait, fileMode }).acquire();
    try {
      const ini = readConfig(abs);
      const settings = repositorySettings(abs, ini);
      settings.appendOnly = settings.appendOnly || (options.appendOnly ?? false);
      if (options.storageQuota !== undefined && options.storageQuota !== null) settings.storageQuota = options.storageQuota;
      const paths = new SegmentPaths(abs, settings.segmentsPerDir);
      const reader = new SegmentReader(paths);
      const writer = new SegmentWriter(paths, reader, { maxSegmentSize: settings.maxSegmentSize, fileMode, dirMode: 0o777 & ~umask });
      if (!existsSync(paths.dataDir)) throw new InvalidRepository(abs);
      const latest = paths.latest();
      if (latest !== undefined && (await reader.magic(latest)).equals(ATTIC_MAGIC)) {
        await reader.close();
        throw new AtticRepository(abs);
      }
      const warn = options.onWarning ?? (() => {});
      const txn = new Transactions({ path: abs, settings, paths, reader, writer, lock, exclusive, fileMode, warn });
      return new LocalRepository(abs, ini, txn, fileMode);
    } catch (e) {
      await lock?.release();
      throw e;
    }
  }

  private serial<T>(fn: () => Promise<T>, options: { whenClosed?: boolean } = {}): Promise<T> {
    const run = this.queue.then(() => {
      if (this.closed && !options.whenClosed) throw new Error(`Repository ${this.path} is closed`);
      return fn();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  get appendOnly(): boolean {
    return this.txn.ctx.settings.appendOnly;
  }

  get(id: Uint8Array): Promise<Buffer> {
    checkId(id);
    return this.serial(async () => {
      const at = (await this.txn.ensureIndex()).get(id);
      if (!at) throw new ObjectNotFound(id, this.path);
      return this.txn.ctx.reader.read(at.segment, at.offset, id);
    });
  }

  /**
   * Reads ahead: while the caller works on one batch, the next batch of objects is already being
   * read, several reads at a time (the file system and page cache serve them in parallel).
   */
  async *getMany(ids: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): AsyncIterable<Buffer> {
    let batch: Uint8Array[] = [];
    let inFlight: Promise<PromiseSettledResult<Buffer>[]> | null = null;
    const fetch = (wanted: Uint8Array[]): Promise<PromiseSettledResult<Buffer>[]> => {
      for (const id of wanted) checkId(id);
      return this.serial(async () => {
        const index = await this.txn.ensureIndex();
        const reader = this.txn.ctx.reader;
        const runs: Promise<PromiseSettledResult<Buffer>[]>[] = [];
        let run: { offset: number; id: Uint8Array }[] = [];
        let runSegment = -1;
        const endRun = () => {
          if (run.length === 1) {
            const { offset, id } = run[0]!;
            runs.push(Promise.allSettled([reader.read(runSegment, offset, id)]));
          } else if (run.length > 1) {
            runs.push(reader.readRun(runSegment, run));
          }
          run = [];
        };
        for (const id of wanted) {
          const at = index.get(id);
          if (!at) {
            endRun();
            runs.push(Promise.allSettled([Promise.reject(new ObjectNotFound(id, this.path))]));
            continue;
          }
          const last = run[run.length - 1];
          const joins = last !== undefined && at.segment === runSegment && at.offset > last.offset &&
            at.offset - last.offset <= MAX_RUN_GAP && at.offset - run[0]!.offset <= MAX_RUN_SPAN;
          if (!joins) endRun();
          runSegment = at.segment;
          run.push({ offset: at.offset, id });
        }
        endRun();
        return (await Promise.all(runs)).flat();
      });
    };
    // Objects before a failed one are delivered; the failure surfaces at its own position.
    const deliver = function* (results: PromiseSettledResult<Buffer>[]): Generator<Buffer> {
      for (const r of results) {
        if (r.status === 'rejected') throw r.reason;
        yield r.value;
      }
    };
    // Only for estimating sizes: fetch() looks the ids up again, in turn with writes.
    const index = await this.serial(() => this.txn.ensureIndex());
    let batchBytes = 0;
    let previous: { segment: number; offset: number } | undefined;
    for await (const id of ids) {
      const at = id instanceof Uint8Array && id.byteLength === ID_SIZE ? index.get(id) : undefined;
      const adjacent = at !== undefined && previous !== undefined && at.segment === previous.segment && at.offset > previous.offset;
      // The distance to this object bounds the size of the previous one; this one counts as unknown
      // until the next shows where it ends.
      batchBytes += adjacent ? at.offset - previous!.offset : GET_MANY_UNKNOWN;
      previous = at;
      batch.push(id);
      if (batch.length < GET_MANY_MAX && batchBytes < GET_MANY_BYTES) continue;
      const next = fetch(batch);
      batch = [];
      batchBytes = 0;
      previous = undefined;
      if (inFlight) yield* deliver(await inFlight);
      inFlight = next;
    }
    const last = batch.length ? fetch(batch) : null;
    if (inFlight) yield* deliver(await inFlight);
    if (last) yield* deliver(await last);
  }

  put(id: Uint8Array, data: Uint8Array): Promise<void> {
    checkId(id);
    this.crcVerified.clear();
    return this.serial(() => this.txn.put(id, data));
  }

  delete(id: Uint8Array): Promise<void> {
    checkId(id);
    this.crcVerified.clear();
    return this.serial(() => this.txn.delete(id));
  }

  commit(options: CommitOptions = {}): Promise<void> {
    this.crcVerified.clear();
    return this.serial(() => this.txn.commit(options));
  }

  rollback(): Promise<void> {
    this.crcVerified.clear();
    return this.serial(() => this.txn.rollback());
  }

  list(limit: number | null = null, marker: Uint8Array | null = null): Promise<Buffer[]> {
    if (limit !== null && limit < 0) throw new RangeError('list limit must be >= 0');
    return this.serial(async () => {
      const out: Buffer[] = [];
      if (limit === 0) return out;
      const table = (await this.txn.ensureIndex()).table;
      // peek, not find: a lookup must not move entries between the pages of a listing.
      let slot = marker === null ? -1 : table.peek(marker);
      if (slot < 0 && marker !== null) throw new ObjectNotFound(marker, this.path);
      while ((slot = table.nextUsedSlot(slot + 1)) >= 0) {
        out.push(table.keyAt(slot));
        if (out.length === limit) break;
      }
      return out;
    });
  }

  scan(limit: number | null = null, marker: Uint8Array | null = null): Promise<Buffer[]> {
    if (limit !== null && limit < 1) throw new RangeError('scan limit must be > 0 (or null for all)');
    return this.serial(async () => {
      const index = await this.txn.ensureIndex();
      const { paths, reader } = this.txn.ctx;
      let from = { segment: 0, offset: 0 };
      if (marker !== null) {
        const at = index.get(marker);
        if (!at) throw new ObjectNotFound(marker, this.path);
        from = at;
      }
      const out: Buffer[] = [];
      for (const segment of paths.list({ from: from.segment })) {
        // Continuing after `marker`: resume at its entry and skip it, it was returned last time.
        let skip = segment === from.segment && from.offset > 0;
        try {
          for await (const e of reader.iterObjects(segment, { offset: skip ? from.offset : 0, readData: false })) {
            if (skip) {
              skip = false;
              continue;
            }
            if (e.tag !== TAG_PUT) continue;
            const at = index.get(e.id!);
            if (at && at.segment === segment && at.offset === e.offset) {
              out.push(e.id!);
              if (out.length === limit) return out;
            }
          }
        } catch (e) {
          // A damaged header hides the rest of its segment; `check` reports it.
          if (!(e instanceof IntegrityError)) throw e;
        }
      }
      return out;
    });
  }

  /**
   * Every object with its data in on-disk order, each segment read front to back once (check
   * --verify-data): the same objects, order and errors as scan() followed by getMany(). A damaged
   * header hides the rest of its segment. Nothing may write to the repository meanwhile, and an
   * object's data is valid only until the next one is asked for (read buffers are reused).
   */
  async *scanData(): AsyncIterable<ScannedPut> {
    const index = await this.serial(() => this.txn.ensureIndex());
    const { paths, reader } = this.txn.ctx;
    for (const segment of paths.list()) {
      const current = (id: Buffer, offset: number): boolean => {
        const at = index.get(id);
        return at !== undefined && at.segment === segment && at.offset === offset;
      };
      try {
        yield* reader.scanPuts(segment, current, !this.crcVerified.has(segment));
      } catch (e) {
        if (!(e instanceof IntegrityError)) throw e;
      }
    }
  }

  objectLayout(): Promise<SegmentLayout[] | null> {
    return this.serial(async () => {
      const table = (await this.txn.ensureIndex()).table;
      const bySegment = new Map<number, number[]>();
      for (let slot = table.nextUsedSlot(0); slot >= 0; slot = table.nextUsedSlot(slot + 1)) {
        const segment = table.readWord(slot, 0);
        let slots = bySegment.get(segment);
        if (slots === undefined) {
          if (!this.crcVerified.has(segment)) return null;
          bySegment.set(segment, (slots = []));
        }
        slots.push(slot);
      }
      const { paths } = this.txn.ctx;
      return [...bySegment.keys()].sort((a, b) => a - b).map((segment) => {
        const slots = bySegment.get(segment)!.sort((a, b) => table.readWord(a, 1) - table.readWord(b, 1));
        const ids = Buffer.allocUnsafe(32 * slots.length);
        slots.forEach((slot, i) => ids.set(table.keyView(slot), 32 * i));
        return { segment, path: paths.filename(segment), offsets: slots.map((slot) => table.readWord(slot, 1)), ids };
      });
    });
  }

  locate(ids: readonly Uint8Array[]): Promise<Array<ObjectLocation | null>> {
    for (const id of ids) checkId(id);
    return this.serial(async () => {
      const index = await this.txn.ensureIndex();
      const { paths, reader } = this.txn.ctx;
      const files = new Map<number, string>();
      const found: Array<ObjectLocation | null> = [];
      for (const id of ids) {
        const at = index.get(id);
        if (!at) {
          found.push(null);
          continue;
        }
        let path = files.get(at.segment);
        if (path === undefined) {
          // What a writer of this session still buffers for the segment goes to the file first.
          await reader.beforeRead(at.segment);
          files.set(at.segment, (path = paths.filename(at.segment)));
        }
        found.push({ segment: at.segment, offset: at.offset, path });
      }
      return found;
    });
  }

  len(): Promise<number> {
    return this.serial(async () => (await this.txn.ensureIndex()).count);
  }

  loadKey(): Promise<Buffer> {
    return this.serial(async () => Buffer.from((this.ini.get(SECTION, 'key') ?? '').trim(), 'utf8'));
  }

  saveKey(data: Uint8Array): Promise<void> {
    return this.serial(async () => {
      this.ini.set(SECTION, 'key', Buffer.from(data).toString('utf8'));
      saveConfig(this.path, this.ini, this.fileMode);
    });
  }

  private requireExclusiveLock(action: string): void {
    const lock = this.txn.ctx.lock;
    if (lock && !lock.gotExclusiveLock()) throw new Error(`Cannot ${action}: the repository is not locked exclusively`);
  }

  private readNonce(): bigint | null {
    let text: string;
    try {
      text = readFileSync(join(this.path, 'nonce'), 'latin1').trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new IntegrityError(`Invalid nonce file in repository ${this.path}`);
    return text === '' ? 0n : BigInt(`0x${text}`);
  }

  getFreeNonce(): Promise<bigint | null> {
    return this.serial(async () => {
      this.requireExclusiveLock('read the nonce');
      return this.readNonce();
    });
  }

  commitNonceReservation(next: bigint, start: bigint | null): Promise<void> {
    if (next < 0n || next >= 1n << 64n) throw new RangeError('Nonce reservation must be a u64');
    return this.serial(async () => {
      this.requireExclusiveLock('reserve nonces');
      if (this.readNonce() !== start) throw new NonceReservationMismatch();
      saveFile(join(this.path, 'nonce'), next.toString(16).padStart(16, '0'), this.fileMode);
    });
  }

  breakLock(): Promise<void> {
    return this.serial(async () => new Lock(repositoryLockPath(this.path), { exclusive: false, timeout: null }).breakLock());
  }

  destroy(): Promise<void> {
    return this.serial(async () => {
      if (this.appendOnly) throw new RepositoryAppendOnly(this.path, 'delete the repository');
      await this.destroyFiles();
    });
  }

  /** Closes, then removes the config first (so a half-deleted directory is no repository) and the rest. */
  private async destroyFiles(): Promise<void> {
    await this.closeNow();
    unlinkSync(join(this.path, 'config'));
    rmSync(this.path, { recursive: true, force: true });
  }

  check(options: CheckOptions = {}): Promise<boolean> {
    return this.serial(() => {
      this.crcVerified.clear();
      // Under a lock nobody else changes the segments: scanData need not check their CRCs again.
      const remember = this.txn.ctx.lock ? (segments: number[]) => segments.forEach((s) => this.crcVerified.add(s)) : undefined;
      return checkRepository({
        txn: this.txn, ini: this.ini, saveConfig: () => saveConfig(this.path, this.ini, this.fileMode), onCrcVerified: remember,
      }, options);
    });
  }

  close(): Promise<void> {
    return this.serial(() => this.closeNow(), { whenClosed: true });
  }

  private async closeNow(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const { writer, reader, lock } = this.txn.ctx;
    try {
      await writer.close();
      await reader.close();
    } finally {
      await lock?.release();
    }
  }
}
