// A streaming ZIP writer for directory downloads: entries are "stored" (backups are usually
// compressed data already, and the point is speed), each followed by a data descriptor with its
// CRC-32 since the CRC is only known at the end. ZIP64 records are written where sizes, offsets
// or the entry count pass the classic limits. Unix modes and mtimes are kept.
import { crc32 } from 'node:zlib';

export type ZipSink = (data: Buffer) => Promise<void> | void;

interface CentralEntry {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
  mode: number;
  dosTime: number;
  dosDate: number;
  mtime: number;
  zip64: boolean;
}

const MAX32 = 0xffffffff;
const FLAGS = 0x0008 | 0x0800; // data descriptor follows; names are UTF-8

function dosDateTime(ms: number): { time: number; date: number } {
  const d = new Date(Math.max(ms, Date.UTC(1980, 0, 1)));
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** Extended timestamp extra field (mtime, seconds). */
function timeExtra(mtime: number): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt16LE(0x5455, 0);
  b.writeUInt16LE(5, 2);
  b.writeUInt8(1, 4);
  b.writeInt32LE(Math.max(-0x80000000, Math.min(0x7fffffff, Math.floor(mtime / 1000))), 5);
  return b;
}

export class ZipWriter {
  #offset = 0;
  #entries: CentralEntry[] = [];

  constructor(private readonly sink: ZipSink) {}

  async #write(data: Buffer): Promise<void> {
    this.#offset += data.length;
    await this.sink(data);
  }

  /**
   * Adds an entry whose content comes from `content` (directories: none, name ending in '/').
   * `expectedSize` decides whether ZIP64 sizes are needed.
   */
  async add(name: string, options: { mode: number; mtime: number; expectedSize: number }, content?: AsyncIterable<Uint8Array> | Uint8Array): Promise<void> {
    const nameBytes = Buffer.from(name, 'utf8');
    const zip64 = options.expectedSize >= MAX32;
    const { time, date } = dosDateTime(options.mtime);
    const extra = zip64 ? Buffer.concat([zip64Extra([0, 0]), timeExtra(options.mtime)]) : timeExtra(options.mtime);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(zip64 ? 45 : 20, 4);
    header.writeUInt16LE(FLAGS, 6);
    header.writeUInt16LE(0, 8);
    header.writeUInt16LE(time, 10);
    header.writeUInt16LE(date, 12);
    header.writeUInt32LE(0, 14);
    header.writeUInt32LE(zip64 ? MAX32 : 0, 18);
    header.writeUInt32LE(zip64 ? MAX32 : 0, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    header.writeUInt16LE(extra.length, 28);
    const offset = this.#offset;
    await this.#write(Buffer.concat([header, nameBytes, extra]));
    let crc = 0;
    let size = 0;
    const pieces = content === undefined ? [] : content instanceof Uint8Array ? [content] : content;
    for await (const piece of pieces) {
      crc = crc32(piece, crc);
      size += piece.length;
      await this.#write(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength));
    }
    const descriptor = Buffer.alloc(zip64 ? 24 : 16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc >>> 0, 4);
    if (zip64) {
      descriptor.writeBigUInt64LE(BigInt(size), 8);
      descriptor.writeBigUInt64LE(BigInt(size), 16);
    } else {
      descriptor.writeUInt32LE(size, 8);
      descriptor.writeUInt32LE(size, 12);
    }
    await this.#write(descriptor);
    this.#entries.push({ name: nameBytes, crc: crc >>> 0, size, offset, mode: options.mode, dosTime: time, dosDate: date, mtime: options.mtime, zip64 });
  }

  /** Writes the central directory and the end records. */
  async finish(): Promise<void> {
    const start = this.#offset;
    for (const e of this.#entries) {
      const big: number[] = [];
      if (e.zip64 || e.size >= MAX32) big.push(e.size, e.size);
      if (e.offset >= MAX32) big.push(e.offset);
      const extra = Buffer.concat([...(big.length ? [zip64Extra(big)] : []), timeExtra(e.mtime)]);
      const h = Buffer.alloc(46);
      h.writeUInt32LE(0x02014b50, 0);
      h.writeUInt16LE((3 << 8) | 45, 4);
      h.writeUInt16LE(big.length ? 45 : 20, 6);
      h.writeUInt16LE(FLAGS, 8);
      h.writeUInt16LE(0, 10);
      h.writeUInt16LE(e.dosTime, 12);
      h.writeUInt16LE(e.dosDate, 14);
      h.writeUInt32LE(e.crc, 16);
      const sizeField = e.zip64 || e.size >= MAX32 ? MAX32 : e.size;
      h.writeUInt32LE(sizeField, 20);
      h.writeUInt32LE(sizeField, 24);
      h.writeUInt16LE(e.name.length, 28);
      h.writeUInt16LE(extra.length, 30);
      h.writeUInt32LE((((e.mode & 0xffff) << 16) | ((e.mode & 0o170000) === 0o040000 ? 0x10 : 0)) >>> 0, 38);
      h.writeUInt32LE(e.offset >= MAX32 ? MAX32 : e.offset, 42);
      await this.#write(Buffer.concat([h, e.name, extra]));
    }
    const size = this.#offset - start;
    const count = this.#entries.length;
    if (count >= 0xffff || start >= MAX32 || size >= MAX32) {
      const end64 = this.#offset;
      const r = Buffer.alloc(56);
      r.writeUInt32LE(0x06064b50, 0);
      r.writeBigUInt64LE(44n, 4);
      r.writeUInt16LE((3 << 8) | 45, 12);
      r.writeUInt16LE(45, 14);
      r.writeBigUInt64LE(BigInt(count), 24);
      r.writeBigUInt64LE(BigInt(count), 32);
      r.writeBigUInt64LE(BigInt(size), 40);
      r.writeBigUInt64LE(BigInt(start), 48);
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(0x07064b50, 0);
      loc.writeBigUInt64LE(BigInt(end64), 8);
      loc.writeUInt32LE(1, 16);
      await this.#write(Buffer.concat([r, loc]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(count, 0xffff), 8);
    end.writeUInt16LE(Math.min(count, 0xffff), 10);
    end.writeUInt32LE(Math.min(size, MAX32), 12);
    end.writeUInt32LE(Math.min(start, MAX32), 16);
    await this.#write(end);
  }
}

function zip64Extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}
