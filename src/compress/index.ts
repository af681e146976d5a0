// The compression layer (spec §3): borg's payload format with its 2-byte compressor headers.
// Everything here is synchronous, so it can run inside worker threads.
//
// Buffers returned by `Compressor.compress` and `decompress` own exactly their ArrayBuffer (safe to
// transfer), except that `decompress` of a `none` payload (also inside obfuscate) returns a view into
// the payload instead of copying it.

import { asBuffer } from '../format/bytes.js';
import { compressAuto } from './auto.js';
import { type BasicSpec, type CompressionSpec, DEFAULT_COMPRESSION_SPEC, parseCompressionSpec } from './compression-spec.js';
import { DecompressionError, UnknownCompression } from './errors.js';
import { compressLz4, compressLz4View, decompressLz4, decompressLz4View } from './lz4.js';
import { compressLzma, decompressLzma } from './lzma.js';
import { compressNone, decompressNone } from './none.js';
import { obfuscate, secureRandom, unwrapObfuscated } from './obfuscate.js';
import { type CompressionName, DEFAULT_MAX_DECOMPRESSED_SIZE, HEADERS, headerOf } from './payload.js';
import { compressZlib, decompressZlib, isZlibHeader } from './zlib.js';
import { compressZstd, decompressZstd } from './zstd.js';

export interface CompressorOptions {
  /** Source of uniform numbers in [0, 1) for obfuscation padding (default: the system CSPRNG). */
  random?: () => number;
}

type CompressFunction = (data: Buffer) => Buffer;

function basicCompressor(spec: BasicSpec): CompressFunction {
  switch (spec.name) {
    case 'none': return compressNone;
    case 'lz4': return compressLz4;
    case 'zstd': return (data) => compressZstd(data, spec.level);
    case 'zlib': return (data) => compressZlib(data, spec.level);
    case 'lzma': return (data) => compressLzma(data, spec.level);
  }
}

function compressorFor(spec: CompressionSpec, random: () => number): CompressFunction {
  switch (spec.name) {
    case 'auto': {
      const inner = basicCompressor(spec.inner);
      return (data) => compressAuto(data, inner);
    }
    case 'obfuscate': {
      const inner = compressorFor(spec.inner, random);
      const level = spec.level;
      return (data) => obfuscate(inner(data), level, random);
    }
    default:
      return basicCompressor(spec);
  }
}

/** Compresses chunks according to one `--compression` spec (default `lz4`, like borg). */
export class Compressor {
  readonly spec: CompressionSpec;
  readonly #compress: CompressFunction;

  constructor(spec: CompressionSpec | string = DEFAULT_COMPRESSION_SPEC, options: CompressorOptions = {}) {
    this.spec = typeof spec === 'string' ? parseCompressionSpec(spec) : spec;
    this.#compress = compressorFor(this.spec, options.random ?? secureRandom);
  }

  /** The payload borg stores: header + compressed data (zlib: the zlib stream alone). */
  compress(data: Uint8Array): Buffer {
    return this.#compress(asBuffer(data));
  }

  /**
   * The same payload, possibly as a view into a scratch buffer that the next call overwrites (lz4,
   * the default): for a caller that consumes it at once, such as sealing, which copies it.
   */
  compressTransient(data: Uint8Array): Buffer {
    return this.spec.name === 'lz4' ? compressLz4View(asBuffer(data)) : this.#compress(asBuffer(data));
  }
}

/** Which codec wrote `payload`, checked in borg's order: lz4, zstd, none, zlib, lzma, obfuscate. */
export function detectCompression(payload: Uint8Array): CompressionName {
  const header = headerOf(payload);
  if (header === HEADERS.lz4) return 'lz4';
  if (header === HEADERS.zstd) return 'zstd';
  if (header === HEADERS.none) return 'none';
  if (isZlibHeader(payload[0]!, payload[1]!)) return 'zlib';
  if (header === HEADERS.lzma) return 'lzma';
  if (header === HEADERS.obfuscate) return 'obfuscate';
  throw new UnknownCompression(
    `Cannot decompress: no compressor uses the header ${header.toString(16).padStart(4, '0')}`);
}

export interface DecompressOptions {
  /** Largest decompressed size accepted (default MAX_DATA_SIZE, the most borg puts in one object). */
  maxSize?: number;
}

/** borg writes one obfuscate level; a few more are tolerated, but no recursion driven by the data. */
const MAX_OBFUSCATE_NESTING = 4;

/**
 * Like decompress, but an lz4 result (the default codec) is a view into a per-thread scratch buffer
 * that the next call overwrites: for callers that only look at the data once.
 */
export function decompressTransient(payload: Uint8Array, options: DecompressOptions = {}): Buffer {
  const data = asBuffer(payload);
  if (headerOf(data) === HEADERS.lz4) return decompressLz4View(data, options.maxSize ?? DEFAULT_MAX_DECOMPRESSED_SIZE);
  return decompress(data, options);
}

/** Decompresses any payload borg 1.2 writes; corrupt or oversized data raises DecompressionError. */
export function decompress(payload: Uint8Array, options: DecompressOptions = {}): Buffer {
  const maxSize = options.maxSize ?? DEFAULT_MAX_DECOMPRESSED_SIZE;
  let data = asBuffer(payload);
  for (let depth = 0; ; depth++) {
    const name = detectCompression(data);
    switch (name) {
      case 'none': return decompressNone(data, maxSize);
      case 'lz4': return decompressLz4(data, maxSize);
      case 'zstd': return decompressZstd(data, maxSize);
      case 'zlib': return decompressZlib(data, maxSize);
      case 'lzma': return decompressLzma(data, maxSize);
      case 'obfuscate':
        if (depth === MAX_OBFUSCATE_NESTING) throw new DecompressionError('Cannot decompress: obfuscation nested too deeply');
        data = unwrapObfuscated(data);
    }
  }
}

export {
  type AutoSpec, type BasicSpec, type CompressionSpec, type LeveledSpec, type ObfuscateSpec,
  COMPRESSION_LEVELS, DEFAULT_COMPRESSION_SPEC, describeCompressionSpec, parseCompressionSpec,
} from './compression-spec.js';
export { type CompressionName, DEFAULT_MAX_DECOMPRESSED_SIZE } from './payload.js';
export { DecompressionError, InvalidCompressionSpec, UnknownCompression } from './errors.js';
