// The `lz4` codec (header 01 00): a raw LZ4 block, without frame or size field (spec §3.1).
// Deciding: data that LZ4 cannot make smaller is stored with the `none` header instead.

import { createRequire } from 'node:module';

import { HEADERS, decompressionFailed, ownedBuffer } from './payload.js';

/** The package's native addon itself (its index adds streams and an xxhash addon we do not use). */
interface Lz4Binding {
  /** LZ4_compress_default into output[start, end); returns the size written, 0 if it did not fit. */
  compress(input: Buffer, output: Buffer, start: number, end: number): number;
  /** LZ4_decompress_safe into all of output; returns the size written, negative on error. */
  uncompress(input: Buffer, output: Buffer): number;
}

// Loaded at first use: commands that never compress or decompress do not pay for loading the addon.
let lz4Binding: Lz4Binding | undefined;
function lz4(): Lz4Binding {
  return lz4Binding ??= createRequire(import.meta.url)('lz4/build/Release/lz4.node') as Lz4Binding;
}

// Per-thread scratch buffers, reused across calls; results are copied out at their exact size.
let compressScratch = Buffer.alloc(0);
let decompressScratch = Buffer.alloc(0);

export function compressLz4(data: Buffer): Buffer {
  const view = compressLz4View(data);
  const out = ownedBuffer(view.length);
  out.set(view);
  return out;
}

/**
 * Like compressLz4, but the result is a view into a per-thread scratch buffer, valid until the next
 * call: for callers that consume the payload at once (sealing copies it), which saves an allocation
 * and a copy per chunk.
 */
export function compressLz4View(data: Buffer): Buffer {
  // The output may use at most data.length - 1 bytes: anything larger is not a gain, and LZ4 gives up
  // early on incompressible data when the room runs out.
  if (compressScratch.length < data.length + 2) compressScratch = Buffer.allocUnsafeSlow(data.length + 2);
  const size = data.length < 2 ? 0 : lz4().compress(data, compressScratch, 2, data.length + 1);
  if (size <= 0) {
    compressScratch.writeUInt16BE(HEADERS.none, 0);
    compressScratch.set(data, 2);
    return compressScratch.subarray(0, 2 + data.length);
  }
  compressScratch.writeUInt16BE(HEADERS.lz4, 0);
  return compressScratch.subarray(0, 2 + size);
}

/**
 * The block stores no size, so it is decoded into a buffer of `maxSize` bytes (like borg, which grows
 * its buffer up to a bound); a block that would not fit is reported like a corrupt one.
 */
export function decompressLz4(payload: Buffer, maxSize: number): Buffer {
  const view = decompressLz4View(payload, maxSize);
  const out = ownedBuffer(view.length);
  view.copy(out, 0, 0, view.length);
  return out;
}

/**
 * Like decompressLz4, but the result is a view into a per-thread scratch buffer, valid until the
 * next call: for callers that only look at the data once (check --verify-data hashes it).
 */
export function decompressLz4View(payload: Buffer, maxSize: number): Buffer {
  if (decompressScratch.length < maxSize) decompressScratch = Buffer.allocUnsafeSlow(maxSize);
  const output = decompressScratch.length === maxSize ? decompressScratch : decompressScratch.subarray(0, maxSize);
  let size: number;
  try {
    size = lz4().uncompress(payload.subarray(2), output);
  } catch (error) {
    throw decompressionFailed('lz4', error);
  }
  if (size < 0) {
    throw decompressionFailed('lz4', `the block is corrupt or expands to more than ${maxSize} bytes`);
  }
  return output.subarray(0, size);
}
