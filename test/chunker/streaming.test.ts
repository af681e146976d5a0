// The streaming chunkers against a literal transcription of the cut-point rules (spec §4.3/§4.4):
// random parameters, inputs around every boundary, and random splits of the input into blocks.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import {
  BuzhashChunker, type BuzhashParams, type Chunker, DEFAULT_CHUNKER_PARAMS, ITEMS_CHUNKER_PARAMS,
  buzhash, buzhashUpdate, createChunker,
} from '../../src/chunker/index.js';
import { stream } from '../helpers/vector-input.js';
import { prng } from '../helpers/prng.js';


/** Spec §4.3 word for word, with the slow one-byte-at-a-time hash functions. */
function referenceSizes(data: Uint8Array, p: BuzhashParams, seed: number): number[] {
  const min = 2 ** p.minExp;
  const max = 2 ** p.maxExp;
  const mask = 2 ** p.maskBits - 1;
  const ws = p.windowSize;
  const sizes: number[] = [];
  let pos = 0;
  while (pos < data.length) {
    const rest = data.length - pos;
    if (rest < min + ws + 1) {
      sizes.push(rest);
      break;
    }
    const end = Math.min(data.length, pos + max);
    let q = pos + min;
    let h = buzhash(data.subarray(q, q + ws), seed);
    while ((h & mask) !== 0 && q + ws < end) {
      h = buzhashUpdate(h, data[q]!, data[q + ws]!, ws, seed);
      q++;
    }
    const cut = q + ws >= end ? end : q;
    sizes.push(cut - pos);
    pos = cut;
  }
  return sizes;
}

/** Feeds `data` in random blocks (including empty ones) and checks the chunks rebuild the input. */
function chunkInBlocks(chunker: Chunker, data: Uint8Array, random: (n: number) => number, maxBlock: number): number[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length;) {
    const n = random(maxBlock + 1);
    chunks.push(...chunker.update(data.subarray(offset, offset + n)));
    offset += n;
  }
  chunks.push(...chunker.final());
  assert.ok(Buffer.concat(chunks).equals(data), 'chunks concatenate to the input');
  return chunks.map((chunk) => chunk.length);
}

function randomParams(random: (n: number) => number): BuzhashParams {
  for (;;) {
    const minExp = 6 + random(4);
    const maxExp = minExp + 1 + random(3);
    const params: BuzhashParams = {
      algorithm: 'buzhash', minExp, maxExp, maskBits: minExp + random(maxExp - minExp + 1), windowSize: 1 + random(100),
    };
    if (params.windowSize + 2 ** minExp + 1 <= 2 ** maxExp) return params;
  }
}

function randomInput(random: (n: number) => number, params: BuzhashParams): Buffer {
  const min = 2 ** params.minExp;
  const max = 2 ** params.maxExp;
  const ws = params.windowSize;
  const boundaries = [0, 1, min, min + ws, min + ws + 1, min + ws + 2, max - 1, max, max + 1, 2 * max, max + min + ws + 1];
  const length = random(3) === 0 ? boundaries[random(boundaries.length)]! : random(40 * max);
  // Mix random bytes with constant runs, where the window hash stays constant.
  const data = randomBytes(length);
  for (let runs = random(4); runs > 0 && length > 0; runs--) {
    const start = random(length);
    data.fill(random(3) === 0 ? random(256) : 0, start, Math.min(length, start + random(3 * max)));
  }
  return data;
}

describe('buzhash chunker follows the cut-point rules', () => {
  it('matches the reference for random parameters, seeds, inputs and block splits', () => {
    const random = prng(20240102);
    let hashCuts = 0;
    for (let round = 0; round < 300; round++) {
      const params = randomParams(random);
      const seed = random(2) === 0 ? random(2 ** 31) : -random(2 ** 31);
      const data = randomInput(random, params);
      const expected = referenceSizes(data, params, seed);
      const context = `round ${round}: ${JSON.stringify(params)} seed ${seed} length ${data.length}`;
      if (data.length <= 20000) {
        assert.deepEqual(chunkInBlocks(createChunker(params, seed), data, random, 1), expected, `${context}, 1-byte blocks`);
      }
      const maxBlock = 1 + random(2 ** (params.maxExp + 1));
      assert.deepEqual(chunkInBlocks(createChunker(params, seed), data, random, maxBlock), expected, context);
      hashCuts += expected.slice(0, -1).filter((size) => size < 2 ** params.maxExp).length;
    }
    assert.ok(hashCuts > 1000, `only ${hashCuts} cuts by hash`);
  });

  it('gives the same chunks through the zero-copy input (inputSpace, commitViews, finalViews)', () => {
    const random = prng(20261122);
    for (let round = 0; round < 100; round++) {
      const params = randomParams(random);
      const seed = random(2 ** 31);
      const data = randomInput(random, params);
      const chunker = new BuzhashChunker(params, seed);
      const sizes: number[] = [];
      const copies: Buffer[] = [];
      // Views are valid until the next call: copy them at once, as a caller keeping chunks must.
      const keep = (views: Buffer[]) => {
        for (const v of views) {
          sizes.push(v.length);
          copies.push(Buffer.from(v));
        }
      };
      for (let offset = 0; offset < data.length;) {
        const space = chunker.inputSpace(1 + random(2 ** (params.maxExp + 1)));
        const n = Math.min(space.length, data.length - offset);
        space.set(data.subarray(offset, offset + n));
        offset += n;
        keep(chunker.commitViews(n));
      }
      keep(chunker.finalViews());
      assert.ok(Buffer.concat(copies).equals(data), `round ${round}: chunks concatenate to the input`);
      assert.deepEqual(sizes, referenceSizes(data, params, seed), `round ${round}`);
    }
  });

  it('keeps cut points and its buffer bound for large random blocks of a 24 MiB input', () => {
    const data = Buffer.concat([randomBytes(12 << 20), Buffer.alloc(5 << 20), randomBytes(7 << 20)]);
    const expected = chunkInBlocks(createChunker(DEFAULT_CHUNKER_PARAMS, -17), data, () => data.length, data.length);
    const random = prng(7);
    for (const maxBlock of [4096, 1 << 20, 9 << 20]) {
      const chunker = new BuzhashChunker(DEFAULT_CHUNKER_PARAMS, -17);
      assert.deepEqual(chunkInBlocks(chunker, data, random, maxBlock), expected);
      assert.ok(chunker.bufferCapacity <= 2 * (1 << 23) + (1 << 20), `buffer ${chunker.bufferCapacity}`);
    }
  });

  it('keeps interleaved chunkers with different seeds and windows independent', () => {
    const a = stream('interleave-a', 3 << 20);
    const b = stream('interleave-b', 3 << 20);
    const paramsB = { ...ITEMS_CHUNKER_PARAMS, windowSize: 63 };
    const alone = (data: Buffer, params: BuzhashParams, seed: number): number[] =>
      chunkInBlocks(createChunker(params, seed), data, () => data.length, data.length);
    const chunkerA = createChunker(ITEMS_CHUNKER_PARAMS, 1);
    const chunkerB = createChunker(paramsB, -1);
    const sizesA: number[] = [];
    const sizesB: number[] = [];
    for (let offset = 0; offset < a.length; offset += 100000) {
      sizesA.push(...chunkerA.update(a.subarray(offset, offset + 100000)).map((chunk) => chunk.length));
      sizesB.push(...chunkerB.update(b.subarray(offset, offset + 100000)).map((chunk) => chunk.length));
    }
    sizesA.push(...chunkerA.final().map((chunk) => chunk.length));
    sizesB.push(...chunkerB.final().map((chunk) => chunk.length));
    assert.deepEqual(sizesA, alone(a, ITEMS_CHUNKER_PARAMS, 1));
    assert.deepEqual(sizesB, alone(b, paramsB, -1));
  });

  it('can be reused after final() and gives the same chunks again', () => {
    const data = stream('reuse', 3 << 20);
    const chunker = createChunker(ITEMS_CHUNKER_PARAMS, 99);
    const first = [...chunker.update(data.subarray(0, 1000)), ...chunker.update(data.subarray(1000)), ...chunker.final()];
    const second = [...chunker.update(data), ...chunker.final()];
    assert.ok(first.length > 2);
    assert.deepEqual(second, first);
    assert.deepEqual(chunker.final(), []);
  });

  it('returns fresh chunks that own an exactly sized ArrayBuffer', () => {
    const data = stream('fresh', 2 << 20);
    const chunker = createChunker(ITEMS_CHUNKER_PARAMS, 0);
    const chunks = [...chunker.update(data), ...chunker.final()];
    const copy = Buffer.from(data);
    data.fill(0);
    assert.ok(Buffer.concat(chunks).equals(copy), 'chunks do not alias the input');
    for (const chunk of chunks) {
      assert.equal(chunk.byteOffset, 0);
      assert.equal(chunk.buffer.byteLength, chunk.length);
    }
  });
});

describe('fixed chunker', () => {
  it('cuts the header, then blocks, whatever the block split', () => {
    const random = prng(42);
    for (let round = 0; round < 200; round++) {
      const blockSize = 64 + random(300);
      const headerSize = random(3) === 0 ? 0 : random(500);
      const data = randomBytes(random(4000));
      const expected: number[] = [];
      let rest = data.length;
      if (headerSize > 0 && rest > 0) {
        expected.push(Math.min(headerSize, rest));
        rest -= expected[0]!;
      }
      for (; rest > 0; rest -= blockSize) expected.push(Math.min(blockSize, rest));
      const chunker = createChunker({ algorithm: 'fixed', blockSize, headerSize }, 0);
      assert.deepEqual(chunkInBlocks(chunker, data, random, 1 + random(1000)), expected);
      // Reused after final(): the header comes first again.
      assert.deepEqual(chunkInBlocks(chunker, data, random, 1 + random(1000)), expected);
    }
  });

  it('returns fresh chunks that own an exactly sized ArrayBuffer', () => {
    const chunker = createChunker({ algorithm: 'fixed', blockSize: 100, headerSize: 0 }, 0);
    for (const chunk of [...chunker.update(randomBytes(250)), ...chunker.final()]) {
      assert.equal(chunk.byteOffset, 0);
      assert.equal(chunk.buffer.byteLength, chunk.length);
    }
  });
});
