// The `obfuscate` wrapper (header 04 00): `u32be inner length || inner payload (with its own header)
// || zero padding`. Random padding hides the compressed size of chunks (spec §3.2).

import { randomFillSync } from 'node:crypto';

import { MAX_DATA_SIZE } from '../chunker/chunker-params.js';
import { DecompressionError } from './errors.js';
import { HEADERS, ownedBuffer } from './payload.js';

const randomBits = Buffer.alloc(6);

/** A uniform random number in [0, 1) from the system CSPRNG (48 bits are plenty for a padding size). */
export function secureRandom(): number {
  return randomFillSync(randomBits).readUIntBE(0, 6) / 2 ** 48;
}

/** Padding length for an inner payload of `size` bytes, before the cap. */
export function paddingSize(level: number, size: number, random: () => number): number {
  if (level <= 6) {
    // Mostly 1..10 times the factor, rarely up to 10000 times: the reciprocal of a uniform number.
    const factor = 0.001 * 10 ** level;
    return Math.floor((size * factor) / Math.max(0.0001, random()));
  }
  return Math.floor(2 ** (level - 100) * random());
}

/** Wraps an inner payload; the total stays below MAX_DATA_SIZE - 1024 like borg's. */
export function obfuscate(inner: Uint8Array, level: number, random: () => number = secureRandom): Buffer {
  const cap = Math.max(0, MAX_DATA_SIZE - 1024 - inner.length);
  const padding = Math.min(cap, paddingSize(level, inner.length, random));
  const out = ownedBuffer(6 + inner.length + padding);
  out.writeUInt16BE(HEADERS.obfuscate, 0);
  out.writeUInt32BE(inner.length, 2);
  out.set(inner, 6);
  out.fill(0, 6 + inner.length);
  return out;
}

/** The inner payload of an obfuscated one, as a view (the padding is ignored). */
export function unwrapObfuscated(payload: Buffer): Buffer {
  if (payload.length < 6) throw new DecompressionError(`Cannot decompress obfuscated data: only ${payload.length} bytes`);
  const size = payload.readUInt32BE(2);
  if (6 + size > payload.length) {
    throw new DecompressionError(`Cannot decompress obfuscated data: it claims ${size} inner bytes but has ${payload.length - 6}`);
  }
  return payload.subarray(6, 6 + size);
}
