// The repository check's pass over a segment file (every entry's header and CRC, as
// SegmentReader.iterObjects reads them) for worker threads, and cut into parts so that several
// workers share one big segment: a part after the first starts at the first position past its cut
// that holds a plausible entry (a sane header whose CRC matches), and the parts are joined only
// where the entry chain of the part before ends exactly there (see joinParts). Findings and their
// order are the same as one sequential pass gives.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { IntegrityError } from '../../errors.js';
import {
  describePosition, entryCrcValid, HEADER_SIZE, MAGIC, MAGIC_LEN, MAX_OBJECT_SIZE, parseHeader, PUT_HEADER_SIZE, TAG_COMMIT, TAG_DELETE, TAG_PUT,
} from '../../repository/segment-format.js';
import { FileWindow } from '../../repository/file-window.js';

/** One part of a segment: from `start` (0: the file's start, magic included) up to the first entry boundary at or past `to`. */
export interface ScanPart {
  segment: number;
  path: string;
  start: number;
  /** Search the first plausible entry at or past `start` instead of trusting `start`. */
  find: boolean;
  /** Stop at the first entry boundary at or past this offset (Infinity: at the end of the file). */
  to: number;
}

/** The entries of a part; `error` (an IntegrityError's message) ends it early. */
export interface PartScan {
  /** Offset of the first entry, -1 when `find` found none. */
  first: number;
  /** Offset after the last entry read (where the part stopped). */
  end: number;
  /** Whether the part ended at the end of the file. */
  eof: boolean;
  tags: Uint8Array;
  ids: Uint8Array;
  offsets: Float64Array;
  sizes: Float64Array;
  error: string | null;
}

const READ_SIZE = 2 << 20;

/** Growable columns of entries. */
class Entries {
  tags = new Uint8Array(1024);
  ids = new Uint8Array(1024 * 32);
  offsets = new Float64Array(1024);
  sizes = new Float64Array(1024);
  count = 0;

  push(tag: number, head: Buffer, offset: number, size: number): void {
    if (this.count === this.tags.length) this.#grow();
    const i = this.count++;
    this.tags[i] = tag;
    if (tag !== TAG_COMMIT) this.ids.set(head.subarray(HEADER_SIZE, PUT_HEADER_SIZE), i * 32);
    this.offsets[i] = offset;
    this.sizes[i] = size;
  }

  #grow(): void {
    const n = this.tags.length * 2;
    const tags = new Uint8Array(n);
    tags.set(this.tags);
    const ids = new Uint8Array(n * 32);
    ids.set(this.ids);
    const offsets = new Float64Array(n);
    offsets.set(this.offsets);
    const sizes = new Float64Array(n);
    sizes.set(this.sizes);
    Object.assign(this, { tags, ids, offsets, sizes });
  }
}

/** The size of the entry whose header at `pos` looks sane (tag, size, within the file), else -1. */
function saneEntrySize(window: FileWindow, pos: number): number {
  const head = window.bytes(pos, HEADER_SIZE);
  if (head.length < HEADER_SIZE) return -1;
  const size = head.readUInt32LE(4);
  const tag = head[8]!;
  if (tag !== TAG_PUT && tag !== TAG_DELETE && tag !== TAG_COMMIT) return -1;
  if (size > MAX_OBJECT_SIZE || size < (tag === TAG_COMMIT ? HEADER_SIZE : PUT_HEADER_SIZE) || pos + size > window.fileSize) return -1;
  return size;
}

/**
 * Whether a whole entry with a matching CRC starts at `pos` (a candidate start of a part). The
 * header after it must look sane too (or the file end there): random bytes pass the first test
 * now and then, and each would cost the CRC of up to a maximal entry.
 */
function plausibleEntry(window: FileWindow, pos: number): boolean {
  const size = saneEntrySize(window, pos);
  if (size < 0) return false;
  if (pos + size < window.fileSize && saneEntrySize(window, pos + size) < 0) return false;
  const entry = window.bytes(pos, size);
  return entryCrcValid(entry, entry.readUInt32LE(0));
}

/** The first position at or past `from` where a plausible entry starts, or -1. */
function findEntry(window: FileWindow, from: number): number {
  let pos = from;
  while (pos + HEADER_SIZE <= window.fileSize) {
    const view = window.bytes(pos, READ_SIZE);
    const last = view.length - HEADER_SIZE;
    let i = 0;
    // Most positions fail on the tag or size bytes, read straight from the window.
    for (; i <= last; i++) {
      if (view[i + 8]! > TAG_COMMIT || view.readUInt32LE(i + 4) > MAX_OBJECT_SIZE) continue;
      break;
    }
    if (i > last) {
      pos += last + 1;
      continue;
    }
    // (plausibleEntry may move the window: `view` is fetched again after it.)
    if (plausibleEntry(window, pos + i)) return pos + i;
    pos += i + 1;
  }
  return -1;
}

/** Reads one part (an I/O error throws; damage ends the part with its message). */
export function scanPart(part: ScanPart): PartScan {
  const fd = openSync(part.path, 'r');
  try {
    const window = new FileWindow(fd, fstatSync(fd).size);
    const entries = new Entries();
    const result = (first: number, end: number, eof: boolean, error: string | null): PartScan => ({
      first, end, eof, error,
      tags: entries.tags.slice(0, entries.count),
      ids: entries.ids.slice(0, entries.count * 32),
      offsets: entries.offsets.slice(0, entries.count),
      sizes: entries.sizes.slice(0, entries.count),
    });
    let pos = part.start;
    if (part.find) {
      pos = findEntry(window, pos);
      if (pos < 0) return result(-1, window.fileSize, true, null);
    } else if (pos === 0) {
      if (!window.bytes(0, MAGIC_LEN).equals(MAGIC)) return result(0, 0, false, `Invalid segment magic ${describePosition(part.segment, 0)}`);
      pos = MAGIC_LEN;
    }
    const first = pos;
    try {
      // As SegmentReader.iterObjects, entry by entry.
      for (;;) {
        if (pos >= part.to) return result(first, pos, false, null);
        const at = pos;
        const where = (): string => describePosition(part.segment, at);
        const head = window.bytes(pos, PUT_HEADER_SIZE);
        if (head.length === 0) return result(first, pos, true, null);
        const { crc, size, tag } = parseHeader(head, where);
        if (tag !== TAG_PUT && tag !== TAG_DELETE && tag !== TAG_COMMIT) {
          throw new IntegrityError(`Invalid segment entry header, unacceptable tag ${tag} ${where()}`);
        }
        const hasId = tag !== TAG_COMMIT;
        if (hasId && size < PUT_HEADER_SIZE) throw new IntegrityError(`Invalid segment entry size ${size}, too small ${where()}`);
        entries.push(tag, head, pos, size);
        const entry = window.bytes(pos, size);
        if (entry.length < size) {
          throw new IntegrityError(`Segment entry data short read ${where()}: expected ${size}, got ${entry.length} bytes`);
        }
        if (!entryCrcValid(entry, crc)) throw new IntegrityError(`Segment entry checksum mismatch ${where()}`);
        pos += size;
      }
    } catch (e) {
      if (!(e instanceof IntegrityError)) throw e;
      return result(first, pos, false, e.message);
    }
  } finally {
    closeSync(fd);
  }
}

/** The entries of a whole segment: columns, or the message of the first damage (entries then count for nothing). */
export interface SegmentScan {
  tags: Uint8Array;
  ids: Uint8Array;
  offsets: Float64Array;
  sizes: Float64Array;
  error: string | null;
}

/** The parts of a segment of `size` bytes for `workers` workers (one part below `minPart` bytes each). */
export function cutSegment(segment: number, path: string, size: number, workers: number, minPart: number): ScanPart[] {
  const count = Math.max(1, Math.min(workers, Math.floor(size / minPart)));
  return Array.from({ length: count }, (_, k) => ({
    segment, path, start: Math.floor((k * size) / count), find: k > 0, to: k === count - 1 ? Infinity : Math.floor(((k + 1) * size) / count),
  }));
}

/**
 * Joins the scans of a segment's parts in order. Where a part's chain does not end exactly where
 * the next part starts (the next one began at a false entry), `rest` reads on from that chain's end.
 */
export async function joinParts(scans: PartScan[], rest: (start: number) => Promise<PartScan>): Promise<SegmentScan> {
  const done: PartScan[] = [];
  let current = scans[0]!;
  for (let k = 1; ; k++) {
    done.push(current);
    if (current.error !== null || current.eof || k > scans.length) break;
    const next = scans[k];
    if (next !== undefined && next.first === current.end) {
      current = next;
      continue;
    }
    current = await rest(current.end);
    k = scans.length; // the rest reads to the end of the file
  }
  const error = done[done.length - 1]!.error;
  const concat = <T extends Uint8Array | Float64Array>(pick: (s: PartScan) => T, make: (n: number) => T): T => {
    const out = make(done.reduce((n, s) => n + pick(s).length, 0));
    let at = 0;
    for (const s of done) {
      out.set(pick(s), at);
      at += pick(s).length;
    }
    return out;
  };
  return {
    error,
    tags: concat((s) => s.tags, (n) => new Uint8Array(n)),
    ids: concat((s) => s.ids, (n) => new Uint8Array(n)),
    offsets: concat((s) => s.offsets, (n) => new Float64Array(n)),
    sizes: concat((s) => s.sizes, (n) => new Float64Array(n)),
  };
}
