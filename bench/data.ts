// Deterministic benchmark data, the same bytes for borg-ts and borg: a mix of incompressible
// (AES-CTR keystream), text-like and all-zero regions, as real backups have.
import { createCipheriv } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';

const WORDS = 'the quick brown fox jumps over the lazy dog borg backup deduplication chunk archive repository'.split(' ');

function randomBytes(n: number, seed: number): Buffer {
  const key = Buffer.alloc(32, seed & 0xff);
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return cipher.update(Buffer.alloc(n));
}

function textBytes(n: number, seed: number): Buffer {
  const parts: string[] = [];
  let len = 0;
  let x = seed >>> 0 || 1;
  while (len < n) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const line = `${(x % 100000).toString().padStart(6, '0')} ${WORDS[x % WORDS.length]} ${WORDS[(x >>> 8) % WORDS.length]} ${WORDS[(x >>> 16) % WORDS.length]}\n`;
    parts.push(line);
    len += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}

/** `size` bytes: thirds of random, text and zeros, interleaved in 4 MiB pieces. */
export function mixedData(size: number): Buffer {
  const out = Buffer.alloc(size);
  const piece = 4 << 20;
  for (let off = 0, i = 0; off < size; off += piece, i++) {
    const n = Math.min(piece, size - off);
    const kind = i % 3;
    if (kind === 0) randomBytes(n, i).copy(out, off);
    else if (kind === 1) textBytes(n, i).copy(out, off);
  }
  return out;
}

/** Writes mixedData(size) to `path` unless it is already there. */
export function ensureDataFile(path: string, size: number): Buffer {
  const data = mixedData(size);
  if (!existsSync(path)) writeFileSync(path, data);
  return data;
}
