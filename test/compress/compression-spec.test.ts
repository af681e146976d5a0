import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  type CompressionSpec, InvalidCompressionSpec, describeCompressionSpec, parseCompressionSpec,
} from '../../src/compress/index.js';
import { UsageError } from '../../src/errors.js';

describe('parseCompressionSpec()', () => {
  const good: [string, CompressionSpec, string][] = [
    ['none', { name: 'none' }, 'none'],
    ['lz4', { name: 'lz4' }, 'lz4'],
    ['zstd', { name: 'zstd', level: 3 }, 'zstd,3'],
    ['zstd,1', { name: 'zstd', level: 1 }, 'zstd,1'],
    ['zstd,22', { name: 'zstd', level: 22 }, 'zstd,22'],
    ['zstd, 7', { name: 'zstd', level: 7 }, 'zstd,7'],
    ['zlib', { name: 'zlib', level: 6 }, 'zlib,6'],
    ['zlib,0', { name: 'zlib', level: 0 }, 'zlib,0'],
    ['zlib,9', { name: 'zlib', level: 9 }, 'zlib,9'],
    ['lzma', { name: 'lzma', level: 6 }, 'lzma,6'],
    ['lzma,0', { name: 'lzma', level: 0 }, 'lzma,0'],
    ['lzma,9', { name: 'lzma', level: 9 }, 'lzma,9'],
    ['auto,lz4', { name: 'auto', inner: { name: 'lz4' } }, 'auto,lz4'],
    ['auto,zstd', { name: 'auto', inner: { name: 'zstd', level: 3 } }, 'auto,zstd,3'],
    ['auto,lzma,9', { name: 'auto', inner: { name: 'lzma', level: 9 } }, 'auto,lzma,9'],
    ['obfuscate,1,lz4', { name: 'obfuscate', level: 1, inner: { name: 'lz4' } }, 'obfuscate,1,lz4'],
    ['obfuscate,6,none', { name: 'obfuscate', level: 6, inner: { name: 'none' } }, 'obfuscate,6,none'],
    ['obfuscate,110,zlib', { name: 'obfuscate', level: 110, inner: { name: 'zlib', level: 6 } }, 'obfuscate,110,zlib,6'],
    ['obfuscate,123,zstd,5', { name: 'obfuscate', level: 123, inner: { name: 'zstd', level: 5 } }, 'obfuscate,123,zstd,5'],
    ['obfuscate,3,auto,zstd,10', { name: 'obfuscate', level: 3, inner: { name: 'auto', inner: { name: 'zstd', level: 10 } } },
      'obfuscate,3,auto,zstd,10'],
  ];
  for (const [text, spec, canonical] of good) {
    it(`accepts '${text}'`, () => {
      assert.deepEqual(parseCompressionSpec(text), spec);
      assert.equal(describeCompressionSpec(spec), canonical);
      assert.deepEqual(parseCompressionSpec(canonical), spec);
    });
  }

  const bad: [string, RegExp][] = [
    ['', /unknown compression ''/],
    ['LZ4', /unknown compression 'LZ4'/],
    [' lz4', /unknown compression/],
    ['gzip', /unknown compression 'gzip'/],
    ['lz4,1', /lz4 takes no level/],
    ['none,x', /none takes no level/],
    ['zstd,0', /zstd level must be 1\.\.22/],
    ['zstd,23', /zstd level must be 1\.\.22/],
    ['zstd,-1', /zstd level must be 1\.\.22/],
    ['zstd,abc', /zstd level 'abc' is not an integer/],
    ['zstd,0x3', /not an integer/],
    ['zstd,3,4', /at most one level/],
    ['zlib,10', /zlib level must be 0\.\.9/],
    ['zlib,-1', /zlib level must be 0\.\.9/],
    ['lzma,10', /lzma level must be 0\.\.9/],
    ['auto', /auto needs a compression/],
    ['auto,auto,lz4', /auto cannot be nested/],
    ['auto,obfuscate,1,lz4', /obfuscate cannot be nested/],
    ['auto,zstd,1,2', /at most one level/],
    ['obfuscate', /obfuscate needs a level and a compression/],
    ['obfuscate,1', /obfuscate needs a level and a compression/],
    ['obfuscate,x,lz4', /obfuscate level 'x' is not an integer/],
    ['obfuscate,0,lz4', /1\.\.6 or 110\.\.123/],
    ['obfuscate,7,lz4', /1\.\.6 or 110\.\.123/],
    ['obfuscate,109,lz4', /1\.\.6 or 110\.\.123/],
    ['obfuscate,124,lz4', /1\.\.6 or 110\.\.123/],
    ['obfuscate,1,bogus', /unknown compression 'bogus'/],
    ['obfuscate,1,auto', /auto needs a compression/],
    ['obfuscate,1,obfuscate,1,lz4', /obfuscate cannot be nested/],
  ];
  for (const [text, message] of bad) {
    it(`rejects '${text}'`, () => {
      assert.throws(() => parseCompressionSpec(text), (error: unknown) =>
        error instanceof InvalidCompressionSpec && error instanceof UsageError && error.code === 'InvalidCompressionSpec' &&
        message.test(error.message) && error.message.startsWith(`Invalid compression spec '${text}'`));
    });
  }
});
