// The archive walk of `check` reads every item of every archive, but for the common item it needs
// only its chunk list: decoding whole item maps and packing them again (for the rewritten item
// stream) cost most of the walk. scanItem reads the msgpack bytes of one item in place and accepts
// it only when the full path would do nothing else with it than count its chunk references: the
// item is valid (known ASCII keys, `path` and `mtime`, no `acl`, no `chunks_healthy`), its chunk list
// well-formed, its `size` equal to the chunks' sizes, and its bytes exactly what the encoder would
// write for the decoded map (smallest headers and integers, keys in byte order, no floats), so that
// the rewritten stream may take the bytes as they are. Anything else is left to the full decoder.
import type { DecodeOptions } from '../../format/msgpack.js';

/**
 * Item maps are small; these bounds keep a hostile stream from exhausting memory (as item-stream.ts).
 * Shaped maps: the items only live inside the check, which reads many of them.
 */
export const ITEM_LIMITS = { maxDepth: 8, maxStrLen: 64 * 1024 * 1024, shapedMaps: true } satisfies DecodeOptions;

/** Values nested deeper are left to the decoder (its limit is ITEM_LIMITS.maxDepth). */
const MAX_SCAN_DEPTH = 6;

/** An item accepted by scanItem: its bytes and the ids of its file chunks (views into the stream). */
export class ScannedItem {
  constructor(
    /** The item's msgpack bytes, exactly as the encoder would write its decoded map. */
    readonly raw: Buffer,
    /** Chunk ids of its `chunks` list; null when the item has none. */
    readonly ids: Buffer[] | null,
    /** Position of `raw` in the archive's item stream (the item-stream chunks' plaintexts back to back). */
    readonly streamOffset: number,
  ) {}
}

const KIND_OTHER = 0;
const KIND_PATH = 1;
const KIND_MTIME = 2;
const KIND_CHUNKS = 3;
const KIND_SIZE = 4;
/** Keys the full path must see (acl is dropped from the item, chunks_healthy heals). */
const KIND_REFUSED = 5;

/** The known item keys that are plain ASCII, found by length and first byte. */
export class ItemKeyTable {
  readonly #slots: ({ bytes: Buffer; kind: number }[] | undefined)[] = new Array(32 * 128);

  constructor(knownKeys: ReadonlySet<string>) {
    for (const key of knownKeys) {
      if (key.length === 0 || key.length > 31 || !/^[\x00-\x7f]*$/.test(key)) continue;
      const bytes = Buffer.from(key, 'latin1');
      const kind = key === 'path' ? KIND_PATH : key === 'mtime' ? KIND_MTIME : key === 'chunks' ? KIND_CHUNKS
        : key === 'size' ? KIND_SIZE : key === 'acl' || key === 'chunks_healthy' ? KIND_REFUSED : KIND_OTHER;
      const slot = (key.length << 7) | bytes[0]!;
      (this.#slots[slot] ??= []).push({ bytes, kind });
    }
  }

  /** The kind of the key `buf[start, start + len)` (1 <= len <= 31), or -1 when it is not known. */
  kind(buf: Buffer, start: number, len: number): number {
    const first = buf[start]!;
    if (first > 0x7f) return -1;
    const candidates = this.#slots[(len << 7) | first];
    if (candidates === undefined) return -1;
    outer: for (const { bytes, kind } of candidates) {
      for (let i = 1; i < len; i++) if (bytes[i] !== buf[start + i]) continue outer;
      return kind;
    }
    return -1;
  }
}

/** Key tables by key set: an archive's manifest keeps one set for every archive. */
const TABLES = new WeakMap<ReadonlySet<string>, ItemKeyTable>();

export function itemKeyTable(knownKeys: ReadonlySet<string>): ItemKeyTable {
  let table = TABLES.get(knownKeys);
  if (table === undefined) {
    table = new ItemKeyTable(knownKeys);
    TABLES.set(knownKeys, table);
  }
  return table;
}

/** What scanMap found besides the end: the chunk ids and whether the item has a `chunks` key. */
const scratch = { ids: [] as Buffer[], hasChunks: false };

/**
 * The item starting at `pos` of `buf` if it is one the check can take as it is (see the file
 * comment); null otherwise, also when the item continues beyond `buf`. Never throws.
 */
export function scanItem(buf: Buffer, pos: number, keys: ItemKeyTable, streamOffset: number): ScannedItem | null {
  scratch.ids = [];
  scratch.hasChunks = false;
  const end = scanMap(buf, pos, keys, scratch.ids);
  if (end < 0) return null;
  return new ScannedItem(buf.subarray(pos, end), scratch.hasChunks ? scratch.ids : null, streamOffset);
}

function scanMap(buf: Buffer, pos: number, keys: ItemKeyTable, ids: Buffer[]): number {
  const n = buf.length;
  if (pos >= n) return -1;
  const t = buf[pos]!;
  let count: number;
  let p: number;
  if ((t & 0xf0) === 0x80) {
    count = t & 0x0f;
    p = pos + 1;
  } else if (t === 0xde && pos + 3 <= n) {
    count = buf.readUInt16BE(pos + 1);
    if (count < 16) return -1;
    p = pos + 3;
  } else {
    return -1;
  }
  let seen = 0;
  let prevStart = -1;
  let prevLen = 0;
  let size = -1; // -1: no size key; -2: a size that is no count
  let chunksSize = -1; // -1: no chunks key
  for (let i = 0; i < count; i++) {
    if (p >= n) return -1;
    const kt = buf[p]!;
    if ((kt & 0xe0) !== 0xa0) return -1;
    const klen = kt & 0x1f;
    const kstart = p + 1;
    if (klen === 0 || kstart + klen > n) return -1;
    if (prevStart >= 0 && compareBytes(buf, prevStart, prevLen, kstart, klen) >= 0) return -1;
    prevStart = kstart;
    prevLen = klen;
    const kind = keys.kind(buf, kstart, klen);
    p = kstart + klen;
    switch (kind) {
      case KIND_OTHER:
        p = skipValue(buf, p, 1);
        break;
      case KIND_PATH:
      case KIND_MTIME:
        seen |= kind;
        p = skipValue(buf, p, 1);
        break;
      case KIND_SIZE: {
        const end = skipValue(buf, p, 1);
        if (end < 0) return -1;
        size = readCount(buf, p);
        if (size < 0) size = -2;
        p = end;
        break;
      }
      case KIND_CHUNKS: {
        const mark = ids.length;
        p = scanChunkList(buf, p, ids);
        if (p < 0) return -1;
        // The sum in the order and arithmetic of the full path.
        chunksSize = sumSizes(buf, ids, mark);
        scratch.hasChunks = true;
        break;
      }
      default:
        return -1;
    }
    if (p < 0) return -1;
  }
  if (seen !== (KIND_PATH | KIND_MTIME)) return -1;
  if (chunksSize >= 0 && size !== -1 && size !== chunksSize) return -1;
  return p;
}

/** Byte order of two keys; a key that is a prefix of the other comes first. */
function compareBytes(buf: Buffer, a: number, aLen: number, b: number, bLen: number): number {
  const len = Math.min(aLen, bLen);
  for (let i = 0; i < len; i++) {
    const d = buf[a + i]! - buf[b + i]!;
    if (d !== 0) return d;
  }
  return aLen - bLen;
}

/** A non-negative integer in its smallest encoding that decodes to a number (isCount), else -1. */
function readCount(buf: Buffer, p: number): number {
  const n = buf.length;
  if (p >= n) return -1;
  const t = buf[p]!;
  if (t <= 0x7f) return t;
  switch (t) {
    case 0xcc: return p + 2 <= n && buf[p + 1]! >= 0x80 ? buf[p + 1]! : -1;
    case 0xcd: {
      if (p + 3 > n) return -1;
      const v = buf.readUInt16BE(p + 1);
      return v >= 0x100 ? v : -1;
    }
    case 0xce: {
      if (p + 5 > n) return -1;
      const v = buf.readUInt32BE(p + 1);
      return v >= 0x10000 ? v : -1;
    }
    case 0xcf: {
      if (p + 9 > n) return -1;
      const hi = buf.readUInt32BE(p + 1);
      // Beyond 2^53 the decoder gives a bigint, which is no count.
      if (hi === 0 || hi > 0x1fffff) return -1;
      return hi * 0x100000000 + buf.readUInt32BE(p + 5);
    }
    default: return -1;
  }
}

/** Size of a count's encoding (readCount accepted it). */
function countLength(t: number): number {
  return t <= 0x7f ? 1 : t === 0xcc ? 2 : t === 0xcd ? 3 : t === 0xce ? 5 : 9;
}

/** Chunk lists entries are [id (raw 32), size, csize]: 0x93, str16 header of 32, the id, two counts. */
const ENTRY_HEAD = 4;
const ID_SIZE = 32;

/** A well-formed, canonically encoded chunk list at `p`: pushes its ids and returns its end, else -1. */
function scanChunkList(buf: Buffer, p: number, ids: Buffer[]): number {
  const n = buf.length;
  if (p >= n) return -1;
  const t = buf[p]!;
  let count: number;
  if ((t & 0xf0) === 0x90) {
    count = t & 0x0f;
    p += 1;
  } else if (t === 0xdc && p + 3 <= n) {
    count = buf.readUInt16BE(p + 1);
    if (count < 16) return -1;
    p += 3;
  } else if (t === 0xdd && p + 5 <= n) {
    count = buf.readUInt32BE(p + 1);
    if (count < 0x10000) return -1;
    p += 5;
  } else {
    return -1;
  }
  for (let i = 0; i < count; i++) {
    if (p + ENTRY_HEAD + ID_SIZE > n) return -1;
    if (buf[p] !== 0x93 || buf[p + 1] !== 0xda || buf[p + 2] !== 0x00 || buf[p + 3] !== ID_SIZE) return -1;
    const id = p + ENTRY_HEAD;
    p = id + ID_SIZE;
    if (readCount(buf, p) < 0) return -1;
    p += countLength(buf[p]!);
    if (readCount(buf, p) < 0) return -1;
    p += countLength(buf[p]!);
    ids.push(buf.subarray(id, id + ID_SIZE));
  }
  return p;
}

/** The sum of the sizes of the chunk list entries whose ids are ids[from..]. */
function sumSizes(buf: Buffer, ids: Buffer[], from: number): number {
  let sum = 0;
  for (let j = from; j < ids.length; j++) {
    const id = ids[j]!;
    sum += readCount(buf, id.byteOffset - buf.byteOffset + ID_SIZE);
  }
  return sum;
}

/**
 * The end of the value at `p` if it is encoded exactly as the encoder would write its decoded value
 * and the decoder (ITEM_LIMITS) accepts it; -1 otherwise.
 */
function skipValue(buf: Buffer, p: number, depth: number): number {
  const n = buf.length;
  if (p < 0 || p >= n || depth > MAX_SCAN_DEPTH) return -1;
  const t = buf[p]!;
  if (t <= 0x7f || t >= 0xe0) return p + 1;
  if (t <= 0x8f) return skipMap(buf, p + 1, t & 0x0f, depth);
  if (t <= 0x9f) return skipArray(buf, p + 1, t & 0x0f, depth);
  if (t <= 0xbf) return fits(p + 1 + (t & 0x1f), n);
  switch (t) {
    case 0xc0: case 0xc2: case 0xc3: return p + 1;
    case 0xcc: return p + 2 <= n && buf[p + 1]! >= 0x80 ? p + 2 : -1;
    case 0xcd: return p + 3 <= n && buf.readUInt16BE(p + 1) >= 0x100 ? p + 3 : -1;
    case 0xce: return p + 5 <= n && buf.readUInt32BE(p + 1) >= 0x10000 ? p + 5 : -1;
    case 0xcf: return p + 9 <= n && buf.readUInt32BE(p + 1) !== 0 ? p + 9 : -1;
    case 0xd0: return p + 2 <= n && buf.readInt8(p + 1) < -32 ? p + 2 : -1;
    case 0xd1: return p + 3 <= n && buf.readInt16BE(p + 1) < -0x80 ? p + 3 : -1;
    case 0xd2: return p + 5 <= n && buf.readInt32BE(p + 1) < -0x8000 ? p + 5 : -1;
    case 0xd3: {
      if (p + 9 > n) return -1;
      const hi = buf.readInt32BE(p + 1);
      // Below -2^31: a high word below -1, or -1 with the low word's top bit clear.
      return hi < -1 || (hi === -1 && buf.readUInt32BE(p + 5) < 0x80000000) ? p + 9 : -1;
    }
    case 0xda: {
      if (p + 3 > n) return -1;
      const len = buf.readUInt16BE(p + 1);
      return len >= 32 ? fits(p + 3 + len, n) : -1;
    }
    case 0xdb: {
      if (p + 5 > n) return -1;
      const len = buf.readUInt32BE(p + 1);
      return len >= 0x10000 && len <= ITEM_LIMITS.maxStrLen ? fits(p + 5 + len, n) : -1;
    }
    case 0xdc: {
      if (p + 3 > n) return -1;
      const len = buf.readUInt16BE(p + 1);
      return len >= 16 ? skipArray(buf, p + 3, len, depth) : -1;
    }
    case 0xdd: {
      if (p + 5 > n) return -1;
      const len = buf.readUInt32BE(p + 1);
      return len >= 0x10000 ? skipArray(buf, p + 5, len, depth) : -1;
    }
    case 0xde: {
      if (p + 3 > n) return -1;
      const len = buf.readUInt16BE(p + 1);
      return len >= 16 ? skipMap(buf, p + 3, len, depth) : -1;
    }
    case 0xdf: {
      if (p + 5 > n) return -1;
      const len = buf.readUInt32BE(p + 1);
      return len >= 0x10000 ? skipMap(buf, p + 5, len, depth) : -1;
    }
    // Floats (an integral one would come back as an integer), str8 (written as str16), bin, ext.
    default: return -1;
  }
}

function fits(end: number, n: number): number {
  return end <= n ? end : -1;
}

function skipArray(buf: Buffer, p: number, count: number, depth: number): number {
  if (count > buf.length - p) return -1;
  for (let i = 0; i < count && p >= 0; i++) p = skipValue(buf, p, depth + 1);
  return p;
}

/** A map whose keys are raws in strictly increasing byte order (the encoder sorts; duplicates would merge). */
function skipMap(buf: Buffer, p: number, count: number, depth: number): number {
  const n = buf.length;
  if (2 * count > n - p) return -1;
  let prevStart = -1;
  let prevLen = 0;
  for (let i = 0; i < count; i++) {
    if (p >= n) return -1;
    const t = buf[p]!;
    let kstart: number;
    let klen: number;
    if ((t & 0xe0) === 0xa0) {
      klen = t & 0x1f;
      kstart = p + 1;
    } else if (t === 0xda && p + 3 <= n) {
      klen = buf.readUInt16BE(p + 1);
      if (klen < 32) return -1;
      kstart = p + 3;
    } else {
      return -1;
    }
    if (kstart + klen > n) return -1;
    if (prevStart >= 0 && compareBytes(buf, prevStart, prevLen, kstart, klen) >= 0) return -1;
    prevStart = kstart;
    prevLen = klen;
    p = skipValue(buf, kstart + klen, depth + 1);
    if (p < 0) return -1;
  }
  return p;
}
