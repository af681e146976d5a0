// Builds the inputs of the spec's test vectors (spec/vectors/README.md):
// stream(tag, n) = first n bytes of SHA256(tag || le64(0)) || SHA256(tag || le64(1)) || ...;
// zeros(n) = n zero bytes; concat = the parts one after another.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export type InputRecipe =
  | { kind: 'stream'; tag: string; length: number }
  | { kind: 'zeros'; length: number }
  | { kind: 'concat'; parts: InputRecipe[] };

export function stream(tag: string | Uint8Array, length: number): Buffer {
  const tagBytes = typeof tag === 'string' ? Buffer.from(tag, 'utf8') : Buffer.from(tag);
  const message = Buffer.alloc(tagBytes.length + 8);
  tagBytes.copy(message);
  const out = Buffer.allocUnsafe(Math.ceil(length / 32) * 32);
  for (let i = 0, offset = 0; offset < length; i++, offset += 32) {
    message.writeUInt32LE(i >>> 0, tagBytes.length);
    message.writeUInt32LE(Math.floor(i / 2 ** 32), tagBytes.length + 4);
    createHash('sha256').update(message).digest().copy(out, offset);
  }
  return out.subarray(0, length);
}

/** `bytes(b'ACGT'[b & 3] for b in stream(tag, n))`: compressible pseudo-random text. */
export function dna(tag: string, length: number): Buffer {
  const bytes = stream(tag, length);
  const letters = Buffer.from('ACGT');
  for (let i = 0; i < length; i++) bytes[i] = letters[bytes[i]! & 3]!;
  return bytes;
}

export function buildInput(recipe: InputRecipe): Buffer {
  switch (recipe.kind) {
    case 'stream': return stream(recipe.tag, recipe.length);
    case 'zeros': return Buffer.alloc(recipe.length);
    case 'concat': return Buffer.concat(recipe.parts.map(buildInput));
  }
}

const vectorsDir = new URL('../fixtures/vectors/', import.meta.url);

/** Reads a JSON file copied from spec/vectors into test/fixtures/vectors. */
export function readVectorJson<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, vectorsDir), 'utf8')) as T;
}
