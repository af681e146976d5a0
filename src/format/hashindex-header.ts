// The 18-byte BORG_IDX header (spec §1.7): magic, i32le num_entries, i32le num_buckets, i8 key_size,
// i8 value_size. Parsing validates everything a hostile file could lie about before any allocation.
import { IndexCorrupted } from './errors.js';
import { KEY_SIZE } from './hashindex-sizes.js';

export const HEADER_SIZE = 18;
const MAGIC = Buffer.from('BORG_IDX', 'latin1');

export interface HashIndexHeader {
  numEntries: number;
  numBuckets: number;
  keySize: number;
  valueSize: number;
}

export interface HeaderCheckOptions {
  /** The value size the caller requires. */
  valueSize?: number;
  /** Length of the whole file: must be exactly header + buckets (checked before anything is allocated). */
  fileLength?: number;
}

/** Parses and checks the header at the start of `bytes`. */
export function parseHashIndexHeader(bytes: Uint8Array, options: HeaderCheckOptions = {}): HashIndexHeader {
  const { valueSize, fileLength } = options;
  if (bytes.byteLength < HEADER_SIZE) throw new IndexCorrupted(`Cannot read hash index: ${bytes.byteLength} bytes are too short for the header`);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, HEADER_SIZE);
  if (!b.subarray(0, 8).equals(MAGIC)) throw new IndexCorrupted('Cannot read hash index: unknown magic (not a BORG_IDX file)');
  const header: HashIndexHeader = {
    numEntries: b.readInt32LE(8),
    numBuckets: b.readInt32LE(12),
    keySize: b.readInt8(16),
    valueSize: b.readInt8(17),
  };
  if (header.keySize !== KEY_SIZE) throw new IndexCorrupted(`Cannot read hash index: key size ${header.keySize}, expected ${KEY_SIZE}`);
  if (valueSize !== undefined && header.valueSize !== valueSize) {
    throw new IndexCorrupted(`Cannot read hash index: value size ${header.valueSize}, expected ${valueSize}`);
  }
  if (header.valueSize < 4 || header.valueSize % 4 !== 0) throw new IndexCorrupted(`Cannot read hash index: unsupported value size ${header.valueSize}`);
  if (header.numBuckets < 0 || header.numEntries < 0 || header.numEntries > header.numBuckets) {
    throw new IndexCorrupted(`Cannot read hash index: impossible counts (${header.numEntries} entries in ${header.numBuckets} buckets)`);
  }
  const expected = HEADER_SIZE + header.numBuckets * (header.keySize + header.valueSize);
  if (fileLength !== undefined && fileLength !== expected) {
    throw new IndexCorrupted(`Cannot read hash index: file length ${fileLength} should be ${expected} for ${header.numBuckets} buckets`);
  }
  return header;
}

export function encodeHashIndexHeader(header: HashIndexHeader): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(b, 0);
  b.writeInt32LE(header.numEntries, 8);
  b.writeInt32LE(header.numBuckets, 12);
  b.writeInt8(header.keySize, 16);
  b.writeInt8(header.valueSize, 17);
  return b;
}
