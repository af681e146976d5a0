// The `lz4` codec (header 01 00): a raw LZ4 block, without frame or size field (spec §3.1).
// Deciding: data that LZ4 cannot make smaller is stored with the `none` header instead.

import { createRequire } from 'node:module';

import { compressNone } from './none.js';
import { HEADERS, decompressionFailed, ownedBuffer } from './payload.js';

interface Lz4Binding {
  /** LZ4_compress_default into output[start, end); returns the size written, 0 if it did not fit. */
  encodeBlock(input: Buffer, output: Buffer, start: number, end: number): number;
  /** LZ4_decompress_safe into all of output; returns the size written, negative on error. */
  decodeBlock(input: Buffer, output: Buffer): number;
}

const lz4 = createRequire(import.meta.url)('lz4') as Lz4Binding;

// Per-thread scratch buffers, reused across calls; results are copied out at their exact size.
let compressScratch = Buffer.alloc(0);
let decompressScratch = Buffer.alloc(0);

export function compressLz4(data: Buffer): Buffer {
  // The output may use at most data.length - 1 bytes: anything larger is not a gain, and LZ4 gives up
  // early on incompressible data when the room runs out.
  if (data.length < 2) return compressNone(data);
  if (compressScratch.length < data.length + 1) compressScratch = Buffer.allocUnsafeSlow(data.length + 1);
  const size = lz4.encodeBlock(data, compressScratch, 2, data.length + 1);
  if (size <= 0) return compressNone(data);
  const out = ownedBuffer(2 + size);
  out.writeUInt16BE(HEADERS.lz4, 0);
  compressScratch.copy(out, 2, 2, 2 + size);
  return out;
}

/**
 * The block stores no size, so it is decoded into a buffer of `maxSize` bytes (like borg, which grows
 * its buffer up to a bound); a block that would not fit is reported like a corrupt one.
 */
export function decompressLz4(payload: Buffer, maxSize: number): Buffer {
  if (decompressScratch.length < maxSize) decompressScratch = Buffer.allocUnsafeSlow(maxSize);
  const output = decompressScratch.length === maxSize ? decompressScratch : decompressScratch.subarray(0, maxSize);
  let size: number;
  try {
    size = lz4.decodeBlock(payload.subarray(2), output);
  } catch (error) {
    throw decompressionFailed('lz4', error);
  }
  if (size < 0) {
    throw decompressionFailed('lz4', `the block is corrupt or expands to more than ${maxSize} bytes`);
  }
  const out = ownedBuffer(size);
  output.copy(out, 0, 0, size);
  return out;
}
