// borg's codec decisions (spec §3.2): deciding codecs fall back to `none`, zlib never does, `auto`
// keeps lz4 unless C wins by 1 %, obfuscation padding stays within its bounds.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import { MAX_DATA_SIZE } from '../../src/chunker/index.js';
import { Compressor, decompress, detectCompression } from '../../src/compress/index.js';
import { compressAuto } from '../../src/compress/auto.js';
import { compressLz4 } from '../../src/compress/lz4.js';
import { paddingSize } from '../../src/compress/obfuscate.js';
import { dna } from '../helpers/vector-input.js';

const ALL_SPECS = ['none', 'lz4', 'zstd,1', 'zstd,3', 'zstd,19', 'zlib,0', 'zlib,6', 'zlib,9', 'lzma,0', 'lzma,6',
  'auto,lz4', 'auto,zstd,3', 'auto,zlib', 'auto,lzma,1', 'obfuscate,1,lz4', 'obfuscate,6,none', 'obfuscate,110,zstd',
  'obfuscate,3,auto,zstd,10'];

function samples(): Record<string, Buffer> {
  return {
    empty: Buffer.alloc(0),
    one: Buffer.from([7]),
    random: randomBytes(100000),
    zeros: Buffer.alloc(300000),
    dna: dna('rules-dna', 200000),
    text: Buffer.from('Borg and borg-ts share repositories. '.repeat(3000)),
  };
}

describe('codec decisions', () => {
  it('every spec round-trips every kind of data, with owned output buffers', () => {
    const data = samples();
    for (const spec of ALL_SPECS) {
      const compressor = new Compressor(spec);
      for (const [name, input] of Object.entries(data)) {
        const payload = compressor.compress(input);
        assert.equal(payload.byteOffset, 0, `${spec} ${name}`);
        assert.equal(payload.buffer.byteLength, payload.length, `${spec} ${name}`);
        assert.ok(decompress(payload).equals(input), `${spec} ${name}`);
      }
    }
  });

  it('deciding codecs store incompressible data with the none header', () => {
    const random = randomBytes(50000);
    for (const spec of ['lz4', 'zstd,3', 'zstd,22', 'lzma,6', 'auto,zstd', 'auto,lzma']) {
      const payload = new Compressor(spec).compress(random);
      assert.equal(detectCompression(payload), 'none', spec);
      assert.equal(payload.length, random.length + 2);
    }
  });

  it('deciding codecs keep their output when it is smaller', () => {
    const text = samples().text;
    for (const [spec, name] of [['lz4', 'lz4'], ['zstd,3', 'zstd'], ['lzma,6', 'lzma']] as const) {
      assert.equal(detectCompression(new Compressor(spec).compress(text)), name);
    }
  });

  it('zlib always stores zlib, even when larger than the input', () => {
    for (const input of [Buffer.alloc(0), randomBytes(50000)]) {
      const payload = new Compressor('zlib,9').compress(input);
      assert.equal(detectCompression(payload), 'zlib');
      assert.ok(payload.length > input.length);
    }
  });

  it('the default compressor is lz4', () => {
    assert.equal(detectCompression(new Compressor().compress(samples().text)), 'lz4');
  });

  it('auto keeps the lz4 decision for data lz4 cannot shrink below 97 %', () => {
    let innerCalls = 0;
    const inner = (data: Buffer): Buffer => {
      innerCalls++;
      return new Compressor('zstd,3').compress(data);
    };
    // Random data with a compressible tail: lz4 saves a little, but less than 3 %.
    const data = Buffer.concat([randomBytes(98000), Buffer.alloc(2000)]);
    const lz4 = compressLz4(data);
    assert.equal(detectCompression(lz4), 'lz4');
    assert.ok(lz4.length / (data.length + 2) >= 0.97);
    assert.ok(compressAuto(data, inner).equals(lz4));
    assert.equal(innerCalls, 0);
  });

  it('auto stores C only when it beats lz4 by more than 1 %', () => {
    const data = samples().dna;
    const lz4 = compressLz4(data);
    const better = Buffer.concat([Buffer.from([0x03, 0x00]), Buffer.alloc(Math.ceil(lz4.length * 0.99) - 3)]);
    const notBetter = Buffer.concat([Buffer.from([0x03, 0x00]), Buffer.alloc(Math.ceil(lz4.length * 0.99) - 2)]);
    assert.ok(better.length / lz4.length < 0.99 && notBetter.length / lz4.length >= 0.99);
    assert.equal(compressAuto(data, () => better), better);
    assert.equal(compressAuto(data, () => notBetter).toString('hex'), lz4.toString('hex'));
    // With real codecs: zstd wins on DNA-like text, lzma loses on short repetitive text.
    assert.equal(detectCompression(new Compressor('auto,zstd,3').compress(data)), 'zstd');
    assert.equal(detectCompression(new Compressor('auto,lzma,6').compress(Buffer.from('ab'.repeat(900)))), 'lz4');
  });
});

describe('obfuscation', () => {
  it('pads relative to the size for levels 1..6 and by up to 2**(level-100) bytes for 110..123', () => {
    // Expected values computed with borg's formulas in Python (same IEEE doubles as JS).
    const cases: [number, number, number, number][] = [
      [1, 1234, 0.5, 24], [3, 1000, 0.3, 3333], [6, 1000, 0, 10000000000], [2, 777, 0.00005, 777000],
      [5, 33, 0.77, 4285], [110, 0, 0.5, 512], [123, 0, 0.999, 8380219], [117, 5, 0.123456, 16181],
    ];
    for (const [level, size, random, expected] of cases) assert.equal(paddingSize(level, size, () => random), expected);
  });

  it('caps the padding so that the payload stays below MAX_DATA_SIZE - 1024', () => {
    const data = Buffer.alloc(4 << 20);
    const payload = new Compressor('obfuscate,6,none', { random: () => 0 }).compress(data);
    assert.equal(payload.length, 2 + 4 + (MAX_DATA_SIZE - 1024));
    assert.ok(decompress(payload).equals(data));
    // An inner payload already beyond the cap gets no padding (borg would crash on a negative count).
    const big = randomBytes(MAX_DATA_SIZE - 100);
    assert.equal(new Compressor('obfuscate,123,none', { random: () => 0.9 }).compress(big).length, 6 + big.length + 2);
  });

  it('uses the system random source by default, giving varying sizes', () => {
    const compressor = new Compressor('obfuscate,110,none');
    const sizes = new Set(Array.from({ length: 20 }, () => compressor.compress(Buffer.from('x')).length));
    assert.ok(sizes.size > 1);
    for (const size of sizes) assert.ok(size >= 6 + 3 && size < 6 + 3 + 1024);
  });
});
