// Borg-flavoured msgpack (spec §5.1).
//
// Borg 1.2 packs with msgpack-python's `use_bin_type=False`: bytes *and* text use the raw/str family
// (fixstr, str16 0xda, str32 0xdb) and never str8 (0xd9) or bin; it unpacks with `raw=True`, so every
// raw comes back as bytes. We mirror that:
//   - decoding: every raw becomes a Buffer (a view into the input unless `copy` is set);
//     maps become plain objects whose keys are the raw key bytes as a latin1 ("binary") string,
//     one char per byte, so any key round-trips (use `keyOf`/`keyBytes` to convert); integer keys
//     (hints) become their decimal string, unless `intKeyMaps` is set: then a map with an integer key
//     becomes a `Map` that keeps number (or bigint) keys and re-encodes byte for byte. Plain objects
//     list integer-like keys ("7", "10") first in numeric order, so only `sortKeys` encoding (or a
//     `Map`) reproduces borg's key order for such keys.
//   - encoding: Buffer/Uint8Array -> raw bytes, JS string -> raw UTF-8 bytes, object keys -> raw latin1
//     bytes, Map keys by their own type (number -> int, Uint8Array -> raw, string -> latin1 raw).
//   - integers use the smallest encoding; values beyond 2^53 are bigint on both sides.
// The decoder is strict like borg's limited unpackers: bin and ext types are rejected unless allowed,
// and lengths are bounded.
// (Slightly over 500 lines: decoder, streaming unpacker and encoder of one wire format, kept together.)

export type MsgValue = null | boolean | number | bigint | Buffer | string | Uint8Array | MsgValue[] | MsgMap | Map<MsgKey, MsgValue>;
export type MsgKey = string | number | bigint | Uint8Array;
export interface MsgMap {
  [key: string]: MsgValue;
}

export class MsgpackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MsgpackError';
  }
}

/** Thrown internally when the input ends inside a value; the streaming Unpacker waits for more. */
class NeedMoreData extends Error {}
const NEED_MORE = new NeedMoreData('truncated msgpack data');

export interface DecodeOptions {
  /** Copy raw values out of the input instead of returning views (default false). */
  copy?: boolean;
  /** Accept bin8/16/32 types (borg's limited unpackers refuse them; default false). */
  allowBin?: boolean;
  /** Accept ext types (default false). */
  allowExt?: boolean;
  /**
   * Decode a map that has an integer key as a `Map<MsgKey, MsgValue>` (integer keys stay numbers or
   * bigints, raw keys become latin1 strings as in objects), so that it re-encodes identically (hints).
   */
  intKeyMaps?: boolean;
  /**
   * Maps as objects whose prototype is a shared empty object (itself without a prototype) instead of
   * none: keys such as `__proto__` stay ordinary properties as with Object.create(null), but V8 gives
   * maps with the same keys one shape, which makes building and reading many of them (items) much
   * faster. Such maps are not deepStrictEqual to Object.create(null) ones. Default false.
   */
  shapedMaps?: boolean;
  maxStrLen?: number;
  maxArrayLen?: number;
  maxMapLen?: number;
  maxDepth?: number;
}

const DEFAULT_LIMITS = {
  maxStrLen: 0x7fffffff,
  maxArrayLen: 0x7fffffff,
  maxMapLen: 0x7fffffff,
  maxDepth: 512,
};

/** For DecodeOptions.shapedMaps: objects whose prototype is one shared empty object without a prototype. */
function ShapedMap(): void {}
ShapedMap.prototype = Object.create(null) as object;
const newShapedMap = (): MsgMap => new (ShapedMap as unknown as new () => MsgMap)();

/** Made once: a BigInt literal or BigInt() call in a hot path allocates each time. */
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE_BIGINT = BigInt(Number.MIN_SAFE_INTEGER);
const U64_LIMIT = 1n << 64n;
const I64_MIN = -(1n << 63n);

/** Latin1 texts of short raw keys by a hash of their bytes (a map key repeats in every item). */
const KEY_CACHE = new Map<number, string>();
const KEY_CACHE_MAX = 4096;

function cachedKey(buf: Buffer, start: number, len: number): string {
  let h = len;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ buf[start + i]!, 16777619);
  const hit = KEY_CACHE.get(h);
  if (hit !== undefined && hit.length === len) {
    let same = true;
    for (let i = 0; i < len; i++) {
      if (hit.charCodeAt(i) !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return hit;
  }
  const key = buf.toString('latin1', start, start + len);
  if (KEY_CACHE.size >= KEY_CACHE_MAX) KEY_CACHE.clear();
  KEY_CACHE.set(h, key);
  return key;
}

class Decoder {
  pos = 0;
  /** After NEED_MORE: the buffer length that the incomplete value needs at least. */
  needed = 0;
  private readonly view: DataView;
  private readonly copy: boolean;
  private readonly allowBin: boolean;
  private readonly allowExt: boolean;
  private readonly intKeyMaps: boolean;
  private readonly shapedMaps: boolean;
  private readonly maxStrLen: number;
  private readonly maxArrayLen: number;
  private readonly maxMapLen: number;
  private readonly maxDepth: number;

  constructor(private readonly buf: Buffer, options: DecodeOptions) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.copy = options.copy ?? false;
    this.allowBin = options.allowBin ?? false;
    this.allowExt = options.allowExt ?? false;
    this.intKeyMaps = options.intKeyMaps ?? false;
    this.shapedMaps = options.shapedMaps ?? false;
    this.maxStrLen = options.maxStrLen ?? DEFAULT_LIMITS.maxStrLen;
    this.maxArrayLen = options.maxArrayLen ?? DEFAULT_LIMITS.maxArrayLen;
    this.maxMapLen = options.maxMapLen ?? DEFAULT_LIMITS.maxMapLen;
    this.maxDepth = options.maxDepth ?? DEFAULT_LIMITS.maxDepth;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) this.needMore(this.pos + n);
  }

  private needMore(length: number): never {
    this.needed = length;
    throw NEED_MORE;
  }

  private raw(len: number, limit: number, kind: string): Buffer {
    if (len > limit) throw new MsgpackError(`${kind} of ${len} bytes exceeds the limit of ${limit}`);
    this.need(len);
    const start = this.pos;
    this.pos += len;
    const view = this.buf.subarray(start, start + len);
    return this.copy ? Buffer.from(view) : view;
  }

  private array(len: number, depth: number): MsgValue[] {
    if (len > this.maxArrayLen) throw new MsgpackError(`array of ${len} elements exceeds the limit of ${this.maxArrayLen}`);
    // Do not trust the declared length for preallocation: a hostile header could claim 2^32 elements.
    if (len > this.buf.length - this.pos) this.needMore(this.pos + len);
    const out: MsgValue[] = new Array(len);
    for (let i = 0; i < len; i++) out[i] = this.value(depth + 1);
    return out;
  }

  private map(len: number, depth: number): MsgMap | Map<MsgKey, MsgValue> {
    if (len > this.maxMapLen) throw new MsgpackError(`map of ${len} entries exceeds the limit of ${this.maxMapLen}`);
    if (2 * len > this.buf.length - this.pos) this.needMore(this.pos + 2 * len);
    if (this.intKeyMaps) return this.mapKeepingIntKeys(len, depth);
    const out: MsgMap = this.shapedMaps ? newShapedMap() : Object.create(null) as MsgMap;
    for (let i = 0; i < len; i++) {
      const key = this.key();
      out[typeof key === 'string' ? key : String(key)] = this.value(depth + 1);
    }
    return out;
  }

  private mapKeepingIntKeys(len: number, depth: number): MsgMap | Map<MsgKey, MsgValue> {
    const entries: [string | number | bigint, MsgValue][] = new Array(len);
    let numberKeys = false; // integers in practice; a float key (never written by borg) is kept too
    for (let i = 0; i < len; i++) {
      const key = this.key();
      if (typeof key !== 'string') numberKeys = true;
      entries[i] = [key, this.value(depth + 1)];
    }
    if (numberKeys) return new Map(entries);
    const out: MsgMap = Object.create(null) as MsgMap;
    for (const [k, v] of entries) out[k as string] = v;
    return out;
  }

  /** A raw key as its latin1 string; a number key as itself. */
  private key(): string | number | bigint {
    // Short fixstr keys (every item key) come from a cache: no Buffer view, no string decoding.
    const b = this.buf[this.pos];
    if (b !== undefined && (b & 0xe0) === 0xa0) {
      const len = b & 0x1f;
      const start = this.pos + 1;
      if (start + len <= this.buf.length && len <= this.maxStrLen) {
        const key = cachedKey(this.buf, start, len);
        this.pos = start + len;
        return key;
      }
    }
    const k = this.value(this.maxDepth);
    if (Buffer.isBuffer(k)) return k.toString('latin1');
    if (typeof k === 'number' || typeof k === 'bigint') return k;
    throw new MsgpackError(`unsupported map key type ${k === null ? 'nil' : typeof k}`);
  }

  value(depth = 0): MsgValue {
    if (depth > this.maxDepth) throw new MsgpackError(`nesting deeper than ${this.maxDepth}`);
    this.need(1);
    const b = this.buf[this.pos++]!;
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if ((b & 0xe0) === 0xa0) return this.raw(b & 0x1f, this.maxStrLen, 'string');
    if ((b & 0xf0) === 0x90) return this.array(b & 0x0f, depth);
    if ((b & 0xf0) === 0x80) return this.map(b & 0x0f, depth);
    const v = this.view;
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xcc: this.need(1); return this.buf[this.pos++]!;
      case 0xcd: { this.need(2); const x = v.getUint16(this.pos); this.pos += 2; return x; }
      case 0xce: { this.need(4); const x = v.getUint32(this.pos); this.pos += 4; return x; }
      case 0xcf: { this.need(8); const x = v.getBigUint64(this.pos); this.pos += 8; return x <= MAX_SAFE_BIGINT ? Number(x) : x; }
      case 0xd0: { this.need(1); const x = v.getInt8(this.pos); this.pos += 1; return x; }
      case 0xd1: { this.need(2); const x = v.getInt16(this.pos); this.pos += 2; return x; }
      case 0xd2: { this.need(4); const x = v.getInt32(this.pos); this.pos += 4; return x; }
      case 0xd3: {
        this.need(8);
        const x = v.getBigInt64(this.pos);
        this.pos += 8;
        return x <= MAX_SAFE_BIGINT && x >= MIN_SAFE_BIGINT ? Number(x) : x;
      }
      case 0xca: { this.need(4); const x = v.getFloat32(this.pos); this.pos += 4; return x; }
      case 0xcb: { this.need(8); const x = v.getFloat64(this.pos); this.pos += 8; return x; }
      case 0xd9: { this.need(1); const n = this.buf[this.pos++]!; return this.raw(n, this.maxStrLen, 'string'); }
      case 0xda: { this.need(2); const n = v.getUint16(this.pos); this.pos += 2; return this.raw(n, this.maxStrLen, 'string'); }
      case 0xdb: { this.need(4); const n = v.getUint32(this.pos); this.pos += 4; return this.raw(n, this.maxStrLen, 'string'); }
      case 0xdc: { this.need(2); const n = v.getUint16(this.pos); this.pos += 2; return this.array(n, depth); }
      case 0xdd: { this.need(4); const n = v.getUint32(this.pos); this.pos += 4; return this.array(n, depth); }
      case 0xde: { this.need(2); const n = v.getUint16(this.pos); this.pos += 2; return this.map(n, depth); }
      case 0xdf: { this.need(4); const n = v.getUint32(this.pos); this.pos += 4; return this.map(n, depth); }
      case 0xc4: case 0xc5: case 0xc6: {
        if (!this.allowBin) throw new MsgpackError('bin type is not allowed here');
        const w = b === 0xc4 ? 1 : b === 0xc5 ? 2 : 4;
        this.need(w);
        const n = w === 1 ? this.buf[this.pos]! : w === 2 ? v.getUint16(this.pos) : v.getUint32(this.pos);
        this.pos += w;
        return this.raw(n, this.maxStrLen, 'bin');
      }
      case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: case 0xc7: case 0xc8: case 0xc9: {
        if (!this.allowExt) throw new MsgpackError('ext type is not allowed here');
        let n: number;
        if (b >= 0xd4 && b <= 0xd8) n = 1 << (b - 0xd4);
        else {
          const w = b === 0xc7 ? 1 : b === 0xc8 ? 2 : 4;
          this.need(w);
          n = w === 1 ? this.buf[this.pos]! : w === 2 ? v.getUint16(this.pos) : v.getUint32(this.pos);
          this.pos += w;
        }
        this.need(1);
        this.pos += 1; // ext type byte: we keep only the payload
        return this.raw(n, this.maxStrLen, 'ext');
      }
      default:
        throw new MsgpackError(`invalid msgpack type byte 0x${b.toString(16)}`);
    }
  }
}

function asBuf(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Decodes exactly one value; trailing bytes or truncation are errors. */
export function decode(data: Uint8Array, options: DecodeOptions = {}): MsgValue {
  const dec = new Decoder(asBuf(data), options);
  let value: MsgValue;
  try {
    value = dec.value();
  } catch (e) {
    if (e instanceof NeedMoreData) throw new MsgpackError('unexpected end of msgpack data');
    throw e;
  }
  if (dec.pos !== data.byteLength) throw new MsgpackError(`${data.byteLength - dec.pos} extra bytes after msgpack value`);
  return value;
}

/** Decodes the value at `offset` of `data` (more may follow); returns it with the offset after it. */
export function decodeAt(data: Uint8Array, offset: number, options: DecodeOptions = {}): { value: MsgValue; end: number } {
  const dec = new Decoder(asBuf(data), options);
  dec.pos = offset;
  try {
    return { value: dec.value(), end: dec.pos };
  } catch (e) {
    if (e instanceof NeedMoreData) throw new MsgpackError('unexpected end of msgpack data');
    throw e;
  }
}

/** Decodes all values packed back to back in `data` (e.g. a whole item stream). */
export function decodeAll(data: Uint8Array, options: DecodeOptions = {}): MsgValue[] {
  const dec = new Decoder(asBuf(data), options);
  const out: MsgValue[] = [];
  try {
    while (dec.pos < data.byteLength) out.push(dec.value());
  } catch (e) {
    if (e instanceof NeedMoreData) throw new MsgpackError('unexpected end of msgpack data');
    throw e;
  }
  return out;
}

/**
 * Streaming decoder: feed byte pieces as they arrive (item-stream chunks, RPC pipe reads) and take the
 * complete values out. A value split across pieces is decoded once all its bytes are there.
 */
export class Unpacker {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Pieces fed after `buf`, joined only once a value can be complete (no quadratic copying). */
  private pieces: Buffer[] = [];
  private piecesLength = 0;
  /** Unconsumed bytes the incomplete value at `pos` needs at least. */
  private wanted = 0;
  private decoder: Decoder | null = null;
  private decoderBuf: Buffer | null = null;

  constructor(private readonly options: DecodeOptions = {}) {}

  feed(data: Uint8Array): void {
    if (data.byteLength === 0) return;
    // Values may be views into our buffers: keep a private copy, never write into old buffers.
    this.pieces.push(Buffer.from(asBuf(data)));
    this.piecesLength += data.byteLength;
  }

  /** Bytes fed but not yet consumed by a complete value. */
  get pending(): number {
    return this.buf.length - this.pos + this.piecesLength;
  }

  /** The next complete value, or undefined when more bytes are needed. */
  next(): MsgValue | undefined {
    const pending = this.pending;
    if (pending === 0 || pending < this.wanted) return undefined;
    this.join();
    // One decoder per buffer, not per value (each would make its own DataView).
    if (this.decoder === null || this.decoderBuf !== this.buf) {
      this.decoder = new Decoder(this.buf, this.options);
      this.decoderBuf = this.buf;
    }
    const dec = this.decoder;
    dec.pos = this.pos;
    try {
      const value = dec.value();
      this.pos = dec.pos;
      this.wanted = 0;
      return value;
    } catch (e) {
      if (e instanceof NeedMoreData) {
        this.wanted = dec.needed - this.pos;
        return undefined;
      }
      throw e;
    }
  }

  *[Symbol.iterator](): IterableIterator<MsgValue> {
    for (;;) {
      const v = this.next();
      if (v === undefined) return;
      yield v;
    }
  }

  private join(): void {
    if (this.pieces.length === 0) return;
    const rest = this.buf.subarray(this.pos);
    this.buf = rest.length === 0 && this.pieces.length === 1 ? this.pieces[0]! : Buffer.concat([rest, ...this.pieces]);
    this.pos = 0;
    this.pieces = [];
    this.piecesLength = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoder

export interface EncodeOptions {
  /** Pack object keys in byte order, as borg's StableDict does (default false: insertion order). */
  sortKeys?: boolean;
}

export class Encoder {
  private buf: Buffer;
  private view: DataView;
  pos = 0;

  constructor(private readonly sortKeys: boolean, initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  rawHeader(len: number): void {
    if (len > 0xffffffff) throw new MsgpackError(`raw of ${len} bytes is too long for msgpack`);
    this.ensure(5);
    if (len < 32) this.buf[this.pos++] = 0xa0 | len;
    else if (len < 0x10000) {
      this.buf[this.pos++] = 0xda;
      this.view.setUint16(this.pos, len);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = 0xdb;
      this.view.setUint32(this.pos, len);
      this.pos += 4;
    }
  }

  raw(bytes: Uint8Array): void {
    this.rawHeader(bytes.byteLength);
    this.ensure(bytes.byteLength);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.byteLength;
  }

  string(text: string, encoding: 'utf8' | 'latin1'): void {
    const len = Buffer.byteLength(text, encoding);
    this.rawHeader(len);
    this.ensure(len);
    this.pos += this.buf.write(text, this.pos, len, encoding);
  }

  int(n: number): void {
    // Beyond 64 bits DataView would silently wrap; Python's packer refuses such integers too.
    if (n >= 2 ** 64 || n < -(2 ** 63)) throw new MsgpackError(`integer ${n} does not fit in 64 bits`);
    this.ensure(9);
    const v = this.view;
    if (n >= 0) {
      if (n < 0x80) this.buf[this.pos++] = n;
      else if (n < 0x100) { this.buf[this.pos++] = 0xcc; this.buf[this.pos++] = n; }
      else if (n < 0x10000) { this.buf[this.pos++] = 0xcd; v.setUint16(this.pos, n); this.pos += 2; }
      else if (n < 0x100000000) { this.buf[this.pos++] = 0xce; v.setUint32(this.pos, n); this.pos += 4; }
      else { this.buf[this.pos++] = 0xcf; v.setBigUint64(this.pos, BigInt(n)); this.pos += 8; }
    } else {
      if (n >= -32) this.buf[this.pos++] = n + 0x100;
      else if (n >= -0x80) { this.buf[this.pos++] = 0xd0; v.setInt8(this.pos, n); this.pos += 1; }
      else if (n >= -0x8000) { this.buf[this.pos++] = 0xd1; v.setInt16(this.pos, n); this.pos += 2; }
      else if (n >= -0x80000000) { this.buf[this.pos++] = 0xd2; v.setInt32(this.pos, n); this.pos += 4; }
      else { this.buf[this.pos++] = 0xd3; v.setBigInt64(this.pos, BigInt(n)); this.pos += 8; }
    }
  }

  bigint(n: bigint): void {
    if (n >= MIN_SAFE_BIGINT && n <= MAX_SAFE_BIGINT) return this.int(Number(n));
    this.ensure(9);
    if (n >= 0n) {
      if (n >= U64_LIMIT) throw new MsgpackError('integer too large for msgpack');
      this.buf[this.pos++] = 0xcf;
      this.view.setBigUint64(this.pos, n);
    } else {
      if (n < I64_MIN) throw new MsgpackError('integer too small for msgpack');
      this.buf[this.pos++] = 0xd3;
      this.view.setBigInt64(this.pos, n);
    }
    this.pos += 8;
  }

  float(x: number): void {
    this.ensure(9);
    this.buf[this.pos++] = 0xcb;
    this.view.setFloat64(this.pos, x);
    this.pos += 8;
  }

  private containerHeader(len: number, fix: number, b16: number, b32: number): void {
    this.ensure(5);
    if (len < 16) this.buf[this.pos++] = fix | len;
    else if (len < 0x10000) { this.buf[this.pos++] = b16; this.view.setUint16(this.pos, len); this.pos += 2; }
    else { this.buf[this.pos++] = b32; this.view.setUint32(this.pos, len); this.pos += 4; }
  }

  arrayHeader(len: number): void {
    this.containerHeader(len, 0x90, 0xdc, 0xdd);
  }

  mapHeader(len: number): void {
    this.containerHeader(len, 0x80, 0xde, 0xdf);
  }

  /** Object and Map string keys are raw bytes as latin1 text (see keyOf); anything wider is a bug. */
  latin1Key(k: string): void {
    // latin1: one byte per character, written directly (keys are short; no encoder call).
    const len = k.length;
    this.rawHeader(len);
    this.ensure(len);
    const buf = this.buf;
    const at = this.pos;
    for (let i = 0; i < len; i++) {
      const c = k.charCodeAt(i);
      if (c > 0xff) throw new MsgpackError(`map key '${k}' is not latin1 raw bytes (use keyOf)`);
      buf[at + i] = c;
    }
    this.pos = at + len;
  }

  private mapKey(k: MsgKey): void {
    if (typeof k === 'string') this.latin1Key(k);
    else if (typeof k === 'number') this.value(k);
    else if (typeof k === 'bigint') this.bigint(k);
    else this.raw(k);
  }

  value(x: MsgValue | undefined): void {
    if (x === null || x === undefined) return this.byte(0xc0);
    switch (typeof x) {
      case 'boolean': return this.byte(x ? 0xc3 : 0xc2);
      case 'number': return Number.isInteger(x) ? this.int(x) : this.float(x);
      case 'bigint': return this.bigint(x);
      case 'string': return this.string(x, 'utf8');
    }
    if (x instanceof Uint8Array) return this.raw(x);
    if (Array.isArray(x)) {
      this.arrayHeader(x.length);
      for (const e of x) this.value(e);
      return;
    }
    if (x instanceof Map) {
      let entries = [...x.entries()];
      if (this.sortKeys) entries = entries.sort((a, b) => compareKeys(a[0], b[0]));
      this.mapHeader(entries.length);
      for (const [k, v] of entries) {
        this.mapKey(k);
        this.value(v);
      }
      return;
    }
    const map = x as MsgMap;
    const keys = Object.keys(map);
    let n = 0;
    for (const k of keys) if (map[k] !== undefined) keys[n++] = k;
    keys.length = n;
    // Decoded maps mostly come sorted already (borg writes them so): check before sorting.
    if (this.sortKeys && !isSorted(keys)) keys.sort();
    this.mapHeader(n);
    for (const k of keys) {
      this.latin1Key(k);
      this.value(map[k]);
    }
  }
}

/** Whether `keys` are in the order sort() would give (UTF-16 code units). */
function isSorted(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}

/** Integers numerically (before raws), raws by their bytes. */
function compareKeys(a: MsgKey, b: MsgKey): number {
  const aInt = typeof a === 'number' || typeof a === 'bigint';
  const bInt = typeof b === 'number' || typeof b === 'bigint';
  if (aInt && bInt) return a < b ? -1 : a > b ? 1 : 0;
  if (aInt !== bInt) return aInt ? -1 : 1;
  return Buffer.compare(keyRaw(a as string | Uint8Array), keyRaw(b as string | Uint8Array));
}

function keyRaw(k: string | Uint8Array): Buffer {
  return typeof k === 'string' ? Buffer.from(k, 'latin1') : asBuf(k);
}

/** Packs one value the way borg 1.2 does. Object properties that are `undefined` are left out. */
export function encode(value: MsgValue, options: EncodeOptions = {}): Buffer {
  const enc = new Encoder(options.sortKeys ?? false);
  enc.value(value);
  return enc.result();
}

/** Packs several values back to back into one buffer (item streams, RPC batches). */
export function encodeAll(values: Iterable<MsgValue>, options: EncodeOptions = {}): Buffer {
  const enc = new Encoder(options.sortKeys ?? false, 4096);
  for (const v of values) enc.value(v);
  return enc.result();
}

// ---------------------------------------------------------------------------------------------
// Key and value helpers

/** The object key under which a decoded map stores the raw key `bytes` (or text `key`). */
export function keyOf(key: Uint8Array | string): string {
  return typeof key === 'string' ? Buffer.from(key, 'utf8').toString('latin1') : asBuf(key).toString('latin1');
}

/** The raw bytes of a decoded map key. */
export function keyBytes(key: string): Buffer {
  return Buffer.from(key, 'latin1');
}

/** Text of a decoded map key (UTF-8 bytes, invalid sequences replaced). */
export function keyText(key: string): string {
  return Buffer.from(key, 'latin1').toString('utf8');
}

export function isMap(x: MsgValue | undefined): x is MsgMap {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array) && !(x instanceof Map);
}
