// Bad input to decompress(): unknown headers, corrupt or truncated data and decompression bombs must
// all end in a DecompressionError, never in another exception or a crash.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';

import { MAX_DATA_SIZE } from '../../src/chunker/index.js';
import { Compressor, DecompressionError, UnknownCompression, decompress, detectCompression } from '../../src/compress/index.js';
import { BorgError, IntegrityError } from '../../src/errors.js';
import { dna } from '../helpers/vector-input.js';

function assertDecompressionError(payload: Uint8Array, message: RegExp, options = {}): void {
  assert.throws(() => decompress(payload, options), (error: unknown) =>
    error instanceof DecompressionError && error instanceof IntegrityError && error instanceof BorgError &&
    message.test(error.message));
}

const hex = (text: string): Buffer => Buffer.from(text.replace(/ /g, ''), 'hex');

describe('decompress() rejects bad data', () => {
  it('refuses unknown headers with UnknownCompression', () => {
    for (const payload of [hex('0500'), hex('ff ff 00'), hex('0001 abcd'), hex('7800')]) {
      assert.throws(() => detectCompression(payload), UnknownCompression);
      assert.throws(() => decompress(payload), (error: unknown) =>
        error instanceof UnknownCompression && error.code === 'UnknownCompression' && /no compressor uses the header/.test(error.message));
    }
  });

  it('refuses payloads without a header', () => {
    assertDecompressionError(hex(''), /no header/);
    assertDecompressionError(hex('01'), /no header/);
  });

  it('reports corrupt data of each codec', () => {
    assertDecompressionError(hex('0100 ffff'), /Cannot decompress lz4 data/);
    assertDecompressionError(hex('0100'), /Cannot decompress lz4 data/);
    assertDecompressionError(hex('0300 616263'), /Cannot decompress zstd data/);
    assertDecompressionError(hex('0200 616263'), /Cannot decompress lzma data/);
    assertDecompressionError(hex('789c 616263'), /Cannot decompress zlib data/);
    assertDecompressionError(hex('0400 00000010 0100'), /claims 16 inner bytes but has 2/);
    assertDecompressionError(hex('0400 0000'), /obfuscated data/);
    assertDecompressionError(hex('0400 00000002 0500'), /no compressor uses the header 0500/);
  });

  it('reads a few levels of nested obfuscation but refuses deep nesting', () => {
    assert.equal(decompress(hex('0400 0000000e 0400 00000008 0400 00000002 0000')).length, 0);
    let payload = hex('0000 41');
    for (let i = 0; i < 5; i++) payload = Buffer.concat([hex('0400'), Buffer.from([0, 0, 0, payload.length]), payload]);
    assertDecompressionError(payload, /nested too deeply/);
  });

  it('refuses zstd frames that do not record their content size (borg cannot read them)', () => {
    const zstd = createRequire(import.meta.url)('zstd-napi/binding') as typeof import('zstd-napi/binding.js');
    const cctx = new zstd.CCtx();
    cctx.setParameter(zstd.CParameter.contentSizeFlag, 0);
    const data = Buffer.alloc(10000, 1);
    const frame = Buffer.alloc(zstd.compressBound(data.length));
    const size = cctx.compress2(frame, data);
    assertDecompressionError(Buffer.concat([hex('0300'), frame.subarray(0, size)]), /does not record its content size/);
  });

  it('survives random corruption of valid payloads of every codec', () => {
    const data = dna('corruption', 20000);
    let seed = 12345;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (const spec of ['lz4', 'zstd,3', 'zlib,6', 'lzma,1', 'obfuscate,1,zstd', 'none']) {
      const valid = new Compressor(spec).compress(data);
      for (let i = 0; i < 150; i++) {
        const bad = Buffer.from(valid);
        const kind = random(3);
        if (kind === 0) bad[2 + random(bad.length - 2)] ^= 1 + random(255);
        const payload = kind === 1 ? bad.subarray(0, 2 + random(bad.length - 2)) : kind === 2 ? Buffer.concat([bad, bad.subarray(2)]) : bad;
        try {
          assert.ok(Buffer.isBuffer(decompress(payload)));
        } catch (error) {
          assert.ok(error instanceof DecompressionError, `${spec}: ${String(error)}`);
        }
      }
    }
  });
});

describe('decompress() bounds the output size', () => {
  const over = Buffer.alloc(MAX_DATA_SIZE + 1);

  it('lz4: refuses blocks that expand beyond the limit', () => {
    const payload = new Compressor('lz4').compress(over);
    assert.ok(payload.length < 100000);
    assertDecompressionError(payload, /corrupt or expands to more than 20971479 bytes/);
    assert.equal(decompress(payload, { maxSize: over.length }).length, over.length);
    assertDecompressionError(new Compressor('lz4').compress(Buffer.alloc(1001)), /more than 1000/, { maxSize: 1000 });
  });

  it('zstd: refuses frames that record a size beyond the limit, before allocating', () => {
    const payload = new Compressor('zstd,1').compress(over);
    assertDecompressionError(payload, /expands to 20971480 bytes, more than the limit of 20971479 bytes/);
    assert.equal(decompress(payload, { maxSize: over.length }).length, over.length);
  });

  it('zlib: stops inflating at the limit', () => {
    const payload = deflateSync(over, { level: 1 });
    assertDecompressionError(payload, /expands to more than the limit of 20971479 bytes/);
    assert.equal(decompress(payload, { maxSize: over.length }).length, over.length);
  });

  it('lzma: stops decoding soon after the limit', () => {
    const payload = new Compressor('lzma,0').compress(Buffer.alloc(24 << 20));
    assertDecompressionError(payload, /expands to more than the limit of 20971479 bytes/);
    const small = new Compressor('lzma,0').compress(Buffer.alloc(1 << 20));
    assertDecompressionError(small, /more than the limit of 1048575 bytes/, { maxSize: (1 << 20) - 1 });
    assert.equal(decompress(small, { maxSize: 1 << 20 }).length, 1 << 20);
  });

  it('none and obfuscate: apply the limit to the plaintext, not to the padding', () => {
    assertDecompressionError(new Compressor('none').compress(Buffer.alloc(11)), /expands to 11 bytes/, { maxSize: 10 });
    const obfuscated = new Compressor('obfuscate,110,none', { random: () => 0.99 }).compress(Buffer.alloc(10));
    assert.ok(obfuscated.length > 500);
    assert.equal(decompress(obfuscated, { maxSize: 10 }).length, 10);
  });
});
