// packItem must give exactly the bytes of the general encoder for every kind of item.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Encoder, encode } from '../../src/format/msgpack.js';
import { decodeFsBytes } from '../../src/format/surrogate-escape.js';
import { itemToMsg, type ChunkRef, type Item } from '../../src/archive/item.js';
import { PACKED_KEYS, packItem } from '../../src/archive/item-pack.js';

function chunks(n: number, size: number): ChunkRef[] {
  return Array.from({ length: n }, (_, i) => ({ id: randomBytes(32), size: size + i, csize: size + i + 41 }));
}

const base = (over: Partial<Item>): Item => ({ path: 'home/u/f', mode: 0o100644, mtime: 1_700_000_000_123_456_789n, ...over });

const ITEMS: Item[] = [
  base({}),
  base({ uid: 1000, gid: 1000, user: 'u', group: 'g', ctime: 1_700_000_001_000_000_000n, size: 0, chunks: [], hardlinkMaster: false }),
  base({ uid: 0, gid: 0, user: null, group: null, ctime: 0n, size: 12345, chunks: chunks(1, 12345), hardlinkMaster: true }),
  base({ mode: 0o40755, uid: 70000, gid: 2 ** 31, user: 'ünïcode', group: 'grp with space', ctime: 5n, bsdflags: 1 }),
  base({ mode: 0o120777, source: '../target', atime: 2n ** 62n, birthtime: 3n, uid: 1, gid: 1, user: 'a', group: 'b' }),
  base({ mode: 0o100644, source: 'home/u/master', uid: 1, gid: 1, user: 'a', group: 'b', ctime: 1n }),
  base({ mode: 0o20644, rdev: 0x801, uid: 0, gid: 6, user: 'root', group: 'disk', ctime: 9n }),
  base({ size: 2 ** 40, chunks: chunks(40, 1 << 20), chunksHealthy: chunks(40, 1 << 20), part: 3 }),
  base({ aclAccess: Buffer.from('user::rw-\nuser:1000:r--:1000\ngroup::r--\nmask::r--\nother::---'), aclDefault: Buffer.alloc(0), aclExtended: Buffer.from('x'), aclNfs4: Buffer.from('y') }),
  base({ path: decodeFsBytes(Buffer.from([0x61, 0xff, 0x2f, 0x62])), user: decodeFsBytes(Buffer.from([0xfe])) }),
  base({ path: 'p'.repeat(70_000), source: 's'.repeat(40) }),
  base({ mtime: 0n, ctime: 2n ** 63n - 1n, atime: -(2n ** 63n) }),
  // The general path: xattrs and unknown keys.
  base({ xattrs: new Map([['user.a', Buffer.from('1')], ['user.b', null]]), uid: 1 }),
  base({ extra: { zz_unknown: 5, aa_unknown: Buffer.from('q') }, size: 3 }),
];

test('PACKED_KEYS are in sorted order', () => {
  assert.deepEqual([...PACKED_KEYS], [...PACKED_KEYS].sort());
});

test('packItem equals encode(itemToMsg(item), { sortKeys: true })', () => {
  for (const [i, item] of ITEMS.entries()) {
    const enc = new Encoder(true);
    packItem(enc, item);
    assert.ok(enc.result().equals(encode(itemToMsg(item), { sortKeys: true })), `item ${i}`);
  }
});

test('items packed back to back equal the items encoded one by one', () => {
  const enc = new Encoder(true, 16);
  for (const item of ITEMS) packItem(enc, item);
  assert.ok(enc.result().equals(Buffer.concat(ITEMS.map((item) => encode(itemToMsg(item), { sortKeys: true })))));
});
