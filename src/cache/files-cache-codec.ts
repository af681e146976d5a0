// The files cache file (spec §7.3): a msgpack stream of `[path_hash, [age, inode, size, cmtime,
// [chunk_id, ...]]]` entries, read and written without building a JS value per entry. The writer
// packs exactly what borg's msgpack packs for these values (raw16 headers for 32-byte raws, the
// smallest integer forms), so an entry read and written again keeps its bytes.

const ID_SIZE = 32;

/** The bytes of a files cache are not a valid entry stream (borg: "The files cache seems invalid"). */
export class FilesCacheFormatError extends Error {}

/** Thrown inside the parser when the entry at hand needs more bytes than were fed. */
class NeedMore extends Error {}
const NEED_MORE = new NeedMore();

export interface FilesCacheEntry {
  pathHash: Uint8Array;
  age: number;
  inode: bigint;
  size: number;
  cmtime: bigint;
  /** Chunk ids concatenated (32 bytes each); a view valid only during the callback. */
  chunkIds: Uint8Array;
}

/** Incremental reader: feed file blocks, entries are passed to `onEntry` as soon as they are complete. */
export class FilesCacheParser {
  #pieces: Uint8Array[] = [];
  #pendingBytes = 0;
  /** Lower bound of the bytes the entry at the start of the pending data needs. */
  #need = 1;
  #buf: Uint8Array = new Uint8Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  #pos = 0;
  #ids = new Uint8Array(ID_SIZE * 64);

  constructor(private readonly onEntry: (entry: FilesCacheEntry) => void) {}

  feed(block: Uint8Array): void {
    if (block.byteLength === 0) return;
    this.#pieces.push(Uint8Array.from(block));
    this.#pendingBytes += block.byteLength;
    if (this.#pendingBytes >= this.#need) this.#drain();
  }

  /** Call at the end of the file: leftover bytes mean a truncated entry. */
  end(): void {
    if (this.#pendingBytes > 0) this.#drain();
    if (this.#pendingBytes > 0) throw new FilesCacheFormatError(`truncated entry (${this.#pendingBytes} bytes at the end)`);
  }

  /** Parses every complete entry of the pending bytes and keeps the rest. */
  #drain(): void {
    const data = this.#pieces.length === 1 ? this.#pieces[0]! : concat(this.#pieces, this.#pendingBytes);
    this.#pieces = [];
    let start = 0;
    this.#load(data);
    try {
      while (start < data.byteLength) {
        this.#pos = start;
        this.#entry();
        start = this.#pos;
        this.#need = 1;
      }
    } catch (e) {
      if (!(e instanceof NeedMore)) throw e;
    }
    if (start < data.byteLength) this.#pieces.push(data.subarray(start));
    this.#pendingBytes = data.byteLength - start;
  }

  #load(data: Uint8Array): void {
    this.#buf = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  #entry(): void {
    const start = this.#pos;
    if (this.#arrayHeader() !== 2) throw new FilesCacheFormatError('an entry is not a [path_hash, entry] pair');
    const pathHash = this.#raw();
    if (pathHash.byteLength !== ID_SIZE) throw new FilesCacheFormatError(`path hash of ${pathHash.byteLength} bytes`);
    if (this.#arrayHeader() !== 5) throw new FilesCacheFormatError('an entry does not have 5 fields');
    const age = this.#int();
    const inode = this.#int();
    const size = this.#int();
    const cmtime = this.#peekIsRaw() ? legacyBigint(this.#raw()) : this.#int();
    const n = this.#arrayHeader();
    this.#needAtLeast(start, n * (ID_SIZE + 3));
    if (this.#ids.byteLength < n * ID_SIZE) this.#ids = new Uint8Array(n * ID_SIZE * 2);
    for (let i = 0; i < n; i++) {
      const id = this.#raw();
      if (id.byteLength !== ID_SIZE) throw new FilesCacheFormatError(`chunk id of ${id.byteLength} bytes`);
      this.#ids.set(id, i * ID_SIZE);
    }
    if (age < 0n || inode < 0n || size < 0n || size > BigInt(Number.MAX_SAFE_INTEGER)) throw new FilesCacheFormatError('negative or huge age, inode or size');
    if (inode >= 1n << 64n || cmtime >= 1n << 63n || cmtime < -(1n << 63n)) throw new FilesCacheFormatError('inode or cmtime out of range');
    this.onEntry({
      pathHash, age: age > 0xffffn ? 0xffff : Number(age), inode, size: Number(size), cmtime,
      chunkIds: this.#ids.subarray(0, n * ID_SIZE),
    });
  }

  #needAtLeast(start: number, more: number): void {
    if (this.#pos + more > this.#buf.byteLength) {
      this.#need = this.#pos - start + more;
      throw NEED_MORE;
    }
  }

  #take(n: number): number {
    if (this.#pos + n > this.#buf.byteLength) throw NEED_MORE;
    const at = this.#pos;
    this.#pos += n;
    return at;
  }

  #arrayHeader(): number {
    const b = this.#buf[this.#take(1)]!;
    if ((b & 0xf0) === 0x90) return b & 0x0f;
    if (b === 0xdc) return this.#view.getUint16(this.#take(2));
    if (b === 0xdd) return this.#view.getUint32(this.#take(4));
    throw new FilesCacheFormatError(`expected an array, found type byte 0x${b.toString(16)}`);
  }

  #peekIsRaw(): boolean {
    if (this.#pos >= this.#buf.byteLength) throw NEED_MORE;
    const b = this.#buf[this.#pos]!;
    return (b & 0xe0) === 0xa0 || b === 0xd9 || b === 0xda || b === 0xdb || b === 0xc4 || b === 0xc5 || b === 0xc6;
  }

  /** A raw (str family, or bin as newer msgpack writers might use) as a view. */
  #raw(): Uint8Array {
    const b = this.#buf[this.#take(1)]!;
    let n: number;
    if ((b & 0xe0) === 0xa0) n = b & 0x1f;
    else if (b === 0xd9 || b === 0xc4) n = this.#buf[this.#take(1)]!;
    else if (b === 0xda || b === 0xc5) n = this.#view.getUint16(this.#take(2));
    else if (b === 0xdb || b === 0xc6) n = this.#view.getUint32(this.#take(4));
    else throw new FilesCacheFormatError(`expected bytes, found type byte 0x${b.toString(16)}`);
    const at = this.#take(n);
    return this.#buf.subarray(at, at + n);
  }

  #int(): bigint {
    const b = this.#buf[this.#take(1)]!;
    const v = this.#view;
    if (b <= 0x7f) return BigInt(b);
    if (b >= 0xe0) return BigInt(b - 0x100);
    switch (b) {
      case 0xcc: return BigInt(this.#buf[this.#take(1)]!);
      case 0xcd: return BigInt(v.getUint16(this.#take(2)));
      case 0xce: return BigInt(v.getUint32(this.#take(4)));
      case 0xcf: return v.getBigUint64(this.#take(8));
      case 0xd0: return BigInt(v.getInt8(this.#take(1)));
      case 0xd1: return BigInt(v.getInt16(this.#take(2)));
      case 0xd2: return BigInt(v.getInt32(this.#take(4)));
      case 0xd3: return v.getBigInt64(this.#take(8));
      default: throw new FilesCacheFormatError(`expected an integer, found type byte 0x${b.toString(16)}`);
    }
  }
}

/** borg < 1.2 stored times beyond 63 bits as little-endian two's complement bytes ("bigint"). */
function legacyBigint(bytes: Uint8Array): bigint {
  if (bytes.byteLength === 0) throw new FilesCacheFormatError('empty bigint');
  let n = 0n;
  for (let i = bytes.byteLength - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return bytes[bytes.byteLength - 1]! & 0x80 ? n - (1n << BigInt(8 * bytes.byteLength)) : n;
}

function concat(pieces: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of pieces) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** Packs entries into blocks of about `blockSize` bytes for a streaming writer. */
export class FilesCacheEncoder {
  #buf: Buffer;
  #pos = 0;

  constructor(private readonly flush: (block: Uint8Array) => void, blockSize = 1 << 20) {
    this.#buf = Buffer.allocUnsafe(blockSize);
  }

  entry(pathHash: Uint8Array, age: number, inode: bigint, size: number, cmtime: bigint, chunkIds: Uint8Array): void {
    const n = chunkIds.byteLength / ID_SIZE;
    this.#reserve(3 + ID_SIZE + 1 + 4 * 9 + 5 + n * (3 + ID_SIZE));
    this.#byte(0x92);
    this.#raw32(pathHash, 0);
    this.#byte(0x95);
    this.#int(BigInt(age));
    this.#int(inode);
    this.#int(BigInt(size));
    this.#int(cmtime);
    if (n < 16) this.#byte(0x90 | n);
    else if (n < 0x10000) {
      this.#byte(0xdc);
      this.#pos = this.#buf.writeUInt16BE(n, this.#pos);
    } else {
      this.#byte(0xdd);
      this.#pos = this.#buf.writeUInt32BE(n, this.#pos);
    }
    for (let i = 0; i < n; i++) this.#raw32(chunkIds, i * ID_SIZE);
  }

  /** Hands out what is buffered. */
  end(): void {
    if (this.#pos > 0) this.flush(this.#buf.subarray(0, this.#pos));
    this.#pos = 0;
  }

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    this.end();
    if (n > this.#buf.length) this.#buf = Buffer.allocUnsafe(n);
  }

  #byte(b: number): void {
    this.#buf[this.#pos++] = b;
  }

  #raw32(bytes: Uint8Array, offset: number): void {
    this.#buf[this.#pos++] = 0xda;
    this.#buf[this.#pos++] = 0x00;
    this.#buf[this.#pos++] = ID_SIZE;
    this.#buf.set(bytes.subarray(offset, offset + ID_SIZE), this.#pos);
    this.#pos += ID_SIZE;
  }

  /** msgpack-python's smallest form of an integer. */
  #int(n: bigint): void {
    const b = this.#buf;
    if (n >= 0n) {
      if (n < 0x80n) this.#byte(Number(n));
      else if (n < 0x100n) { this.#byte(0xcc); this.#byte(Number(n)); }
      else if (n < 0x10000n) { this.#byte(0xcd); this.#pos = b.writeUInt16BE(Number(n), this.#pos); }
      else if (n < 0x100000000n) { this.#byte(0xce); this.#pos = b.writeUInt32BE(Number(n), this.#pos); }
      else { this.#byte(0xcf); this.#pos = b.writeBigUInt64BE(n, this.#pos); }
    } else if (n >= -32n) this.#byte(Number(n) + 0x100);
    else if (n >= -0x80n) { this.#byte(0xd0); this.#pos = b.writeInt8(Number(n), this.#pos); }
    else if (n >= -0x8000n) { this.#byte(0xd1); this.#pos = b.writeInt16BE(Number(n), this.#pos); }
    else if (n >= -0x80000000n) { this.#byte(0xd2); this.#pos = b.writeInt32BE(Number(n), this.#pos); }
    else { this.#byte(0xd3); this.#pos = b.writeBigInt64BE(n, this.#pos); }
  }
}
