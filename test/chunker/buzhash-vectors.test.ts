// Conformance of every buzhash kernel with borg 1.2.4's chunker (spec/vectors/chunker.json).
// A new kernel (e.g. WebAssembly) joins by adding one line to KERNELS.

import { NativeBuzhashKernel } from '../../src/chunker/native-buzhash.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';

import { BUZHASH_TABLE } from '../../src/chunker/buzhash-table.js';
import {
  type BuzhashKernelFactory, type BuzhashParams, type FixedParams,
  TsBuzhashKernel, buzhash, buzhashUpdate, createChunker, seedToUint32,
} from '../../src/chunker/index.js';
import { type InputRecipe, buildInput, readVectorJson, stream } from '../helpers/vector-input.js';

const KERNELS: { name: string; factory: BuzhashKernelFactory }[] = [
  { name: 'typescript', factory: (options) => new TsBuzhashKernel(options) },
  { name: 'native', factory: (options) => new NativeBuzhashKernel(options) },
];

interface BuzhashCase {
  description: string;
  params: { chunk_min_exp: number; chunk_max_exp: number; hash_mask_bits: number; hash_window_size: number };
  seed: number;
  input: InputRecipe;
  input_sha256: string;
  buzhash_of_first_candidate_window: number | null;
  chunk_sizes: number[];
}

interface FixedCase {
  description: string;
  block_size: number;
  header_size: number;
  input: InputRecipe;
  input_sha256: string;
  chunks_size_allocation: [number, number][];
}

interface ChunkerVectors {
  buzhash_spot_values: Record<string, number> & { input: InputRecipe; seed: number; window: number };
  buzhash_cases: BuzhashCase[];
  fixed_cases: FixedCase[];
}

const vectors = readVectorJson<ChunkerVectors>('chunker.json');

// Three cases share one 32 MiB input: build each input once.
const inputs = new Map<string, Buffer>();
function input(recipe: InputRecipe, sha256: string): Buffer {
  const key = JSON.stringify(recipe);
  let data = inputs.get(key);
  if (data === undefined) {
    data = buildInput(recipe);
    assert.equal(createHash('sha256').update(data).digest('hex'), sha256, 'vector input recipe');
    inputs.set(key, data);
  }
  return data;
}

function paramsOf(c: BuzhashCase): BuzhashParams {
  return {
    algorithm: 'buzhash', minExp: c.params.chunk_min_exp, maxExp: c.params.chunk_max_exp,
    maskBits: c.params.hash_mask_bits, windowSize: c.params.hash_window_size,
  };
}

describe('buzhash table and spot values', () => {
  it('the table constant is buzhash-table.json', () => {
    assert.deepEqual([...BUZHASH_TABLE], readVectorJson<number[]>('buzhash-table.json'));
  });

  const spot = vectors.buzhash_spot_values;
  const data = buildInput(spot.input);

  it('buzhash() of a 4095-byte window matches borg', () => {
    assert.equal(buzhash(data.subarray(0, spot.window), spot.seed), spot['buzhash(input[0:4095])']);
  });

  it('buzhashUpdate() rolls the window like a fresh hash of the next window', () => {
    const h = buzhash(data.subarray(0, spot.window), spot.seed);
    const expected = spot['buzhash(input[1:4096]) == update(h, input[0], input[4095])'];
    assert.equal(buzhashUpdate(h, data[0]!, data[spot.window]!, spot.window, spot.seed), expected);
    assert.equal(buzhash(data.subarray(1, spot.window + 1), spot.seed), expected);
  });

  it('buzhash() of a short input with and without seed matches borg', () => {
    assert.equal(buzhash(Buffer.from('abc'), 0), spot['buzhash(b"abc", seed=0)']);
    assert.equal(buzhash(Buffer.from('abc'), 0x12345678), spot['buzhash(b"abc", seed=0x12345678)']);
  });

  it('seedToUint32() maps the signed int32 seed of a key to its unsigned pattern', () => {
    assert.equal(seedToUint32(-1091576147), 3203391149);
    assert.equal(seedToUint32(-1), 0xffffffff);
    assert.equal(seedToUint32(0x7fffffff), 0x7fffffff);
    assert.throws(() => seedToUint32(2 ** 32), RangeError);
    assert.throws(() => seedToUint32(1.5), RangeError);
  });
});

for (const kernel of KERNELS) {
  describe(`buzhash chunker with the ${kernel.name} kernel reproduces borg's cut points`, () => {
    for (const c of vectors.buzhash_cases) {
      it(c.description, () => {
        const data = input(c.input, c.input_sha256);
        const params = paramsOf(c);
        if (c.buzhash_of_first_candidate_window !== null) {
          const min = 2 ** params.minExp;
          assert.equal(buzhash(data.subarray(min, min + params.windowSize), c.seed), c.buzhash_of_first_candidate_window);
        }
        const chunker = createChunker(params, c.seed, { buzhashKernel: kernel.factory });
        const chunks = [...chunker.update(data), ...chunker.final()];
        assert.deepEqual(chunks.map((chunk) => chunk.length), c.chunk_sizes);
        assert.ok(Buffer.concat(chunks).equals(data), 'chunks concatenate to the input');
      });
    }

    it('gives the same cut points for 64 KiB blocks as for one block', () => {
      const c = vectors.buzhash_cases[0]!;
      const data = input(c.input, c.input_sha256);
      const chunker = createChunker(paramsOf(c), c.seed, { buzhashKernel: kernel.factory });
      const sizes: number[] = [];
      for (let offset = 0; offset < data.length; offset += 65536) {
        sizes.push(...chunker.update(data.subarray(offset, offset + 65536)).map((chunk) => chunk.length));
      }
      sizes.push(...chunker.final().map((chunk) => chunk.length));
      assert.deepEqual(sizes, c.chunk_sizes);
    });
  });
}

describe("fixed chunker reproduces borg's blocks", () => {
  for (const c of vectors.fixed_cases) {
    it(c.description, () => {
      const data = input(c.input, c.input_sha256);
      const params: FixedParams = { algorithm: 'fixed', blockSize: c.block_size, headerSize: c.header_size };
      const chunker = createChunker(params, 0);
      const chunks = [...chunker.update(data), ...chunker.final()];
      assert.deepEqual(chunks.map((chunk) => chunk.length), c.chunks_size_allocation.map(([size]) => size));
      // borg flags all-zero blocks (allocation 1); our chunks must carry the same bytes.
      chunks.forEach((chunk, i) => assert.equal(chunk.every((b) => b === 0), c.chunks_size_allocation[i]![1] === 1));
      assert.ok(Buffer.concat(chunks).equals(data));
    });
  }

  it('cuts a header shorter than the header size when the input is short', () => {
    const chunker = createChunker({ algorithm: 'fixed', blockSize: 4096, headerSize: 512 }, 0);
    const data = stream('short-header', 300);
    const chunks = [...chunker.update(data.subarray(0, 100)), ...chunker.update(data.subarray(100)), ...chunker.final()];
    assert.deepEqual(chunks.map((chunk) => chunk.length), [300]);
  });
});
