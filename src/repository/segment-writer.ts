// Appending to the log (spec §1.4–§1.6, §1.16): one open segment at a time, created exclusively,
// entries buffered and written in batches, fdatasync + directory fsync when a segment is closed.
// Segment numbering: the writer starts at `transaction id + 1` (set by cleanup) and every closed
// segment advances it by one.
import { existsSync, mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dropPageCache } from '../platform/page-cache.js';
import { syncDir } from '../platform/save-file.js';
import {
  COMMIT_ENTRY, MAGIC, MAGIC_LEN, MANIFEST_ID, PUT_HEADER_SIZE, encodeDelete, encodePut, putHeader, rememberedPutHeader,
} from './segment-format.js';
import type { SegmentPaths } from './segment-paths.js';
import type { SegmentReader } from './segment-reader.js';

/** Buffered bytes are written out once they reach this size (and before any read of the segment). */
const FLUSH_THRESHOLD = 1024 * 1024;

/** Thrown by writes with `raiseFull` when the current segment is over the size limit (compaction). */
export class SegmentFull extends Error {}

export interface WriterOptions {
  maxSegmentSize: number;
  fileMode: number;
  dirMode: number;
}

/**
 * A PUT entry as buffers to write. Small data is copied into the entry (the caller may reuse its
 * buffer). Big data (which always fills the write buffer, so it is written before writePut returns)
 * and data with a remembered header (never changed afterwards, see rememberPutHeader) are written
 * from the caller's buffer; a remembered header right before its data is one buffer with it.
 */
function putParts(id: Uint8Array, data: Uint8Array): Buffer[] {
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const header = rememberedPutHeader(id, data);
  if (header !== null) {
    if (header.buffer === data.buffer && header.byteOffset + PUT_HEADER_SIZE === data.byteOffset) {
      return [Buffer.from(data.buffer, header.byteOffset, PUT_HEADER_SIZE + data.byteLength)];
    }
    return [header, view];
  }
  return data.byteLength >= FLUSH_THRESHOLD ? [putHeader(id, data), view] : [encodePut(id, data)];
}

export class SegmentWriter {
  /** Number of the segment being written, or of the next one to create. */
  segment = 0;
  /** Write position in the current segment (0 when none is open). */
  offset = 0;
  private fh: FileHandle | null = null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The write of the last flush while it is in progress. */
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly paths: SegmentPaths,
    private readonly reader: SegmentReader,
    private readonly options: WriterOptions,
  ) {
    reader.beforeRead = async (segment) => {
      if (segment === this.segment && this.fh) await this.flush();
    };
  }

  get isOpen(): boolean {
    return this.fh !== null;
  }

  private async writeFd(opts: { noNew?: boolean; wantNew?: boolean; raiseFull?: boolean }): Promise<void> {
    if (!opts.noNew && (opts.wantNew || (this.offset && this.offset > this.options.maxSegmentSize))) {
      if (opts.raiseFull) throw new SegmentFull();
      await this.closeSegment();
    }
    if (this.fh) return;
    const dir = this.paths.dirOf(this.segment);
    if (!existsSync(dir)) {
      mkdirSync(dir, { mode: this.options.dirMode });
      syncDir(this.paths.dataDir);
    }
    // A read handle may still point at a deleted file of the same number.
    await this.reader.forget(this.segment);
    this.fh = await open(this.paths.filename(this.segment), 'wx', this.options.fileMode);
    this.append(MAGIC);
    this.offset = MAGIC_LEN;
  }

  private append(bytes: Buffer): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  private async maybeFlush(): Promise<void> {
    if (this.pendingBytes >= FLUSH_THRESHOLD) await this.flush();
  }

  /**
   * Hands buffered entries to the OS (no fsync). A reader calls this too (beforeRead): it must
   * not return while an earlier flush is still writing, or the reader sees a short segment.
   */
  async flush(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
    const fh = this.fh;
    if (!fh || this.pendingBytes === 0) return;
    let buffers = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.flushing = (async () => {
      // One writev per flush, no concatenation; a short write (rare) continues where it stopped.
      while (buffers.length) {
        let { bytesWritten } = await fh.writev(buffers);
        let i = 0;
        while (i < buffers.length && bytesWritten >= buffers[i]!.length) bytesWritten -= buffers[i++]!.length;
        buffers = buffers.slice(i);
        if (bytesWritten > 0) buffers[0] = buffers[0]!.subarray(bytesWritten);
      }
    })();
    try {
      await this.flushing;
    } finally {
      this.flushing = null;
    }
  }

  /**
   * Returns where the PUT entry went. The manifest always starts a new segment. See putParts for
   * which data is written from the caller's buffer.
   */
  async writePut(id: Uint8Array, data: Uint8Array, raiseFull = false): Promise<{ segment: number; offset: number }> {
    const parts = putParts(id, data);
    await this.writeFd({ wantNew: MANIFEST_ID.equals(id), raiseFull });
    const at = { segment: this.segment, offset: this.offset };
    for (const part of parts) {
      this.append(part);
      this.offset += part.length;
    }
    await this.maybeFlush();
    return at;
  }

  /** Returns the segment of the DELETE entry and its size (always 41). */
  async writeDelete(id: Uint8Array, raiseFull = false): Promise<{ segment: number; size: number }> {
    await this.writeFd({ wantNew: MANIFEST_ID.equals(id), raiseFull });
    this.append(encodeDelete(id));
    this.offset += PUT_HEADER_SIZE;
    await this.maybeFlush();
    return { segment: this.segment, size: PUT_HEADER_SIZE };
  }

  /**
   * Writes a COMMIT and closes its segment. A final commit goes into a new segment of its own; an
   * intermediate one (compaction) goes into the current segment after making its data durable.
   * Returns the committed segment number.
   */
  async writeCommit(intermediate = false): Promise<number> {
    await this.writeFd(intermediate ? { noNew: true } : { wantNew: true });
    if (intermediate) await this.sync();
    this.append(COMMIT_ENTRY);
    this.offset += COMMIT_ENTRY.length;
    await this.closeSegment();
    return this.segment - 1;
  }

  /** flush + fdatasync of the open segment. */
  async sync(): Promise<void> {
    if (!this.fh) return;
    await this.flush();
    await this.fh.datasync();
    // Durable now: the pages need not stay cached (borg gives the same advice).
    dropPageCache(this.fh.fd);
  }

  /** Makes the open segment durable and closes it; the next write starts the following number. */
  async closeSegment(): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    try {
      await this.sync();
    } finally {
      this.fh = null;
      this.pending = [];
      this.pendingBytes = 0;
      this.segment += 1;
      this.offset = 0;
      await fh.close();
    }
    syncDir(this.paths.dirOf(this.segment - 1));
  }

  /** Deletes every segment after `transactionId` (left by aborted transactions); writing resumes after it. */
  async cleanup(transactionId: number): Promise<number> {
    await this.closeSegment();
    this.segment = transactionId + 1;
    let count = 0;
    for (const seg of this.paths.list({ reverse: true })) {
      if (seg <= transactionId) break;
      await this.reader.forget(seg);
      this.paths.delete(seg);
      count++;
    }
    return count;
  }

  async close(): Promise<void> {
    await this.closeSegment();
  }
}
