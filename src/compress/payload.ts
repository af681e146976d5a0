// Helpers shared by the codecs: the 2-byte compressor headers (spec §3.1), output buffers that own
// their memory, and the limit on decompressed sizes.

import { MAX_DATA_SIZE } from '../chunker/chunker-params.js';
import { DecompressionError } from './errors.js';

export type CompressionName = 'none' | 'lz4' | 'zstd' | 'zlib' | 'lzma' | 'obfuscate';

/** Header bytes of the codecs that have one (zlib has none: its own stream header is recognised). */
export const HEADERS = {
  none: 0x0000,
  lz4: 0x0100,
  lzma: 0x0200,
  zstd: 0x0300,
  obfuscate: 0x0400,
} as const;

/**
 * Default bound on a decompressed object: every object borg 1.2 writes holds at most MAX_DATA_SIZE
 * bytes of plaintext, so anything larger is corrupt or an attempt to exhaust memory.
 */
export const DEFAULT_MAX_DECOMPRESSED_SIZE = MAX_DATA_SIZE;

/** A new Buffer with its own, exactly sized ArrayBuffer (safe to transfer to another thread). */
export function ownedBuffer(size: number): Buffer {
  return Buffer.allocUnsafeSlow(size);
}

/** `header || body` in one owned buffer. */
export function withHeader(header: number, body: Uint8Array): Buffer {
  const out = ownedBuffer(2 + body.length);
  out.writeUInt16BE(header, 0);
  out.set(body, 2);
  return out;
}

/** `data` itself if it already owns exactly its ArrayBuffer, else an owned copy. */
export function owned(data: Buffer): Buffer {
  if (data.byteOffset === 0 && data.buffer.byteLength === data.length) return data;
  const out = ownedBuffer(data.length);
  out.set(data);
  return out;
}

export function headerOf(payload: Uint8Array): number {
  if (payload.length < 2) throw new DecompressionError(`Cannot decompress: payload of ${payload.length} bytes has no header`);
  return (payload[0]! << 8) | payload[1]!;
}

/** The error for data that expands beyond the limit (`size` when known). */
export function tooLarge(name: CompressionName, maxSize: number, size?: number): DecompressionError {
  const what = size === undefined ? 'more than' : `${size} bytes, more than`;
  return new DecompressionError(`Cannot decompress ${name} data: it expands to ${what} the limit of ${maxSize} bytes`);
}

export function checkSize(name: CompressionName, size: number, maxSize: number): void {
  if (size > maxSize) throw tooLarge(name, maxSize, size);
}

/** Wraps a failure of a compression library into a DecompressionError naming the codec. */
export function decompressionFailed(name: CompressionName, cause: unknown): DecompressionError {
  if (cause instanceof DecompressionError) return cause;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new DecompressionError(`Cannot decompress ${name} data: ${why}`, { cause });
}
