// The streaming item scanner counts exactly what a full decode of the items would, however the
// stream is cut into pieces, and rejects the shapes borg's cache synchronizer rejects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ItemChunkScanner, ItemScanError } from '../../src/cache/item-chunk-scanner.js';
import { ChunkIndex } from '../../src/format/hashindex.js';
import { decodeAll, encodeAll, isMap, type MsgValue } from '../../src/format/msgpack.js';
import { entryLines } from './cache-fixtures.js';

function items(): MsgValue[] {
  const ids = Array.from({ length: 6 }, () => randomBytes(32));
  const out: MsgValue[] = [];
  for (let i = 0; i < 40; i++) {
    const chunks = Array.from({ length: i % 7 }, (_, j) => [ids[(i + j) % ids.length]!, 1000 + j, i % 3 === 0 ? 70000 + j : 12]);
    const item: Record<string, MsgValue> = {
      path: Buffer.from(`dir/file-${i}`), mode: 0o100644, mtime: 1_700_000_000_000_000_000n + BigInt(i),
      user: i % 2 ? null : Buffer.from('root'), hardlink_master: false,
      xattrs: { 'user.long': randomBytes(100), 'user.nil': null } as unknown as MsgValue,
      acl_access: Buffer.alloc(i * 7, 0x61), size: 4096.5,
    };
    if (i % 5 !== 4) item['chunks'] = chunks;
    if (i % 9 === 8) item['part'] = 1;
    out.push(item);
  }
  out.push([1, 2, { chunks: 'not an item' }] as MsgValue, 7);
  return out;
}

/** What the items say, counted from fully decoded values. */
function reference(stream: Buffer): ChunkIndex {
  const index = new ChunkIndex();
  for (const item of decodeAll(stream)) {
    if (!isMap(item) || !Array.isArray(item['chunks'])) continue;
    for (const entry of item['chunks'] as [Buffer, number, number][]) {
      const known = index.get(entry[0]);
      if (known) index.set(entry[0], known.refcount + 1, known.size, known.csize);
      else index.set(entry[0], 1, entry[1], entry[2]);
    }
  }
  return index;
}

test('ItemChunkScanner counts like a full decode, fed whole or in pieces of any size', () => {
  const stream = encodeAll(items(), { sortKeys: true });
  const expected = entryLines(reference(stream));
  for (const piece of [stream.length, 1, 2, 3, 5, 31, 33, 64, 1000]) {
    const index = new ChunkIndex();
    const scanner = new ItemChunkScanner(index);
    for (let i = 0; i < stream.length; i += piece) scanner.feed(stream.subarray(i, i + piece));
    assert.deepEqual(entryLines(index), expected, `pieces of ${piece} bytes`);
  }
});

test('ItemChunkScanner rejects chunk lists borg rejects', () => {
  const id = Buffer.alloc(32, 1);
  const bad: [string, MsgValue][] = [
    ['nil entry', [null]],
    ['2-element entry', [[id, 1]]],
    ['short id', [[Buffer.alloc(31), 1, 2]]],
    ['float size', [[id, 1.5, 2]]],
    ['nested map', [{ a: 1 } as MsgValue]],
    ['raw instead of a list', Buffer.from('x')],
  ];
  for (const [what, chunks] of bad) {
    const scanner = new ItemChunkScanner(new ChunkIndex());
    assert.throws(() => scanner.feed(encodeAll([{ chunks, path: Buffer.from('p') }])), ItemScanError, what);
  }
  // An item key that is not a raw, and nesting beyond 16 levels.
  assert.throws(() => new ItemChunkScanner(new ChunkIndex()).feed(Buffer.from([0x81, 0x01, 0x01])), ItemScanError);
  let deep: MsgValue = 1;
  for (let i = 0; i < 17; i++) deep = [deep];
  assert.throws(() => new ItemChunkScanner(new ChunkIndex()).feed(encodeAll([{ x: deep }])), /nesting too deep/);
});

test('ItemChunkScanner keeps size and csize of a known id and saturates refcounts', () => {
  const index = new ChunkIndex();
  const id = Buffer.alloc(32, 7);
  index.set(id, 0xfffffbfe, 5, 6);
  new ItemChunkScanner(index).feed(encodeAll([{ chunks: [[id, 9, 9], [id, 9, 9]] }]));
  assert.deepEqual(index.get(id), { refcount: 0xfffffbff, size: 5, csize: 6 });
});

test('ItemChunkScanner skips bin and ext values outside chunk lists and refuses them inside', () => {
  const id = Buffer.alloc(32, 9);
  const item = Buffer.concat([
    Buffer.from([0x82, 0xa1, 0x78, 0xc4, 0x03, 1, 2, 3, 0xa6]), Buffer.from('chunks'),
    Buffer.from([0x91, 0x93, 0xda, 0x00, 0x20]), id, Buffer.from([0x05, 0x06]),
    Buffer.from([0x81, 0xa1, 0x79, 0xd6, 0x01, 1, 2, 3, 4]),
  ]);
  for (const piece of [1, item.length]) {
    const index = new ChunkIndex();
    const scanner = new ItemChunkScanner(index);
    for (let i = 0; i < item.length; i += piece) scanner.feed(item.subarray(i, i + piece));
    assert.deepEqual(index.get(id), { refcount: 1, size: 5, csize: 6 });
  }
  const bad = Buffer.concat([Buffer.from([0x81, 0xa6]), Buffer.from('chunks'), Buffer.from([0x91, 0xd6, 0x01, 1, 2, 3, 4])]);
  assert.throws(() => new ItemChunkScanner(new ChunkIndex()).feed(bad), /unexpected ext/);
});
