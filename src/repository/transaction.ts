// Transactions over the segment log (spec §1.6, §1.10, §1.11): which state is committed, loading or
// rebuilding the index and hints for it, the bookkeeping of put/delete, and commit. Index/hints
// loading, replay and recovery call each other (a broken index is rebuilt by replaying the log,
// which itself starts a transaction), so they live together in this class.
import { join } from 'node:path';
import { NSIndex } from '../format/hashindex.js';
import type { BorgError } from '../errors.js';
import type { ProgressSink } from '../progress.js';
import { compactSegments } from './compaction.js';
import type { RepositorySettings } from './config.js';
import { CheckNeeded, InsufficientFreeSpaceError, ObjectNotFound, StorageQuotaExceeded } from './errors.js';
import { requiredFreeSpace } from './free-space.js';
import { addCount as add, emptyHints, type Hints } from './hints.js';
import { indexTransactionId, readHints, readIndex, unlinkIfExists, writeIndexFiles } from './index-files.js';
import type { Lock } from './lock.js';
import { rebuildSparse, updateIndex } from './replay.js';
import { HEADER_SIZE, PUT_HEADER_SIZE } from './segment-format.js';
import type { SegmentPaths } from './segment-paths.js';
import type { SegmentReader } from './segment-reader.js';
import type { SegmentWriter } from './segment-writer.js';
import { formatFileSize } from './size-format.js';

export interface TransactionContext {
  path: string;
  /** Effective settings (append-only and quota may be overridden by the opener). */
  settings: RepositorySettings;
  paths: SegmentPaths;
  reader: SegmentReader;
  writer: SegmentWriter;
  lock: Lock | null;
  /** true/false: opened for writing/reading; null: take the exclusive lock when a write starts. */
  exclusive: boolean | null;
  fileMode: number;
  warn: (message: string) => void;
  /** Called instead of a rollback when a repository created by this session has no room to commit. */
  abandonNewRepository?: () => Promise<void>;
}

export interface CommitOptions {
  compact?: boolean;
  threshold?: number;
  cleanupCommits?: boolean;
  /** "Compacting segments  N%" (borg's repository.compact_segments); a server forwards it as log records. */
  progress?: ProgressSink;
}

export class Transactions {
  /** Index of the committed state, plus this transaction's changes; null = not loaded. */
  index: NSIndex | null = null;
  hints: Hints = emptyHints();
  active = false;
  /** Set when a put exceeded the quota: the transaction can only be rolled back. */
  doomed: BorgError | null = null;

  constructor(readonly ctx: TransactionContext) {}

  /** Replays the log if the newest index does not match the newest committed segment. */
  async checkTransaction(): Promise<void> {
    const indexTid = indexTransactionId(this.ctx.path);
    const segmentsTid = await this.ctx.reader.segmentsTransactionId();
    if (indexTid !== undefined && segmentsTid === undefined) {
      // An index but not a single committed segment: there is no valid state to go back to.
      throw new CheckNeeded(this.ctx.path, 'an index but no committed segment, likely beyond repair');
    }
    if (segmentsTid !== undefined && indexTid !== segmentsTid) {
      await this.replay(indexTid !== undefined && indexTid > segmentsTid ? undefined : indexTid, segmentsTid);
    }
  }

  /** The committed transaction id, after bringing index files up to date. */
  async transactionId(): Promise<number | undefined> {
    await this.checkTransaction();
    return indexTransactionId(this.ctx.path);
  }

  async ensureIndex(): Promise<NSIndex> {
    this.index ??= await this.openIndex(await this.transactionId());
    return this.index;
  }

  /** Loads index.T; a broken file is deleted and, with autoRecover, rebuilt by replaying the log. */
  async openIndex(tid: number | undefined, autoRecover = true): Promise<NSIndex> {
    if (tid === undefined) return new NSIndex();
    try {
      return readIndex(this.ctx.path, tid);
    } catch (e) {
      this.ctx.warn(`Repository index missing or corrupted, trying to recover: ${(e as Error).message}`);
      unlinkIfExists(join(this.ctx.path, `index.${tid}`));
      if (!autoRecover) throw e;
      return this.openIndex(await this.transactionId(), false);
    }
  }

  /**
   * Starts a transaction on top of committed state `tid`: takes the exclusive lock if needed, loads
   * index and hints, and (with cleanup) deletes uncommitted segments so writing continues after tid.
   */
  async prepare(tid: number | undefined, options: { cleanup: boolean }): Promise<void> {
    const { ctx } = this;
    this.active = true;
    if (ctx.lock && !ctx.lock.gotExclusiveLock()) {
      if (ctx.exclusive !== null) {
        this.active = false;
        throw new Error(`Cannot write to repository ${ctx.path}: it was opened with a shared lock`);
      }
      try {
        await ctx.lock.upgrade();
      } catch (e) {
        this.active = false;
        throw e;
      }
    }
    if (this.index === null || tid === undefined) {
      try {
        this.index = await this.openIndex(tid, false);
      } catch (e) {
        ctx.warn(`Checking repository transaction due to previous error: ${(e as Error).message}`);
        await this.checkTransaction();
        this.index = await this.openIndex(tid, false);
      }
    }
    if (tid === undefined) {
      this.hints = emptyHints();
      // No committed segment exists at all, so every segment file is garbage.
      if (options.cleanup) await ctx.writer.cleanup(-1);
      this.active = true; // a replay above ends with a rollback: mark the transaction active again
      return;
    }
    if (options.cleanup) await ctx.writer.cleanup(tid);
    let decoded;
    try {
      decoded = readHints(ctx.path, tid);
    } catch (e) {
      ctx.warn(`Repository hints file missing or corrupted, trying to recover: ${(e as Error).message}`);
      unlinkIfExists(join(ctx.path, `hints.${tid}`));
      unlinkIfExists(join(ctx.path, `index.${tid}`));
      await this.checkTransaction();
      await this.prepare(tid, options);
      return;
    }
    if (decoded.version === 1) {
      this.hints = { ...emptyHints(), segments: decoded.segments };
      const state = { index: this.index, hints: this.hints, paths: ctx.paths, reader: ctx.reader };
      for (const seg of [...decoded.compactSegments].sort((a, b) => a - b)) await rebuildSparse(state, seg);
    } else {
      this.hints = decoded.hints;
    }
    for (const segs of this.hints.shadowIndex.values()) {
      for (let i = segs.length - 1; i >= 0; i--) if (segs[i]! > tid) segs.splice(i, 1);
    }
    this.active = true; // a replay above ends with a rollback: mark the transaction active again
  }

  private async begin(): Promise<NSIndex> {
    if (!this.active) await this.prepare(await this.transactionId(), { cleanup: true });
    return this.index!;
  }

  async rollback(options: { cleanup?: boolean } = {}): Promise<void> {
    if (options.cleanup) {
      const tid = await this.ctx.reader.segmentsTransactionId();
      await this.ctx.writer.cleanup(tid ?? -1);
    }
    this.index = null;
    this.active = false;
    this.doomed = null;
  }

  /** Rebuilds index and hints for segments (indexTid, segmentsTid] and writes them. */
  async replay(indexTid: number | undefined, segmentsTid: number): Promise<void> {
    const { ctx } = this;
    // Replay must write, even for a reader: act like an old client, which upgrades its lock.
    const remember = ctx.exclusive;
    ctx.exclusive = null;
    try {
      await this.prepare(indexTid, { cleanup: false });
      const state = { index: this.index!, hints: this.hints, paths: ctx.paths, reader: ctx.reader };
      for (const seg of ctx.paths.list()) {
        if (indexTid !== undefined && seg <= indexTid) continue;
        if (seg > segmentsTid) break;
        await updateIndex(state, seg, ctx.reader.iterObjects(seg));
      }
      await this.writeIndex();
    } finally {
      ctx.exclusive = remember;
      await this.rollback();
    }
  }

  async writeIndex(): Promise<void> {
    const tid = await this.ctx.reader.segmentsTransactionId();
    if (tid === undefined) throw new Error('Cannot write the repository index: no committed segment');
    writeIndexFiles(this.ctx.path, tid, this.index!, this.hints, {
      appendOnly: this.ctx.settings.appendOnly,
      fileMode: this.ctx.fileMode,
    });
  }

  async put(id: Uint8Array, data: Uint8Array): Promise<void> {
    const index = await this.begin();
    const old = index.get(id);
    if (old) await this.deleteAt(id, old.segment, old.offset);
    const { hints, ctx } = this;
    const at = await ctx.writer.writePut(id, data);
    hints.storageQuotaUse += data.byteLength + PUT_HEADER_SIZE;
    add(hints.segments, at.segment, 1);
    index.set(id, at.segment, at.offset);
    const quota = ctx.settings.storageQuota;
    if (quota && hints.storageQuotaUse > quota) {
      this.doomed = new StorageQuotaExceeded(formatFileSize(quota), formatFileSize(hints.storageQuotaUse));
      throw this.doomed;
    }
  }

  async delete(id: Uint8Array): Promise<void> {
    const index = await this.begin();
    const old = index.get(id);
    if (!old) throw new ObjectNotFound(id, this.ctx.path);
    index.delete(id);
    await this.deleteAt(id, old.segment, old.offset);
  }

  /**
   * Supersedes the PUT at (segment, offset) with a DELETE entry. The old segment is remembered in the
   * shadow index also when a put replaces the object (borg >= 1.2.5 does this too): otherwise a
   * later compaction could drop a DELETE that still hides that old PUT.
   */
  private async deleteAt(id: Uint8Array, segment: number, offset: number): Promise<void> {
    const { hints, ctx } = this;
    const key = Buffer.from(id).toString('latin1');
    const shadowed = hints.shadowIndex.get(key);
    if (shadowed) shadowed.push(segment);
    else hints.shadowIndex.set(key, [segment]);
    add(hints.segments, segment, -1);
    add(hints.compact, segment, await ctx.reader.readSize(segment, offset, id));
    const d = await ctx.writer.writeDelete(id);
    add(hints.compact, d.segment, d.size);
    add(hints.segments, d.segment, 0);
  }

  async commit(options: CommitOptions = {}): Promise<void> {
    await this.begin();
    if (this.doomed) {
      const e = this.doomed;
      await this.rollback();
      throw e;
    }
    await this.ensureFreeSpace();
    try {
      await this.writeCommitAndIndex(options);
    } catch (e) {
      // Whatever reached the disk is either committed (and the next open replays it) or garbage.
      await this.rollback();
      throw e;
    }
    // The in-memory index now equals index.T on disk: keep it instead of reading it back.
    this.active = false;
    this.doomed = null;
    // Only the very first commit of a new repository may remove it for lack of space.
    delete this.ctx.abandonNewRepository;
  }

  private async writeCommitAndIndex(options: CommitOptions): Promise<void> {
    const { ctx, hints } = this;
    const seg = await ctx.writer.writeCommit();
    add(hints.segments, seg, 0);
    add(hints.compact, seg, HEADER_SIZE);
    if ((options.compact ?? true) && !ctx.settings.appendOnly) {
      if (options.cleanupCommits) {
        // Old borg versions left many commit-only segments behind; treat them all as freeable.
        for (const s of ctx.paths.list()) {
          if (ctx.paths.size(s) === 17) {
            hints.segments.set(s, 0);
            hints.compact.set(s, HEADER_SIZE);
          }
        }
      }
      await compactSegments(this, options.threshold ?? 0.1, options.progress);
    }
    await this.writeIndex();
  }

  private async ensureFreeSpace(): Promise<void> {
    const r = requiredFreeSpace(this);
    if (r === undefined || r.free >= r.required) return;
    if (this.ctx.abandonNewRepository) await this.ctx.abandonNewRepository();
    else await this.rollback({ cleanup: true });
    throw new InsufficientFreeSpaceError(formatFileSize(r.required), formatFileSize(r.free));
  }
}
