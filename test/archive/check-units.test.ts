// The pure parts of the archive check: recognising the start of a packed item or archive map, the
// robust unpacker's resync after a hole in an item stream, and how findings are classified.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify } from '../../src/archive/check/findings.js';
import { RobustUnpacker, serializeKeys, validMsgpackedDict } from '../../src/archive/check/robust-unpacker.js';
import { ITEM_KEYS } from '../../src/archive/manifest.js';
import { encode, isMap, type MsgMap, type MsgValue } from '../../src/format/msgpack.js';

const ITEM_KEYS_SERIALIZED = serializeKeys(ITEM_KEYS);

function item(i: number): MsgMap {
  return { mode: 33188, mtime: 1_700_000_000_000_000_000n + BigInt(i), path: Buffer.from(`dir/file-${i}`), size: i };
}

function stream(count: number): { bytes: Buffer; ends: number[] } {
  const parts = Array.from({ length: count }, (_, i) => encode(item(i), { sortKeys: true }));
  const ends: number[] = [];
  let at = 0;
  for (const p of parts) ends.push((at += p.length));
  return { bytes: Buffer.concat(parts), ends };
}

const isItem = (v: MsgValue) => isMap(v) && v['path'] !== undefined;
const paths = (values: MsgValue[]) => values.map((v) => (v as MsgMap)['path']!.toString());

describe('validMsgpackedDict()', () => {
  it('accepts fixmap and map16 starting with a known key, nothing else', () => {
    const packed = encode(item(1), { sortKeys: true });
    assert.equal(validMsgpackedDict(packed, ITEM_KEYS_SERIALIZED), true);
    const map16 = Buffer.concat([Buffer.from([0xde, 0x00, 0x04]), packed.subarray(1)]);
    assert.equal(validMsgpackedDict(map16, ITEM_KEYS_SERIALIZED), true);
    assert.equal(validMsgpackedDict(packed.subarray(1), ITEM_KEYS_SERIALIZED), false); // not a map
    assert.equal(validMsgpackedDict(encode({ zzz: 1 }), ITEM_KEYS_SERIALIZED), false); // unknown first key
    assert.equal(validMsgpackedDict(encode({ 1: 1 } as unknown as MsgMap), ITEM_KEYS_SERIALIZED), false);
    assert.equal(validMsgpackedDict(Buffer.from([0x84]), ITEM_KEYS_SERIALIZED), false);
    assert.equal(validMsgpackedDict(Buffer.alloc(0), ITEM_KEYS_SERIALIZED), false);
  });
});

describe('RobustUnpacker', () => {
  it('unpacks an intact stream fed in arbitrary pieces', () => {
    const { bytes } = stream(50);
    const unpacker = new RobustUnpacker(isItem, ITEM_KEYS);
    const out: MsgValue[] = [];
    for (let at = 0; at < bytes.length; at += 37) {
      unpacker.feed(bytes.subarray(at, at + 37));
      out.push(...unpacker);
    }
    assert.deepEqual(paths(out), Array.from({ length: 50 }, (_, i) => `dir/file-${i}`));
  });

  it('after a resync skips to the next whole item and keeps all that follow', () => {
    const { bytes, ends } = stream(40);
    const unpacker = new RobustUnpacker(isItem, ITEM_KEYS);
    // Items 0..9, then a hole from inside item 10 to inside item 19: item 20 is the next whole one.
    unpacker.feed(bytes.subarray(0, ends[9]! + 5));
    const out = [...unpacker];
    unpacker.resync();
    const restart = ends[18]! + 3;
    // Fed in two pieces, the first ending inside the first complete item after the hole.
    unpacker.feed(bytes.subarray(restart, ends[20]! - 2));
    out.push(...unpacker);
    unpacker.feed(bytes.subarray(ends[20]! - 2));
    out.push(...unpacker);
    const expected = [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 20 }, (_, i) => i + 20)];
    assert.deepEqual(paths(out), expected.map((i) => `dir/file-${i}`));
  });

  it('does not wait for a false item start that claims more bytes than ever come', () => {
    const { bytes, ends } = stream(20);
    const unpacker = new RobustUnpacker(isItem, ITEM_KEYS);
    unpacker.resync();
    // Looks like {path: [2^31 - 1 elements...]}: it would never be complete.
    const bogus = Buffer.from([0x81, 0xa4, ...Buffer.from('path'), 0xdd, 0x7f, 0xff, 0xff, 0xff]);
    const tail = bytes.subarray(ends[4]!);
    const out: MsgValue[] = [];
    unpacker.feed(bogus);
    out.push(...unpacker);
    for (let at = 0; at < tail.length; at += 50) {
      unpacker.feed(tail.subarray(at, at + 50));
      out.push(...unpacker);
    }
    // The first item after the bogus bytes is found, and the stream continues normally from there.
    assert.deepEqual(paths(out), Array.from({ length: 15 }, (_, i) => `dir/file-${i + 5}`));
  });

  it('throws on a malformed stream outside a resync (the caller reports and resyncs)', () => {
    const unpacker = new RobustUnpacker(isItem, ITEM_KEYS);
    unpacker.feed(Buffer.from([0xc1]));
    assert.throws(() => unpacker.next(), /msgpack|0xc1|type/i);
  });
});

describe('classify()', () => {
  it('marks what counts as a problem, as borg counts it', () => {
    assert.deepEqual(classify({ kind: 'orphans-found', ids: [] }).problem, true);
    assert.deepEqual(classify({ kind: 'size-inconsistent', archive: 'a', path: 'p', size: 1, chunksSize: 2 }).problem, false);
    const replacement = classify({ kind: 'replacement-chunk-missing', archive: 'a', path: 'p', offset: 0, size: 1, id: Buffer.alloc(32) });
    assert.deepEqual([replacement.severity, replacement.problem], ['warning', true]);
    assert.equal(classify({ kind: 'verify-finished', verified: 3, errors: 1 }).severity, 'error');
    assert.equal(classify({ kind: 'verify-finished', verified: 3, errors: 0 }).severity, 'info');
  });
});
