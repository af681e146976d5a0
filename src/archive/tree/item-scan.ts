// Reading the few fields a tree needs straight from an item's msgpack bytes, without building
// the generic value (a string per key, a Buffer per raw, an object per chunk): building the tree of
// a million-item archive is mostly this loop. Values it does not expect (legacy time encodings,
// odd types) make it report `generic`, and the caller decodes that item the slow, general way.
import { BorgError } from '../../errors.js';

/** The input ends inside the item: feed more bytes. */
export class NeedMoreBytes extends Error {}
const NEED_MORE = new NeedMoreBytes('item continues in the next chunk');

const KEYS = [
  'path', 'mode', 'uid', 'gid', 'user', 'group', 'mtime', 'atime', 'ctime', 'size', 'chunks', 'chunks_healthy',
  'hardlink_master', 'source', 'rdev', 'xattrs', 'part',
] as const;
type Key = (typeof KEYS)[number];
const KEY_BYTES = KEYS.map((k) => [Buffer.from(k, 'latin1'), k] as const);

/** An item as the tree builder sees it; raw fields are views into the scanned buffer. */
export interface ScannedItem {
  path: Buffer;
  mode: number;
  uid: number;
  gid: number;
  /** Owner names: bytes, null when stored as nil, undefined when absent. */
  user: Buffer | null | undefined;
  group: Buffer | null | undefined;
  /** Times in ns as the high (signed) and low 32 bits, so that no BigInt is made per item; `has*` false when absent. */
  mtimeHi: number;
  mtimeLo: number;
  hasAtime: boolean;
  atimeHi: number;
  atimeLo: number;
  hasCtime: boolean;
  ctimeHi: number;
  ctimeLo: number;
  size: number | undefined;
  /** Sum of the chunk sizes, and where the chunk list starts (-1: no `chunks` key). */
  chunkSizes: number;
  chunksAt: number;
  damaged: boolean;
  hardlinkMaster: boolean | undefined;
  source: Buffer | undefined;
  rdev: number | undefined;
  hasXattrs: boolean;
  part: number | undefined;
}

export class ItemScanner {
  #buf: Buffer = Buffer.alloc(0);
  #view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  #pos = 0;
  /** A field had a type this scanner does not read: decode the item generically. */
  generic = false;

  /** The item of the last scan (one object, reused: copy what you keep). */
  readonly item: ScannedItem = {
    path: EMPTY, mode: 0, uid: 0, gid: 0, user: undefined, group: undefined, mtimeHi: 0, mtimeLo: 0, hasAtime: false, atimeHi: 0,
    atimeLo: 0, hasCtime: false, ctimeHi: 0, ctimeLo: 0, size: undefined, chunkSizes: 0, chunksAt: -1, damaged: false,
    hardlinkMaster: undefined, source: undefined, rdev: undefined, hasXattrs: false, part: undefined,
  };
  #timeHi = 0;
  #timeLo = 0;

  /** Scans the item map at `start` into `item` and sets `end`. Throws NeedMoreBytes when truncated. */
  scan(buf: Buffer, start: number): ScannedItem {
    if (buf !== this.#buf) {
      this.#buf = buf;
      this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    this.#pos = start;
    this.generic = false;
    const item = this.item;
    item.path = EMPTY;
    item.mode = item.uid = item.gid = 0;
    item.user = item.group = undefined;
    item.mtimeHi = item.mtimeLo = 0;
    item.hasAtime = item.hasCtime = false;
    item.size = item.rdev = item.part = undefined;
    item.chunkSizes = 0;
    item.chunksAt = -1;
    item.damaged = item.hasXattrs = false;
    item.hardlinkMaster = undefined;
    item.source = undefined;
    const entries = this.#mapHeader();
    if (entries < 0) throw new BorgError('Invalid item: not a map', { code: 'InvalidItem' });
    let hasPath = false;
    let hasMtime = false;
    for (let i = 0; i < entries; i++) {
      const key = this.#key();
      switch (key) {
        case 'path': item.path = this.#raw(); hasPath = true; break;
        case 'mode': item.mode = this.#int(); break;
        case 'uid': item.uid = this.#int(); break;
        case 'gid': item.gid = this.#int(); break;
        case 'user': item.user = this.#rawOrNil(); break;
        case 'group': item.group = this.#rawOrNil(); break;
        case 'mtime': this.#time(); item.mtimeHi = this.#timeHi; item.mtimeLo = this.#timeLo; hasMtime = true; break;
        case 'atime': this.#time(); item.atimeHi = this.#timeHi; item.atimeLo = this.#timeLo; item.hasAtime = true; break;
        case 'ctime': this.#time(); item.ctimeHi = this.#timeHi; item.ctimeLo = this.#timeLo; item.hasCtime = true; break;
        case 'size': item.size = this.#int(); break;
        case 'chunks': item.chunksAt = this.#pos; item.chunkSizes = this.#chunkSizes(); break;
        case 'chunks_healthy': item.damaged = true; this.#skip(); break;
        case 'hardlink_master': item.hardlinkMaster = this.#bool(); break;
        case 'source': item.source = this.#raw(); break;
        case 'rdev': item.rdev = this.#int(); break;
        case 'xattrs': item.hasXattrs = this.#mapSize() > 0; break;
        case 'part': item.part = this.#int(); break;
        default: this.#skip();
      }
    }
    if (!hasPath || !hasMtime) this.generic = true;
    return item;
  }

  /** Offset after the last scanned item. */
  get end(): number {
    return this.#pos;
  }

  #need(n: number): void {
    if (this.#pos + n > this.#buf.length) throw NEED_MORE;
  }

  #byte(): number {
    this.#need(1);
    return this.#buf[this.#pos++]!;
  }

  #mapHeader(): number {
    const b = this.#byte();
    if ((b & 0xf0) === 0x80) return b & 0x0f;
    if (b === 0xde) return this.#u16();
    if (b === 0xdf) return this.#u32();
    this.#pos--;
    return -1;
  }

  #u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.#pos);
    this.#pos += 2;
    return v;
  }

  #u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#pos);
    this.#pos += 4;
    return v;
  }

  #key(): Key | undefined {
    const b = this.#byte();
    let len: number;
    if ((b & 0xe0) === 0xa0) len = b & 0x1f;
    else if (b === 0xd9) len = this.#byte();
    else if (b === 0xda) len = this.#u16();
    else {
      this.#pos--;
      this.#skip();
      this.generic = true;
      return undefined;
    }
    this.#need(len);
    const at = this.#pos;
    this.#pos += len;
    const buf = this.#buf;
    outer: for (const [bytes, name] of KEY_BYTES) {
      if (bytes.length !== len) continue;
      for (let i = 0; i < len; i++) if (buf[at + i] !== bytes[i]) continue outer;
      return name;
    }
    return undefined;
  }

  /** A raw's length when the next value is one, else -1 (position unchanged). */
  #rawLength(): number {
    const b = this.#byte();
    if ((b & 0xe0) === 0xa0) return b & 0x1f;
    if (b === 0xd9) return this.#byte();
    if (b === 0xda) return this.#u16();
    if (b === 0xdb) return this.#u32();
    this.#pos--;
    return -1;
  }

  #raw(): Buffer {
    const len = this.#rawLength();
    if (len < 0) {
      this.#skip();
      this.generic = true;
      return EMPTY;
    }
    this.#need(len);
    const v = this.#buf.subarray(this.#pos, this.#pos + len);
    this.#pos += len;
    return v;
  }

  #rawOrNil(): Buffer | null {
    this.#need(1);
    if (this.#buf[this.#pos] === 0xc0) {
      this.#pos++;
      return null;
    }
    return this.#raw();
  }

  #bool(): boolean | undefined {
    const b = this.#byte();
    if (b === 0xc2) return false;
    if (b === 0xc3) return true;
    this.#pos--;
    this.#skip();
    this.generic = true;
    return undefined;
  }

  /** An integer that fits a JS number; anything else sets `generic`. */
  #int(): number {
    const b = this.#byte();
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    const v = this.#view;
    switch (b) {
      case 0xcc: return this.#byte();
      case 0xcd: return this.#u16();
      case 0xce: return this.#u32();
      case 0xd0: { this.#need(1); const x = v.getInt8(this.#pos); this.#pos += 1; return x; }
      case 0xd1: { this.#need(2); const x = v.getInt16(this.#pos); this.#pos += 2; return x; }
      case 0xd2: { this.#need(4); const x = v.getInt32(this.#pos); this.#pos += 4; return x; }
      case 0xcf: case 0xd3: {
        this.#need(8);
        const x = b === 0xcf ? v.getBigUint64(this.#pos) : v.getBigInt64(this.#pos);
        this.#pos += 8;
        if (x <= BigInt(Number.MAX_SAFE_INTEGER) && x >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(x);
        this.generic = true;
        return 0;
      }
    }
    this.#pos--;
    this.#skip();
    this.generic = true;
    return 0;
  }

  /** Nanosecond times are 64-bit integers (older archives: raw bytes, read generically); into #timeHi/#timeLo. */
  #time(): void {
    this.#need(1);
    const b = this.#buf[this.#pos];
    if (b === 0xcf || b === 0xd3) {
      this.#pos++;
      this.#need(8);
      this.#timeHi = this.#view.getInt32(this.#pos);
      this.#timeLo = this.#view.getUint32(this.#pos + 4);
      this.#pos += 8;
      return;
    }
    const n = this.#int();
    this.#timeHi = Math.floor(n / 2 ** 32) | 0;
    this.#timeLo = n >>> 0;
  }

  #arrayHeader(): number {
    const b = this.#byte();
    if ((b & 0xf0) === 0x90) return b & 0x0f;
    if (b === 0xdc) return this.#u16();
    if (b === 0xdd) return this.#u32();
    this.#pos--;
    return -1;
  }

  #mapSize(): number {
    const at = this.#pos;
    const n = this.#mapHeader();
    this.#pos = at;
    this.#skip();
    if (n < 0) this.generic = true;
    return Math.max(n, 0);
  }

  /** Sums the sizes of a chunk list ([[id, size, csize], ...]). */
  #chunkSizes(): number {
    const at = this.#pos;
    const n = this.#arrayHeader();
    if (n < 0) {
      this.#skip();
      this.generic = true;
      return 0;
    }
    let sum = 0;
    for (let i = 0; i < n; i++) {
      if (this.#arrayHeader() !== 3 || this.#rawLength() !== 32) {
        this.#pos = at;
        this.#skip();
        this.generic = true;
        return 0;
      }
      this.#need(32);
      this.#pos += 32;
      sum += this.#int();
      this.#int();
    }
    return sum;
  }

  /** Skips any value. */
  #skip(): void {
    let pending = 1;
    while (pending > 0) {
      pending--;
      const b = this.#byte();
      if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) continue;
      if ((b & 0xe0) === 0xa0) { this.#advance(b & 0x1f); continue; }
      if ((b & 0xf0) === 0x90) { pending += b & 0x0f; continue; }
      if ((b & 0xf0) === 0x80) { pending += 2 * (b & 0x0f); continue; }
      switch (b) {
        case 0xcc: case 0xd0: this.#advance(1); break;
        case 0xcd: case 0xd1: this.#advance(2); break;
        case 0xce: case 0xd2: case 0xca: this.#advance(4); break;
        case 0xcf: case 0xd3: case 0xcb: this.#advance(8); break;
        case 0xd9: case 0xc4: this.#advance(this.#byte()); break;
        case 0xda: case 0xc5: this.#advance(this.#u16()); break;
        case 0xdb: case 0xc6: this.#advance(this.#u32()); break;
        case 0xdc: pending += this.#u16(); break;
        case 0xdd: pending += this.#u32(); break;
        case 0xde: pending += 2 * this.#u16(); break;
        case 0xdf: pending += 2 * this.#u32(); break;
        case 0xd4: this.#advance(2); break;
        case 0xd5: this.#advance(3); break;
        case 0xd6: this.#advance(5); break;
        case 0xd7: this.#advance(9); break;
        case 0xd8: this.#advance(17); break;
        case 0xc7: this.#advance(this.#byte() + 1); break;
        case 0xc8: this.#advance(this.#u16() + 1); break;
        case 0xc9: this.#advance(this.#u32() + 1); break;
        default: throw new BorgError(`Invalid item: msgpack type byte 0x${b.toString(16)}`, { code: 'InvalidItem' });
      }
    }
  }

  #advance(n: number): void {
    this.#need(n);
    this.#pos += n;
  }
}

const EMPTY = Buffer.alloc(0);
/** Bytes after the type byte of the integer encodings (positive and negative fixints have none). */
const INT_WIDTH: Record<number, number> = { 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8 };

/** The chunk ids of the chunk list that starts at `at` of `buf` (copies). */
export function chunkIdsAt(buf: Buffer, at: number): Buffer[] {
  let pos = at;
  const header = buf[pos++]!;
  let n: number;
  if ((header & 0xf0) === 0x90) n = header & 0x0f;
  else if (header === 0xdc) { n = buf.readUInt16BE(pos); pos += 2; }
  else { n = buf.readUInt32BE(pos); pos += 4; }
  const ids: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    pos += 1; // fixarray(3)
    const raw = buf[pos]!;
    pos += raw === 0xd9 ? 2 : raw === 0xda ? 3 : 5;
    ids.push(Buffer.from(buf.subarray(pos, pos + 32)));
    pos += 32;
    for (let k = 0; k < 2; k++) pos += 1 + (INT_WIDTH[buf[pos]!] ?? 0);
  }
  return ids;
}

/**
 * A 64-bit summary of a chunk list, to tell contents apart (the web's path history): the first 8
 * bytes of every id (ids are keyed MACs, so uniformly spread) mixed in order. Written as two
 * words at `out[2 * e]`; both 0 for an empty or missing list.
 */
export class ChunkDigest {
  #h1 = 0;
  #h2 = 0;
  #n = 0;

  reset(): void {
    this.#h1 = 0x9e3779b9;
    this.#h2 = 0x85ebca6b;
    this.#n = 0;
  }

  add(id: Uint8Array, at = 0): void {
    const a = (id[at]! | (id[at + 1]! << 8) | (id[at + 2]! << 16) | (id[at + 3]! << 24)) >>> 0;
    const b = (id[at + 4]! | (id[at + 5]! << 8) | (id[at + 6]! << 16) | (id[at + 7]! << 24)) >>> 0;
    this.#h1 = Math.imul((this.#h1 ^ a) >>> 0, 0x01000193) ^ (this.#h2 >>> 13);
    this.#h2 = Math.imul((this.#h2 ^ b) >>> 0, 0x5bd1e995) ^ (this.#h1 >>> 15);
    this.#n += 1;
  }

  write(out: Uint32Array, e: number): void {
    let h1 = this.#n === 0 ? 0 : this.#h1 >>> 0;
    const h2 = this.#n === 0 ? 0 : (this.#h2 ^ this.#n) >>> 0;
    if (this.#n !== 0 && h1 === 0 && h2 === 0) h1 = 1;
    out[2 * e] = h1;
    out[2 * e + 1] = h2;
  }
}

/** Feeds the ids of the chunk list that starts at `at` of `buf` to `digest` (no copies). */
export function digestChunksAt(buf: Buffer, at: number, digest: ChunkDigest): void {
  digest.reset();
  if (at < 0) return;
  let pos = at;
  const header = buf[pos++]!;
  let n: number;
  if ((header & 0xf0) === 0x90) n = header & 0x0f;
  else if (header === 0xdc) { n = buf.readUInt16BE(pos); pos += 2; }
  else { n = buf.readUInt32BE(pos); pos += 4; }
  for (let i = 0; i < n; i++) {
    pos += 1; // fixarray(3)
    const raw = buf[pos]!;
    pos += raw === 0xd9 ? 2 : raw === 0xda ? 3 : 5;
    digest.add(buf, pos);
    pos += 32;
    for (let k = 0; k < 2; k++) pos += 1 + (INT_WIDTH[buf[pos]!] ?? 0);
  }
}
