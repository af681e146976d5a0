// Reading segment files (spec §1.4, §1.6): single entries by (segment, offset) with every corruption
// check, sequential iteration, and "is this segment committed". Open file handles are cached (LRU,
// closed after FD_MAX_AGE idle so that long runs on network file systems do not hit stale handles).
import { open, type FileHandle } from 'node:fs/promises';
import { IntegrityError } from './errors.js';
import {
  COMMIT_ENTRY, HEADER_SIZE, ID_SIZE, MAGIC, MAGIC_LEN, PUT_HEADER_SIZE, TAG_COMMIT, TAG_DELETE, TAG_PUT,
  checkPutHeader, describePosition, entryCrcValid, parseHeader, type SegmentEntry, type Tag,
} from './segment-format.js';
import type { SegmentPaths } from './segment-paths.js';
import { SegmentWindow, type ReadInto } from './segment-window.js';
import { dropPageCache } from '../platform/page-cache.js';

const FD_CAPACITY = 90;
const FD_MAX_AGE_MS = 4 * 60 * 1000;
/** First read for a single object: most objects fit, larger ones need one more read. */
const GET_READ_SIZE = 64 * 1024;
const ITER_WINDOW = 1024 * 1024;
const HEADER_WINDOW = 64 * 1024;
/**
 * Windows of whole-segment reads (the repository check, check --verify-data), two buffers of twice
 * this size: few system calls, and little memory next to a segment.
 */
const READ_AHEAD_WINDOW = 2 * 1024 * 1024;

/** A PUT found by scanPuts: its data, or why it cannot be read. */
export type ScannedPut = { id: Buffer; data: Buffer; error?: undefined } | { id: Buffer; data?: undefined; error: IntegrityError };

interface CachedFd {
  fh: FileHandle;
  used: number;
}

export interface IterOptions {
  /** Start here instead of at the magic (continuing a scan); the magic is checked only from 0. */
  offset?: number;
  /** Read and CRC-check whole entries (default). Without it only headers and ids are read. */
  readData?: boolean;
  /** Yield PUT data (requires readData). */
  includeData?: boolean;
}

export class SegmentReader {
  private readonly fds = new Map<number, CachedFd>();
  /** Opens in progress, so that concurrent reads of a new segment share one handle. */
  private readonly opening = new Map<number, Promise<FileHandle>>();
  /** Called before reading a segment, so that a writer can flush what it buffers for that segment. */
  beforeRead: (segment: number) => Promise<void> = async () => {};

  constructor(readonly paths: SegmentPaths) {}

  private async fd(segment: number): Promise<FileHandle> {
    const now = Date.now();
    for (const [seg, c] of this.fds) {
      if (now - c.used > FD_MAX_AGE_MS) await this.forget(seg);
    }
    const cached = this.fds.get(segment);
    if (cached) {
      this.fds.delete(segment); // re-insert: Map order is our LRU order
      cached.used = now;
      this.fds.set(segment, cached);
      return cached.fh;
    }
    const pending = this.opening.get(segment);
    if (pending) return pending;
    const opened = (async () => {
      try {
        const fh = await open(this.paths.filename(segment), 'r');
        this.fds.set(segment, { fh, used: now });
        if (this.fds.size > FD_CAPACITY) await this.forget(this.fds.keys().next().value!);
        return fh;
      } finally {
        this.opening.delete(segment);
      }
    })();
    this.opening.set(segment, opened);
    return opened;
  }

  /** Closes a cached handle, e.g. because the segment was deleted or is being recreated. */
  async forget(segment: number): Promise<void> {
    const c = this.fds.get(segment);
    if (!c) return;
    this.fds.delete(segment);
    // Done with it for now: borg, too, drops a segment's pages when it closes it.
    dropPageCache(c.fh.fd);
    await c.fh.close();
  }

  async close(): Promise<void> {
    for (const seg of [...this.fds.keys()]) await this.forget(seg);
  }

  private async readAt(segment: number, position: number, length: number, into?: Buffer, at = 0): Promise<Buffer> {
    await this.beforeRead(segment);
    const fh = await this.fd(segment);
    const buf = into ?? Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, at + got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (into) return buf.subarray(0, at + got);
    return got === length ? buf : buf.subarray(0, got);
  }

  async magic(segment: number): Promise<Buffer> {
    return this.readAt(segment, 0, MAGIC_LEN);
  }

  /** The data of the PUT for `id` at (segment, offset), after checking header, CRC and id. */
  async read(segment: number, offset: number, id: Uint8Array): Promise<Buffer> {
    const where = describePosition(segment, offset);
    let buf = await this.readAt(segment, offset, GET_READ_SIZE);
    const { size } = this.checkPutHeader(buf, id, where);
    if (buf.length < size) {
      // Big objects: one buffer of the entry's size, the rest read straight into it (no concat copy).
      const whole = Buffer.allocUnsafe(size);
      buf.copy(whole, 0);
      buf = await this.readAt(segment, offset + buf.length, size - buf.length, whole, buf.length);
      if (buf.length < size) throw new IntegrityError(`Segment entry data short read ${where}: expected ${size}, got ${buf.length} bytes`);
    }
    const entry = buf.subarray(0, size);
    if (!entryCrcValid(entry, buf.readUInt32LE(0))) throw new IntegrityError(`Segment entry checksum mismatch ${where}`);
    // Copy small objects out of the read buffer so that it is not kept alive by the result.
    const data = entry.subarray(PUT_HEADER_SIZE);
    return buf.length > 2 * size ? Buffer.from(data) : data;
  }

  /**
   * The data of several PUTs of one segment (ascending offsets, close together) with a single read:
   * one system call and one buffer instead of one each. An entry reaching past the read (a big object last)
   * is read on its own. Each result settles separately: one bad entry does not hide the others.
   */
  async readRun(segment: number, entries: readonly { offset: number; id: Uint8Array }[]): Promise<PromiseSettledResult<Buffer>[]> {
    const base = entries[0]!.offset;
    const span = entries[entries.length - 1]!.offset - base + GET_READ_SIZE;
    const buf = await this.readAt(segment, base, span);
    return Promise.all(entries.map(async ({ offset, id }): Promise<PromiseSettledResult<Buffer>> => {
      try {
        const where = describePosition(segment, offset);
        const at = offset - base;
        const head = buf.subarray(at, at + PUT_HEADER_SIZE);
        if (head.length < PUT_HEADER_SIZE) return { status: 'fulfilled', value: await this.read(segment, offset, id) };
        const { size } = this.checkPutHeader(head, id, where);
        if (at + size > buf.length) return { status: 'fulfilled', value: await this.read(segment, offset, id) };
        const entry = buf.subarray(at, at + size);
        if (!entryCrcValid(entry, entry.readUInt32LE(0))) throw new IntegrityError(`Segment entry checksum mismatch ${where}`);
        return { status: 'fulfilled', value: entry.subarray(PUT_HEADER_SIZE) };
      } catch (reason) {
        return { status: 'rejected', reason };
      }
    }));
  }

  /** Size of the PUT entry for `id` at (segment, offset); checks the header only (no CRC). */
  async readSize(segment: number, offset: number, id: Uint8Array): Promise<number> {
    const buf = await this.readAt(segment, offset, PUT_HEADER_SIZE);
    return this.checkPutHeader(buf, id, describePosition(segment, offset)).size;
  }

  private checkPutHeader(buf: Buffer, id: Uint8Array, where: string): { size: number } {
    return { size: checkPutHeader(buf, id, where) };
  }

  /**
   * Entries of one segment in file order. Corruption (bad magic, bad header, short entry, CRC
   * mismatch with readData, unknown tag) throws IntegrityError at the bad entry, after the good ones
   * before it have been yielded.
   */
  async *iterObjects(segment: number, options: IterOptions = {}): AsyncGenerator<SegmentEntry> {
    const readData = options.readData ?? true;
    const includeData = readData && (options.includeData ?? false);
    let offset = options.offset ?? 0;
    if (offset === 0) {
      const magic = await this.readAt(segment, 0, MAGIC_LEN);
      if (!magic.equals(MAGIC)) throw new IntegrityError(`Invalid segment magic ${describePosition(segment, 0)}`);
      offset = MAGIC_LEN;
    }
    const windowSize = readData ? ITER_WINDOW : HEADER_WINDOW;
    let win: Buffer = Buffer.alloc(0);
    let winStart = offset;
    // Reading whole entries without handing out their data (the repository check): nothing keeps a
    // window alive, so two buffers are reused (fresh memory for every read costs page faults) and the
    // next window is read while this one is checked.
    const ahead = readData && !includeData ? this.window(segment, READ_AHEAD_WINDOW, offset) : null;
    // A view of [pos, pos + len) when the window holds it (no await for most entries), else null.
    const inWindow = ahead !== null
      ? (pos: number, len: number): Buffer | null => ahead.view(pos, len)
      : (pos: number, len: number): Buffer | null =>
          pos < winStart || pos + len > winStart + win.length ? null : win.subarray(pos - winStart, pos - winStart + len);
    // Refills the window at `pos`: [pos, pos + len) or less at end of file.
    const refill = async (pos: number, len: number): Promise<Buffer> => {
      if (ahead !== null) return ahead.fill(pos, len);
      win = await this.readAt(segment, pos, Math.max(len, windowSize));
      winStart = pos;
      return win.subarray(0, len);
    };
    try {
      yield* this.#entries(segment, offset, readData, includeData, inWindow, refill);
    } finally {
      await ahead?.close();
    }
  }

  /** A read-ahead window over `segment` from `start` (`end`: its size, if known). */
  private window(segment: number, windowSize: number, start: number, end = Infinity): SegmentWindow {
    const read: ReadInto = async (pos, size, into, at) => (await this.readAt(segment, pos, size, into, at)).subarray(at);
    return new SegmentWindow(read, windowSize, start, end);
  }

  async *#entries(
    segment: number, start: number, readData: boolean, includeData: boolean,
    inWindow: (pos: number, len: number) => Buffer | null, refill: (pos: number, len: number) => Promise<Buffer>,
  ): AsyncGenerator<SegmentEntry> {
    let offset = start;
    await this.beforeRead(segment);
    const fileSize = readData ? Infinity : this.paths.size(segment);
    for (;;) {
      const at = offset;
      const where = (): string => describePosition(segment, at);
      const head = inWindow(offset, PUT_HEADER_SIZE) ?? await refill(offset, PUT_HEADER_SIZE);
      if (head.length === 0) return;
      const { crc, size, tag } = parseHeader(head, where);
      if (tag !== TAG_PUT && tag !== TAG_DELETE && tag !== TAG_COMMIT) {
        throw new IntegrityError(`Invalid segment entry header, unacceptable tag ${tag} ${where()}`);
      }
      const hasId = tag !== TAG_COMMIT;
      if (hasId && size < PUT_HEADER_SIZE) throw new IntegrityError(`Invalid segment entry size ${size}, too small ${where()}`);
      // Copied now: reading the entry may refill the window that `head` points into.
      const id = hasId ? Buffer.from(head.subarray(HEADER_SIZE, HEADER_SIZE + ID_SIZE)) : undefined;
      let data: Buffer | undefined;
      if (readData) {
        const entry = inWindow(offset, size) ?? await refill(offset, size);
        if (entry.length < size) {
          throw new IntegrityError(`Segment entry data short read ${where()}: expected ${size}, got ${entry.length} bytes`);
        }
        if (!entryCrcValid(entry, crc)) throw new IntegrityError(`Segment entry checksum mismatch ${where()}`);
        if (includeData && tag === TAG_PUT) data = entry.subarray(PUT_HEADER_SIZE);
      } else if (offset + size > fileSize) {
        throw new IntegrityError(`Segment entry data short read ${where()}: the file ends inside the entry`);
      }
      const e: SegmentEntry = { tag: tag as Tag, id, offset, size };
      if (data) e.data = data;
      yield e;
      offset += size;
    }
  }

  /**
   * The PUTs of one segment that `wanted` selects, read in file order with large sequential reads
   * (check --verify-data). Headers are checked like a header-only iteration (a bad one throws and
   * ends the segment); the entries selected are checked like `read` checks them, but a CRC mismatch
   * becomes that entry's error and the scan goes on (`checkCrc` false: the caller knows the CRCs
   * are good). The data yielded is valid only until the next entry is asked for: the read buffer is
   * reused.
   */
  async *scanPuts(segment: number, wanted: (id: Buffer, offset: number) => boolean, checkCrc = true): AsyncGenerator<ScannedPut> {
    const magic = await this.readAt(segment, 0, MAGIC_LEN);
    if (!magic.equals(MAGIC)) throw new IntegrityError(`Invalid segment magic ${describePosition(segment, 0)}`);
    const fileSize = this.paths.size(segment);
    const window = this.window(segment, READ_AHEAD_WINDOW, MAGIC_LEN, fileSize);
    try {
      yield* this.#puts(segment, fileSize, window, wanted, checkCrc);
    } finally {
      await window.close();
    }
  }

  async *#puts(
    segment: number, fileSize: number, window: SegmentWindow, wanted: (id: Buffer, offset: number) => boolean, checkCrc: boolean,
  ): AsyncGenerator<ScannedPut> {
    const inWindow = (pos: number, len: number): Buffer | null => window.view(pos, len);
    const refill = (pos: number, len: number): Promise<Buffer> => window.fill(pos, len);
    let offset = MAGIC_LEN;
    for (;;) {
      const headLength = Math.min(PUT_HEADER_SIZE, Math.max(0, fileSize - offset));
      const head = inWindow(offset, headLength) ?? await refill(offset, headLength);
      if (head.length === 0) return;
      const at = offset;
      const where = (): string => describePosition(segment, at);
      const { crc, size, tag } = parseHeader(head, where);
      if (tag !== TAG_PUT && tag !== TAG_DELETE && tag !== TAG_COMMIT) {
        throw new IntegrityError(`Invalid segment entry header, unacceptable tag ${tag} ${where()}`);
      }
      if (tag !== TAG_COMMIT && size < PUT_HEADER_SIZE) throw new IntegrityError(`Invalid segment entry size ${size}, too small ${where()}`);
      if (offset + size > fileSize) throw new IntegrityError(`Segment entry data short read ${where()}: the file ends inside the entry`);
      if (tag === TAG_PUT) {
        const id = head.subarray(HEADER_SIZE, PUT_HEADER_SIZE);
        if (wanted(id, offset)) {
          // Copied before reading the entry, which may refill the window that `head` points into.
          const copy = Buffer.from(id);
          const entry = inWindow(offset, size) ?? await refill(offset, size);
          if (entry.length < size) {
            yield { id: copy, error: new IntegrityError(`Segment entry data short read ${where()}: expected ${size}, got ${entry.length} bytes`) };
          } else if (checkCrc && !entryCrcValid(entry, crc)) {
            yield { id: copy, error: new IntegrityError(`Segment entry checksum mismatch ${where()}`) };
          } else {
            yield { id: copy, data: entry.subarray(PUT_HEADER_SIZE) };
          }
        }
      }
      offset += size;
    }
  }

  /**
   * A segment is committed if it ends with a COMMIT entry, every entry parses with a valid CRC, and
   * no other entry follows a COMMIT.
   */
  async isCommitted(segment: number): Promise<boolean> {
    await this.beforeRead(segment);
    let size: number;
    try {
      size = this.paths.size(segment);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    if (size < MAGIC_LEN + HEADER_SIZE) return false;
    const tail = await this.readAt(segment, size - HEADER_SIZE, HEADER_SIZE);
    if (!tail.equals(COMMIT_ENTRY)) return false;
    let seenCommit = false;
    try {
      for await (const e of this.iterObjects(segment)) {
        if (e.tag === TAG_COMMIT) seenCommit = true;
        else if (seenCommit) return false;
      }
    } catch (e) {
      if (e instanceof IntegrityError) return false;
      throw e;
    }
    return seenCommit;
  }

  /** The transaction id: the highest committed segment, or undefined if there is none. */
  async segmentsTransactionId(): Promise<number | undefined> {
    for (const seg of this.paths.list({ reverse: true })) {
      if (await this.isCommitted(seg)) return seg;
    }
    return undefined;
  }
}
