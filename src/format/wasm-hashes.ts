// BLAKE2b-256 and XXH64 from hash-wasm (node's crypto has neither in the form borg needs).
// hash-wasm instantiates its WebAssembly asynchronously; top-level await does that once per thread,
// so every caller gets plain synchronous functions.
import { createRequire } from 'node:module';

import type { IHasher } from 'hash-wasm';

// The per-algorithm bundles, not the package index: importing the index makes node scan ~280 KB of
// CommonJS for its exports on every start (~100 ms), for two hashes out of thirty.
const require = createRequire(import.meta.url);
const { createBLAKE2b } = require('hash-wasm/dist/blake2b.umd.min.js') as { createBLAKE2b(bits: number): Promise<IHasher> };
const { createXXHash64 } = require('hash-wasm/dist/xxhash64.umd.min.js') as { createXXHash64(seedLow: number, seedHigh: number): Promise<IHasher> };

const blake2b256Hasher: IHasher = await createBLAKE2b(256);
const xxh64Hasher: IHasher = await createXXHash64(0, 0);

/** Unkeyed BLAKE2b with a 32-byte digest over the concatenation of `parts` (borg's blake2b_256 construction). */
export function blake2b256(...parts: Uint8Array[]): Buffer {
  blake2b256Hasher.init();
  for (const p of parts) blake2b256Hasher.update(p);
  return Buffer.from(blake2b256Hasher.digest('binary'));
}

/**
 * A running XXH64 (seed 0) whose intermediate digest can be read without ending it, as borg's
 * IntegrityCheckedFile needs. Several streams may be open at once: each keeps its own saved state.
 */
export class Xxh64Stream {
  private state: Uint8Array;

  constructor() {
    xxh64Hasher.init();
    this.state = xxh64Hasher.save();
  }

  update(data: Uint8Array | string): this {
    xxh64Hasher.load(this.state);
    xxh64Hasher.update(data);
    this.state = xxh64Hasher.save();
    return this;
  }

  /** The digest of everything so far as 16 lowercase hex digits; the stream goes on. */
  hexdigest(): string {
    xxh64Hasher.load(this.state);
    return xxh64Hasher.digest('hex');
  }
}
