import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  DEFAULT_CHUNKER_PARAMS, ITEMS_CHUNKER_PARAMS, InvalidChunkerParams, MalformedChunkerParams,
  chunkerParamsFromArchive, chunkerParamsToArchive, createChunker, describeChunkerParams, parseChunkerParams,
} from '../../src/chunker/index.js';
import { UsageError } from '../../src/errors.js';

describe('parseChunkerParams()', () => {
  const good: [string, unknown][] = [
    ['19,23,21,4095', DEFAULT_CHUNKER_PARAMS],
    ['buzhash,19,23,21,4095', DEFAULT_CHUNKER_PARAMS],
    ['BuzHash,15,19,17,4095', ITEMS_CHUNKER_PARAMS],
    ['default', DEFAULT_CHUNKER_PARAMS],
    [' default ', DEFAULT_CHUNKER_PARAMS],
    ['10,16,12,63', { algorithm: 'buzhash', minExp: 10, maxExp: 16, maskBits: 12, windowSize: 63 }],
    ['6,7,6,63', { algorithm: 'buzhash', minExp: 6, maxExp: 7, maskBits: 6, windowSize: 63 }],
    ['buzhash,10,16,12, 64', { algorithm: 'buzhash', minExp: 10, maxExp: 16, maskBits: 12, windowSize: 64 }],
    ['fixed,4194304', { algorithm: 'fixed', blockSize: 4194304, headerSize: 0 }],
    ['fixed,4194304,512', { algorithm: 'fixed', blockSize: 4194304, headerSize: 512 }],
    ['FIXED,64', { algorithm: 'fixed', blockSize: 64, headerSize: 0 }],
    ['fixed,20971479,20971479', { algorithm: 'fixed', blockSize: 20971479, headerSize: 20971479 }],
  ];
  for (const [text, expected] of good) {
    it(`accepts '${text}'`, () => assert.deepEqual(parseChunkerParams(text), expected));
  }

  const bad: [string, RegExp][] = [
    ['', /expected 'default'/],
    ['default,1', /expected 'default'/],
    ['19,23,21', /expected 'default'/],
    ['19,23,21,4095,5', /expected 'default'/],
    ['rabin,19,23,21,4095', /expected 'default'/],
    ['fixed', /expected 'default'/],
    ['fixed,64,1,2', /not an integer/],
    ['19,23,21,abc', /window size 'abc' is not an integer/],
    ['19,23,21,0x10', /not an integer/],
    ['19,23,24,4095', /min exponent <= mask bits <= max exponent/],
    ['19,23,18,4095', /min exponent <= mask bits <= max exponent/],
    ['5,23,21,4095', /at least 6/],
    ['19,24,21,4095', /at most 23/],
    ['19,23,21,0', /at least 1 byte/],
    ['19,23,21,-5', /at least 1 byte/],
    ['19,19,19,4095', /must exceed min chunk size \+ window/],
    ['10,11,10,1024', /must exceed min chunk size \+ window/],
    ['fixed,63', /at least 64 bytes/],
    ['fixed,20971480', /must not exceed 20971479/],
    ['fixed,4096,20971480', /must not exceed 20971479/],
    ['fixed,4096,-1', /must not be negative/],
  ];
  for (const [text, message] of bad) {
    it(`rejects '${text}'`, () => {
      assert.throws(() => parseChunkerParams(text), (error: unknown) =>
        error instanceof InvalidChunkerParams && error instanceof UsageError && message.test(error.message) &&
        error.code === 'InvalidChunkerParams' && error.message.includes(`'${text}'`));
    });
  }

  it('is also enforced when a chunker is created directly', () => {
    assert.throws(() => createChunker({ ...DEFAULT_CHUNKER_PARAMS, windowSize: 0 }, 0), InvalidChunkerParams);
    assert.throws(() => createChunker({ algorithm: 'fixed', blockSize: 10, headerSize: 0 }, 0), InvalidChunkerParams);
    assert.throws(() => createChunker({ ...DEFAULT_CHUNKER_PARAMS, minExp: 19.5 }, 0), /all values must be integers/);
  });
});

describe('archive chunker_params', () => {
  it('chunkerParamsToArchive() gives the list borg 1.2 stores', () => {
    assert.deepEqual(chunkerParamsToArchive(DEFAULT_CHUNKER_PARAMS), ['buzhash', 19, 23, 21, 4095]);
    assert.deepEqual(chunkerParamsToArchive(parseChunkerParams('fixed,4096')), ['fixed', 4096, 0]);
    assert.equal(describeChunkerParams(parseChunkerParams('fixed,4096,512')), 'fixed,4096,512');
  });

  it('chunkerParamsFromArchive() reads names as strings or raw bytes, and the pre-1.2 4-int form', () => {
    assert.deepEqual(chunkerParamsFromArchive(['buzhash', 19, 23, 21, 4095]), DEFAULT_CHUNKER_PARAMS);
    assert.deepEqual(chunkerParamsFromArchive([Buffer.from('buzhash'), 15, 19, 17, 4095]), ITEMS_CHUNKER_PARAMS);
    assert.deepEqual(chunkerParamsFromArchive([19, 23, 21, 4095]), DEFAULT_CHUNKER_PARAMS);
    assert.deepEqual(chunkerParamsFromArchive([Buffer.from('fixed'), 4096, 512n]),
      { algorithm: 'fixed', blockSize: 4096, headerSize: 512 });
    for (const p of [DEFAULT_CHUNKER_PARAMS, parseChunkerParams('fixed,65536,100')]) {
      assert.deepEqual(chunkerParamsFromArchive(chunkerParamsToArchive(p)), p);
    }
  });

  it('chunkerParamsFromArchive() rejects shapes no borg writes', () => {
    for (const value of [null, 'buzhash', [], ['rabin', 1, 2, 3, 4], ['fixed', 4096], ['buzhash', 19, 23, 21], [19, 23, 21, 4095, 1],
      ['buzhash', 19, 23, 21, '4095'], [19, 23, 21, 1.5]]) {
      assert.throws(() => chunkerParamsFromArchive(value), MalformedChunkerParams, JSON.stringify(value));
    }
  });
});
