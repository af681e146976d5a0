import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HashIndex, HASH_SIZES, MAX_VALUE, NSIndex, ChunkIndex, parseHashIndexHeader } from '../../src/format/hashindex.js';
import { IndexCorrupted } from '../../src/format/errors.js';
import { IntegrityError } from '../../src/errors.js';

/** A key whose home bucket is `home` (first u32le word) and whose identity is `tag`. */
function key(home: number, tag = 0): Buffer {
  const k = Buffer.alloc(32);
  k.writeUInt32LE(home, 0);
  k.writeUInt32LE(tag, 4);
  return k;
}

function bucket(bytes: Buffer, i: number, valueSize = 8): Buffer {
  const size = 32 + valueSize;
  return bytes.subarray(18 + i * size, 18 + (i + 1) * size);
}

function emptyBuckets(bytes: Buffer, valueSize = 8): number {
  let n = 0;
  for (let i = 0; i < bytes.readInt32LE(12); i++) if (bucket(bytes, i, valueSize).readUInt32LE(32) === 0xffffffff) n++;
  return n;
}

test('a new index has 1031 buckets written as zero key + ff ff ff ff + zeros', () => {
  const index = new NSIndex();
  const bytes = index.toBytes();
  assert.equal(bytes.length, 18 + 1031 * 40);
  assert.equal(bytes.subarray(0, 18).toString('hex'), '424f52475f494458' + '00000000' + '07040000' + '20' + '08');
  for (let i = 0; i < 1031; i++) assert.equal(bucket(bytes, i).toString('hex'), '00'.repeat(32) + 'ffffffff' + '00000000');
  assert.equal(HASH_SIZES[0], 1031);
  assert.equal(MAX_VALUE, 4294966271);
  assert.equal(new ChunkIndex().toBytes().length, 18 + 1031 * 44);
});

test('HashIndex sets, gets, finds and deletes entries', () => {
  const h = new HashIndex(12);
  assert.equal(h.get(key(1)), undefined);
  h.set(key(1), [1, 2, 3]);
  h.set(key(1032), [4, 5, 6]); // same home bucket: goes to the next one
  assert.deepEqual(h.get(key(1)), [1, 2, 3]);
  assert.deepEqual(h.get(key(1032)), [4, 5, 6]);
  assert.equal(h.find(key(1)), 1);
  assert.equal(h.find(key(1032)), 2);
  assert.equal(h.count, 2);
  h.set(key(1), [7, 8, 9]);
  assert.equal(h.count, 2);
  assert.equal(h.readWord(1, 2), 9);
  h.writeWord(1, 2, 10);
  assert.deepEqual(h.get(key(1)), [7, 8, 10]);
  assert.deepEqual(h.keyAt(2), key(1032));
  assert.deepEqual([...h.entries()], [[key(1), [7, 8, 10]], [key(1032), [4, 5, 6]]]);
  assert.equal(h.nextUsedSlot(0), 1);
  assert.equal(h.nextUsedSlot(3), -1);
  assert.equal(h.delete(key(1)), true);
  assert.equal(h.delete(key(1)), false);
  assert.equal(h.has(key(1)), false);
  assert.equal(h.count, 1);
  const slot = h.insert(key(5));
  assert.deepEqual(h.get(key(5)), [0, 0, 0]);
  assert.equal(h.insert(key(5)), slot);
  assert.equal(h.count, 2);
});

test('HashIndex refuses bad keys, values and slots', () => {
  const h = new HashIndex(8);
  assert.throws(() => h.set(Buffer.alloc(31), [1, 2]), RangeError);
  assert.throws(() => h.set(key(1), [1]), RangeError);
  assert.throws(() => h.set(key(1), [MAX_VALUE + 1, 0]), RangeError);
  assert.throws(() => h.set(key(1), [0, 2 ** 32]), RangeError);
  assert.throws(() => h.set(key(1), [-1, 0]), RangeError);
  assert.throws(() => h.set(key(1), [1.5, 0]), RangeError);
  h.set(key(1), [MAX_VALUE, 0xffffffff]);
  assert.deepEqual(h.get(key(1)), [MAX_VALUE, 0xffffffff]);
  assert.throws(() => h.readWord(0, 0), /not in use/);
  assert.throws(() => h.readWord(1, 2), RangeError);
  assert.throws(() => h.writeWord(1, 0, 0xfffffffe), RangeError);
  assert.throws(() => new HashIndex(10), RangeError);
  assert.equal(h.count, 1);
});

test('the table grows past 75 % load and shrinks below 25 %, like borg 1.2.4', () => {
  // Bucket counts observed with borg 1.2.4: grow on the 775th and 1541st insert,
  // shrink after the delete that leaves 1023, then 512 entries.
  const h = new NSIndex();
  const sizes: [number, number][] = [];
  let last = h.table.numBuckets;
  for (let n = 0; n < 3000; n++) {
    h.set(key(n * 7919, n), n, n);
    if (h.table.numBuckets !== last) sizes.push([h.count, (last = h.table.numBuckets)]);
  }
  for (let n = 0; n < 3000; n++) {
    h.delete(key(n * 7919, n));
    if (h.table.numBuckets !== last) sizes.push([h.count, (last = h.table.numBuckets)]);
  }
  assert.deepEqual(sizes, [[775, 2053], [1541, 4099], [1023, 2053], [512, 1031]]);
  assert.equal(h.count, 0);
});

test('capacity picks the first table size that holds it', () => {
  assert.equal(new HashIndex(8, { capacity: 1031 }).numBuckets, 1031);
  assert.equal(new HashIndex(8, { capacity: 1032 }).numBuckets, 2053);
  assert.equal(new HashIndex(8, { capacity: 5000 }).numBuckets, 8209);
});

test('delete leaves a tombstone; a later lookup moves the entry into it', () => {
  const h = new NSIndex();
  const a = Buffer.concat([key(5).subarray(0, 4), Buffer.alloc(28, 0x61)]);
  const b = Buffer.concat([key(5).subarray(0, 4), Buffer.alloc(28, 0x62)]);
  h.set(a, 1, 1);
  h.set(b, 2, 2);
  h.delete(a);
  // Bytes as borg 1.2.4 wrote them for the same operations.
  assert.equal(Buffer.concat([bucket(h.toBytes(), 5), bucket(h.toBytes(), 6)]).toString('hex'),
    '05000000' + '61'.repeat(28) + 'feffffff01000000' + '05000000' + '62'.repeat(28) + '0200000002000000');
  assert.equal(h.table.peek(b), 6); // peek never moves anything
  assert.deepEqual(h.get(b), { segment: 2, offset: 2 });
  assert.equal(Buffer.concat([bucket(h.toBytes(), 5), bucket(h.toBytes(), 6)]).toString('hex'),
    '05000000' + '62'.repeat(28) + '0200000002000000' + '05000000' + '62'.repeat(28) + 'feffffff02000000');
  assert.equal(h.table.find(b), 5);
});

test('tombstones are cleaned up by a same-size rebuild when EMPTY buckets run low', () => {
  const h = new NSIndex();
  for (let n = 0; n < 10; n++) h.set(key(100000 + n, 1), 0, 0);
  let before = emptyBuckets(h.toBytes());
  for (let n = 0; n < 1100; n++) {
    h.set(key(n, 2), 1, 2);
    const after = emptyBuckets(h.toBytes());
    if (after > before) {
      // borg 1.2.4 rebuilds when taking an EMPTY bucket would leave int(1031 * 0.07) = 72 or fewer.
      assert.equal(before, 73);
      assert.equal(after, 1031 - 11);
      assert.equal(h.table.numBuckets, 1031);
      assert.deepEqual(h.get(key(n, 2)), { segment: 1, offset: 2 });
      return;
    }
    h.delete(key(n, 2));
    before = after;
  }
  assert.fail('no rebuild happened');
});

test('fromBytes rebuilds a table with too few EMPTY buckets, keeps any other bucket count', () => {
  for (const [empties, rebuilt] of [[73, false], [72, true]] as const) {
    const bytes = new NSIndex().toBytes();
    let made = 1031;
    for (let i = 1; made > empties; i++, made--) bytes.writeUInt32LE(0xfffffffe, 18 + i * 40 + 32);
    const back = NSIndex.fromBytes(bytes);
    assert.equal(emptyBuckets(back.toBytes()), rebuilt ? 1031 : empties);
    assert.equal(NSIndex.fromBytes(bytes, { permitCompact: true }).toBytes().equals(bytes), true);
  }
  const odd = new HashIndex(8, { capacity: 0 });
  odd.set(key(42), [1, 2]);
  const file = Buffer.concat([odd.toBytes().subarray(0, 18), ...Array.from({ length: 100 }, (_, i) => bucket(odd.toBytes(), i))]);
  file.writeInt32LE(100, 12);
  const back = NSIndex.fromBytes(file);
  assert.equal(back.table.numBuckets, 100);
  assert.deepEqual(back.get(key(42)), { segment: 1, offset: 2 });
  assert.ok(back.toBytes().equals(file));
});

test('compact tables (no EMPTY bucket) are readable with permitCompact and grow on insert', () => {
  const entries = [key(3), key(1), key(2)];
  const header = Buffer.from('424f52475f494458' + '03000000' + '03000000' + '20' + '0c', 'hex');
  const rows = entries.map((k, i) => Buffer.concat([k, Buffer.from([i + 1, 0, 0, 0, 9, 0, 0, 0, 8, 0, 0, 0])]));
  const compact = ChunkIndex.fromBytes(Buffer.concat([header, ...rows]), { permitCompact: true });
  assert.equal(compact.table.numBuckets, 3);
  assert.deepEqual(compact.get(key(2)), { refcount: 3, size: 9, csize: 8 });
  assert.equal(compact.get(key(4)), undefined); // a full pass ends the probe (borg 1.2.4 would spin forever)
  compact.add(key(4), 1, 1, 1);
  assert.equal(compact.table.numBuckets, 2053); // grow_size(3): the size after the first one >= 3
  assert.equal(compact.count, 4);
  // Without permitCompact borg rebuilds such a file at once.
  assert.equal(ChunkIndex.fromBytes(Buffer.concat([header, ...rows])).table.numBuckets, 1031);
  const none = Buffer.from('424f52475f494458' + '00000000' + '00000000' + '20' + '08', 'hex');
  assert.equal(NSIndex.fromBytes(none, { permitCompact: true }).get(key(1)), undefined);
  assert.equal(NSIndex.fromBytes(none).table.numBuckets, 1031);
});

test('fromBytes rejects hostile or damaged files with IndexCorrupted', () => {
  const good = new NSIndex();
  good.set(key(7), 1, 2);
  const bytes = good.toBytes();
  const damaged = (edit: (b: Buffer) => Buffer | void): Buffer => {
    const b = Buffer.from(bytes);
    return edit(b) ?? b;
  };
  const cases: [string, Buffer, RegExp][] = [
    ['short', bytes.subarray(0, 10), /too short/],
    ['magic', damaged((b) => void b.write('BORG_XXX', 0)), /magic/],
    ['key size', damaged((b) => void b.writeInt8(16, 16)), /key size 16/],
    ['value size', damaged((b) => void b.writeInt8(12, 17)), /value size 12, expected 8/],
    ['length', bytes.subarray(0, bytes.length - 1), /file length/],
    ['negative buckets', damaged((b) => void b.writeInt32LE(-1, 12)), /impossible counts/],
    ['too many entries', damaged((b) => void b.writeInt32LE(5, 8)), /5 entries but 1/],
    ['entries > buckets', damaged((b) => void b.writeInt32LE(2000, 8)), /impossible counts/],
    ['bad state', damaged((b) => void b.writeUInt32LE(0xfffffc00, 18 + 7 * 40 + 32)), /invalid state/],
  ];
  for (const [name, input, message] of cases) {
    assert.throws(() => NSIndex.fromBytes(input), (e: unknown) => {
      assert.ok(e instanceof IndexCorrupted && e instanceof IntegrityError, name);
      assert.equal(e.code, 'IndexCorrupted');
      assert.match(e.message, message, name);
      return true;
    });
  }
  assert.throws(() => HashIndex.fromBytes(damaged((b) => void b.writeInt8(10, 17))), /unsupported value size 10/);
  assert.equal(HashIndex.fromBytes(bytes).valueSize, 8);
});

test('toParts yields the same bytes as toBytes; shared tables stay shared', () => {
  const h = new ChunkIndex({ shared: true });
  for (let n = 0; n < 2000; n++) h.add(key(n * 31, n), 1, n, n);
  assert.ok(h.table.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(Buffer.concat([...h.table.toParts(1000)]), h.toBytes());
  const back = ChunkIndex.fromBytes(h.toBytes(), { shared: true });
  assert.ok(back.table.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(back.toBytes(), h.toBytes());
});

test('fromParts reads a file given in pieces; the header check bounds allocation by the file length', () => {
  const ns = new NSIndex();
  for (let n = 0; n < 900; n++) ns.set(key(n * 13, n), n, n);
  const bytes = ns.toBytes();
  const header = parseHashIndexHeader(bytes, { valueSize: 8, fileLength: bytes.length });
  const pieces: Buffer[] = [];
  for (let off = 18; off < bytes.length; off += 4097) pieces.push(bytes.subarray(off, off + 4097));
  assert.deepEqual(new NSIndex(HashIndex.fromParts(header, pieces)).toBytes(), bytes);
  assert.throws(() => HashIndex.fromParts(header, pieces.slice(1)), /bytes of buckets/);
  const hostile = Buffer.from(bytes.subarray(0, 18));
  hostile.writeInt32LE(0x7fffffff, 12);
  assert.throws(() => parseHashIndexHeader(hostile, { fileLength: 1 << 30 }), /file length/);
});

test('NSIndex maps ids to (segment, offset)', () => {
  const ns = new NSIndex();
  ns.set(key(1), 4, 8);
  ns.set(key(2), MAX_VALUE, 0xffffffff);
  assert.deepEqual(ns.get(key(1)), { segment: 4, offset: 8 });
  assert.deepEqual([...ns.entries()], [[key(1), 4, 8], [key(2), MAX_VALUE, 0xffffffff]]);
  assert.throws(() => ns.set(key(3), MAX_VALUE + 1, 0), RangeError);
  assert.equal(ns.has(key(2)), true);
  assert.equal(ns.delete(key(2)), true);
  assert.equal(ns.count, 1);
  assert.deepEqual(NSIndex.fromBytes(ns.toBytes()).get(key(1)), { segment: 4, offset: 8 });
  assert.throws(() => NSIndex.fromBytes(new ChunkIndex().toBytes()), IndexCorrupted);
});

test('ChunkIndex counts references with saturation at MAX_VALUE', () => {
  const c = new ChunkIndex();
  const a = key(1);
  c.add(a, 1, 10, 5);
  c.add(a, 2, 99, 98); // size and csize are replaced, as borg does
  assert.deepEqual(c.get(a), { refcount: 3, size: 99, csize: 98 });
  assert.equal(c.incref(a), 4);
  assert.equal(c.decref(a), 3);
  c.set(a, 1, 100, 50);
  assert.equal(c.decref(a), 0);
  assert.throws(() => c.decref(a), /already 0/);
  assert.deepEqual(c.get(a), { refcount: 0, size: 100, csize: 50 });
  assert.throws(() => c.incref(key(2)), /not in the index/);
  c.add(a, MAX_VALUE, 1, 1);
  assert.equal(c.get(a)!.refcount, MAX_VALUE);
  c.add(a, 5, 1, 1);
  assert.equal(c.incref(a), MAX_VALUE);
  assert.equal(c.decref(a), MAX_VALUE);
  assert.throws(() => c.set(key(3), MAX_VALUE + 1, 0, 0), RangeError);
  assert.throws(() => c.add(key(3), 1, 2 ** 32, 0), RangeError);
  assert.equal(c.has(key(3)), false);
});

test('ChunkIndex merge sums refcounts; summarize weights totals by refcount', () => {
  // Same data as a borg 1.2.4 session: summarize() gave (101, 36, 25, 12, 3, 6).
  const a = key(1), b = key(2), c = key(3);
  const i = new ChunkIndex();
  const j = new ChunkIndex();
  i.set(a, 2, 10, 5);
  j.set(a, 3, 20, 7);
  j.set(b, 1, 1, 1);
  i.set(c, 0, 4, 4);
  i.merge(j);
  assert.deepEqual(i.get(a), { refcount: 5, size: 20, csize: 7 });
  assert.deepEqual(i.get(b), { refcount: 1, size: 1, csize: 1 });
  assert.deepEqual(i.summarize(), { totalSize: 101, totalCsize: 36, uniqueSize: 25, uniqueCsize: 12, totalUniqueChunks: 3, totalChunks: 6 });
  const k = new ChunkIndex();
  k.set(a, MAX_VALUE - 1, 1, 1);
  i.merge(k);
  assert.equal(i.get(a)!.refcount, MAX_VALUE);
  assert.deepEqual([...i.entries()].map(([id, r]) => [id.readUInt32LE(0), r]), [[1, MAX_VALUE], [2, 1], [3, 0]]);
});
