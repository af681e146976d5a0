// Checksums of a file's content for `list --format "{sha256}"` and friends: the algorithms every
// Python build has (hashlib.algorithms_guaranteed without the variable-length shake_*) plus
// XXH64, under the names borg uses for the format keys.

import { createHash, type Hash } from 'node:crypto';

import type { Xxh64Stream } from '../../format/wasm-hashes.js';

/** Format key -> node:crypto algorithm (null: XXH64 from hash-wasm). */
const ALGORITHMS: Record<string, string | null> = {
  blake2b: 'blake2b512', blake2s: 'blake2s256', md5: 'md5', sha1: 'sha1', sha224: 'sha224', sha256: 'sha256',
  sha384: 'sha384', sha512: 'sha512', sha3_224: 'sha3-224', sha3_256: 'sha3-256', sha3_384: 'sha3-384',
  sha3_512: 'sha3-512', xxh64: null,
};

/** The hash format keys, sorted like borg's help lists them. */
export const HASH_KEYS: readonly string[] = Object.keys(ALGORITHMS).sort();

export function isHashKey(key: string): boolean {
  return Object.hasOwn(ALGORITHMS, key);
}

/** Hex digests of the concatenated `chunks`, one per hash format key in `keys`, in one pass. */
export async function hashChunks(keys: readonly string[], chunks: AsyncIterable<Uint8Array>): Promise<Map<string, string>> {
  // Loaded on use: the format key catalog imports this module, and hash-wasm costs every run otherwise.
  const { Xxh64Stream } = await import('../../format/wasm-hashes.js');
  const hashes = keys.map((key): [string, Hash | Xxh64Stream] => {
    const algorithm = ALGORITHMS[key];
    if (algorithm === undefined) throw new RangeError(`Unknown hash algorithm "${key}"`);
    return [key, algorithm === null ? new Xxh64Stream() : createHash(algorithm)];
  });
  for await (const chunk of chunks) for (const [, hash] of hashes) hash.update(chunk);
  return new Map(hashes.map(([key, hash]) => [key, hash instanceof Xxh64Stream ? hash.hexdigest() : hash.digest('hex')]));
}
