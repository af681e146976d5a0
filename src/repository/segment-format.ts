// Byte layout of segment files (spec §1.4): magic, entry headers, CRC32, limits.
// Pure functions; reading and writing files live in segment-reader.ts and segment-writer.ts.
import { crc32 } from 'node:zlib';
import { IntegrityError } from './errors.js';

export const MAGIC = Buffer.from('BORG_SEG', 'latin1');
export const ATTIC_MAGIC = Buffer.from('ATTICSEG', 'latin1');
export const MAGIC_LEN = 8;

export const TAG_PUT = 0;
export const TAG_DELETE = 1;
export const TAG_COMMIT = 2;
/** Tags up to this value are reserved; anything above is corruption for sure (used by recovery). */
export const MAX_TAG_ID = 15;

/** crc32 u32 + size u32 + tag u8. */
export const HEADER_SIZE = 9;
/** HEADER_SIZE + 32-byte id: PUT and DELETE. */
export const PUT_HEADER_SIZE = 41;
export const MAX_DATA_SIZE = 20971479;
export const MAX_OBJECT_SIZE = MAX_DATA_SIZE + PUT_HEADER_SIZE;
export const ID_SIZE = 32;

export type Tag = typeof TAG_PUT | typeof TAG_DELETE | typeof TAG_COMMIT;

/** The 32-byte id of the manifest: writing it always starts a new segment. */
export const MANIFEST_ID = Buffer.alloc(32);

function header(size: number, tag: Tag): Buffer {
  const h = Buffer.allocUnsafe(HEADER_SIZE);
  h.writeUInt32LE(size, 4);
  h[8] = tag;
  return h;
}

/**
 * The 41 bytes before a PUT entry's data: crc || size || tag || id, the crc covering the data too.
 * Written together with the data (writev), a big object is not copied into a new entry.
 */
export function putHeader(id: Uint8Array, data: Uint8Array): Buffer {
  if (data.byteLength > MAX_DATA_SIZE) {
    throw new IntegrityError(`Cannot store ${data.byteLength} bytes in one object: the limit is ${MAX_DATA_SIZE}`);
  }
  const entry = Buffer.allocUnsafe(PUT_HEADER_SIZE);
  header(PUT_HEADER_SIZE + data.byteLength, TAG_PUT).copy(entry, 0);
  entry.set(id, HEADER_SIZE);
  const headerCrc = crc32(entry.subarray(4));
  // Node's crc32 returns 0, not the start value, for some empty buffers (no backing store).
  entry.writeUInt32LE(data.byteLength === 0 ? headerCrc : crc32(data, headerCrc), 0);
  return entry;
}

/**
 * PUT headers computed ahead (by the chunk worker that sealed the data), keyed by the data buffer:
 * the segment writer then neither computes the CRC nor copies small data into a new entry.
 */
const putHeaders = new WeakMap<Uint8Array, Buffer>();

/** Records `header` (from putHeader) as the PUT header of `data`, a buffer nobody changes afterwards. */
export function rememberPutHeader(data: Uint8Array, header: Buffer): void {
  putHeaders.set(data, header);
}

/** The PUT header remembered for `data` stored under `id`, if it is one for exactly that id and length. */
export function rememberedPutHeader(id: Uint8Array, data: Uint8Array): Buffer | null {
  const header = putHeaders.get(data);
  if (header === undefined) return null;
  putHeaders.delete(data);
  const fits = header.length === PUT_HEADER_SIZE && header.readUInt32LE(4) === PUT_HEADER_SIZE + data.byteLength && header[8] === TAG_PUT
    && Buffer.compare(header.subarray(HEADER_SIZE), id) === 0;
  return fits ? header : null;
}

/** A complete PUT entry in one buffer: crc || size || tag || id || data. */
export function encodePut(id: Uint8Array, data: Uint8Array): Buffer {
  return Buffer.concat([putHeader(id, data), data]);
}

export function encodeDelete(id: Uint8Array): Buffer {
  const entry = Buffer.allocUnsafe(PUT_HEADER_SIZE);
  header(PUT_HEADER_SIZE, TAG_DELETE).copy(entry, 0);
  entry.set(id, HEADER_SIZE);
  entry.writeUInt32LE(crc32(entry.subarray(4)), 0);
  return entry;
}

/** The COMMIT entry is always these 9 bytes. */
export const COMMIT_ENTRY: Buffer = (() => {
  const entry = header(HEADER_SIZE, TAG_COMMIT);
  entry.writeUInt32LE(crc32(entry.subarray(4)), 0);
  return entry;
})();

/** One parsed entry. `data` is set only when the caller asked for it. */
export interface SegmentEntry {
  tag: Tag;
  /** 32-byte id for PUT and DELETE, undefined for COMMIT. */
  id: Buffer | undefined;
  offset: number;
  /** Total entry size including the header. */
  size: number;
  data?: Buffer;
}

export interface HeaderFields {
  crc: number;
  size: number;
  tag: number;
}

/**
 * Reads and bounds-checks the 9-byte header at `buf[0..9)`; `where` names the position for messages
 * (a function: only called for a message, scans read many good headers).
 */
export function parseHeader(buf: Buffer, where: string | (() => string)): HeaderFields {
  const at = (): string => (typeof where === 'string' ? where : where());
  if (buf.length < HEADER_SIZE) throw new IntegrityError(`Invalid segment entry header ${at()}: short read`);
  const crc = buf.readUInt32LE(0);
  const size = buf.readUInt32LE(4);
  const tag = buf[8]!;
  if (size > MAX_OBJECT_SIZE) throw new IntegrityError(`Invalid segment entry size ${size}, too big ${at()}`);
  if (size < HEADER_SIZE) throw new IntegrityError(`Invalid segment entry size ${size}, too small ${at()}`);
  return { crc, size, tag };
}

/**
 * Checks the header of the PUT for `id` (at least PUT_HEADER_SIZE bytes of `buf`); returns the entry
 * size. `where` names the position for messages (a function: only called for a message).
 */
export function checkPutHeader(buf: Buffer, id: Uint8Array, where: string | (() => string)): number {
  const at = (): string => (typeof where === 'string' ? where : where());
  if (buf.length < PUT_HEADER_SIZE) throw new IntegrityError(`Invalid segment entry header ${at()}: short read`);
  const { size, tag } = parseHeader(buf, where);
  if (size < PUT_HEADER_SIZE) throw new IntegrityError(`Invalid segment entry size ${size}, too small ${at()}`);
  if (tag !== TAG_PUT) throw new IntegrityError(`Invalid segment entry header, not a PUT ${at()}`);
  if (!buf.subarray(HEADER_SIZE, PUT_HEADER_SIZE).equals(id)) {
    throw new IntegrityError(`Invalid segment entry header, not for the wanted id ${at()}`);
  }
  return size;
}

/** Checks the CRC of a complete entry (`entry` = all `size` bytes, header included). */
export function entryCrcValid(entry: Buffer, crc: number): boolean {
  return crc32(entry.subarray(4)) === crc;
}

export function describePosition(segment: number, offset: number): string {
  return `[segment ${segment}, offset ${offset}]`;
}
