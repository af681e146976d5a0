// The check's fast item path: scanItem may only accept an item when the full path (decode, validate,
// count the chunks, pack again with sorted keys) would give exactly that item's bytes and chunk ids,
// and ItemChunkReader must give the same items, invalid items and errors at the same chunks as the
// robust unpacker alone — on varied, non-canonical, invalid and damaged streams.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunkList, invalidItemReason } from '../../src/archive/check/item-check.js';
import { ITEM_LIMITS, ItemKeyTable, ScannedItem, scanItem } from '../../src/archive/check/item-scanner.js';
import { StreamOrigin } from '../../src/archive/check/item-stream-rewriter.js';
import { ItemChunkReader, type WalkItem } from '../../src/archive/check/robust-items.js';
import { RobustUnpacker } from '../../src/archive/check/robust-unpacker.js';
import { ITEM_KEYS } from '../../src/archive/manifest.js';
import { decode, decodeAt, encode, encodeAll, isMap, MsgpackError, type MsgMap, type MsgValue } from '../../src/format/msgpack.js';
import { prng } from '../helpers/prng.js';

type Rng = (n: number) => number;

const KNOWN = new Set([...ITEM_KEYS, 'acl']);
const KEYS = new ItemKeyTable(KNOWN);

const INTS: (number | bigint)[] = [
  0, 1, 31, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2n ** 53n + 1n, 2n ** 64n - 1n,
  -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53) + 1, -(2n ** 53n) - 1n, -(2n ** 63n),
];

function bytes(r: Rng, len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = r(4) === 0 ? r(256) : 0x61 + r(26);
  return b;
}

function rawOfSomeLength(r: Rng): Buffer {
  const lens = [0, 1, 5, 31, 32, 33, 255, 256, 1000, 65535, 65536];
  const len = r(40) === 0 ? lens[r(lens.length)]! : r(12) === 0 ? lens[r(8)]! : 3 + r(40);
  return bytes(r, len);
}

function anyValue(r: Rng, depth: number): MsgValue {
  switch (r(depth > 2 ? 6 : 9)) {
    case 0: return null;
    case 1: return r(2) === 0;
    case 2: return INTS[r(INTS.length)]!;
    case 3: return r(2) === 0 ? r(100000) : -r(100000);
    case 4: return rawOfSomeLength(r);
    case 5: return r(8) === 0 ? [1.5, 1.0, -0.25, 2.5e-7][r(4)]! : r(1000);
    case 6: return Array.from({ length: r(20) }, () => anyValue(r, depth + 1));
    default: {
      // Nested maps (xattrs): raw keys of any bytes, integer-like ones too.
      const m: MsgMap = Object.create(null) as MsgMap;
      const n = r(18);
      for (let i = 0; i < n; i++) {
        const key = r(4) === 0 ? String(r(20)) : bytes(r, r(6)).toString('latin1');
        m[key] = anyValue(r, depth + 1);
      }
      return m;
    }
  }
}

function chunkRefs(r: Rng, good: boolean): { list: MsgValue[]; sum: number } {
  const n = r(6) === 0 ? 16 + r(20) : r(4);
  const list: MsgValue[] = [];
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const size = [r(200), 128 + r(100000), 2 ** 32 + r(1000), 2 ** 53 - 1][r(12) === 0 ? 2 + r(2) : r(2)]!;
    sum += size;
    list.push([bytes(r, 32), size, r(70000)]);
  }
  if (!good && list.length > 0) {
    const damage = r(5);
    const entry = list[r(list.length)] as MsgValue[];
    if (damage === 0) entry[0] = bytes(r, 31);
    else if (damage === 1) entry.pop();
    else if (damage === 2) entry[1] = -5;
    else if (damage === 3) entry[2] = 2n ** 60n;
    else entry[1] = 1.5;
  }
  return { list, sum };
}

/** An item map; `good` ones are what the fast path is meant for. */
function anItem(r: Rng, good: boolean): MsgMap {
  const m: MsgMap = Object.create(null) as MsgMap;
  m['path'] = Buffer.from(`dir/file-${r(100000)}`);
  m['mtime'] = 1_700_000_000_000_000_000n + BigInt(r(1_000_000));
  m['mode'] = 33188;
  if (r(2) === 0) m['user'] = Buffer.from('root');
  if (r(3) === 0) m['uid'] = r(70000);
  if (r(4) === 0) m['xattrs'] = anyValue(r, 1);
  if (r(5) === 0) m['source'] = anyValue(r, 1);
  if (r(2) === 0) {
    const { list, sum } = chunkRefs(r, good || r(3) !== 0);
    m['chunks'] = list;
    if (r(3) !== 0) m['size'] = good || r(2) === 0 ? sum : sum + 1;
  } else if (r(3) === 0) {
    m['size'] = anyValue(r, 1);
  }
  if (!good) {
    switch (r(9)) {
      case 0: delete m['path']; break;
      case 1: delete m['mtime']; break;
      case 2: m['zzz'] = 1; break;
      case 3: m['acl'] = null; break;
      case 4: m['chunks_healthy'] = chunkRefs(r, true).list; break;
      case 5: m[Buffer.from('pfad\u00e4').toString('latin1')] = 1; break;
      case 6: m['size'] = r(2) === 0 ? 2n ** 60n : -1; break;
      default: break;
    }
  }
  return m;
}

// ---- encodings other than the canonical one (all valid msgpack, mostly decodable) ----

function intEncoding(r: Rng, n: number | bigint): Buffer {
  const big = BigInt(n);
  const options: Buffer[] = [];
  const push = (head: number, width: number, signed: boolean): void => {
    const b = Buffer.alloc(1 + width);
    b[0] = head;
    if (width === 1) signed ? b.writeInt8(Number(big), 1) : b.writeUInt8(Number(big), 1);
    else if (width === 2) signed ? b.writeInt16BE(Number(big), 1) : b.writeUInt16BE(Number(big), 1);
    else if (width === 4) signed ? b.writeInt32BE(Number(big), 1) : b.writeUInt32BE(Number(big), 1);
    else signed ? b.writeBigInt64BE(big, 1) : b.writeBigUInt64BE(big, 1);
    options.push(b);
  };
  if (big >= 0n && big < 128n) options.push(Buffer.from([Number(big)]));
  if (big < 0n && big >= -32n) options.push(Buffer.from([Number(big) + 256]));
  if (big >= 0n && big < 256n) push(0xcc, 1, false);
  if (big >= 0n && big < 65536n) push(0xcd, 2, false);
  if (big >= 0n && big < 2n ** 32n) push(0xce, 4, false);
  if (big >= 0n && big < 2n ** 64n) push(0xcf, 8, false);
  if (big >= -128n && big < 128n) push(0xd0, 1, true);
  if (big >= -32768n && big < 32768n) push(0xd1, 2, true);
  if (big >= -(2n ** 31n) && big < 2n ** 31n) push(0xd2, 4, true);
  if (big >= -(2n ** 63n) && big < 2n ** 63n) push(0xd3, 8, true);
  if (typeof n === 'number' && r(8) === 0) {
    const f = Buffer.alloc(9);
    f[0] = 0xcb;
    f.writeDoubleBE(n, 1);
    options.push(f);
  }
  return options[r(options.length)]!;
}

function rawHeader(r: Rng, len: number, key: boolean): Buffer {
  const options: Buffer[] = [];
  if (len < 32) options.push(Buffer.from([0xa0 | len]));
  if (len < 256) options.push(Buffer.from([0xd9, len]));
  if (len < 65536) options.push(Buffer.from([0xda, len >> 8, len & 0xff]));
  const b32 = Buffer.alloc(5);
  b32[0] = 0xdb;
  b32.writeUInt32BE(len, 1);
  options.push(b32);
  if (!key && r(20) === 0 && len < 256) options.push(Buffer.from([0xc4, len])); // bin: refused by the decoder
  return options[r(options.length)]!;
}

function containerHeader(r: Rng, len: number, fix: number, h16: number, h32: number): Buffer {
  const options: Buffer[] = [];
  if (len < 16) options.push(Buffer.from([fix | len]));
  if (len < 65536) options.push(Buffer.from([h16, len >> 8, len & 0xff]));
  const b = Buffer.alloc(5);
  b[0] = h32;
  b.writeUInt32BE(len, 1);
  options.push(b);
  return options[r(options.length)]!;
}

/** Some valid msgpack encoding of `v`: each node's form chosen at random, keys in any order, sometimes repeated. */
function looseEncode(r: Rng, v: MsgValue): Buffer {
  if (r(3) !== 0) return encode(v, { sortKeys: true });
  if (v === null) return Buffer.from([0xc0]);
  if (typeof v === 'boolean') return Buffer.from([v ? 0xc3 : 0xc2]);
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return intEncoding(r, v);
  if (typeof v === 'number') {
    if (Math.fround(v) === v && r(2) === 0) {
      const f = Buffer.alloc(5);
      f[0] = 0xca;
      f.writeFloatBE(v, 1);
      return f;
    }
    return encode(v);
  }
  if (Buffer.isBuffer(v)) return Buffer.concat([rawHeader(r, v.length, false), v]);
  if (Array.isArray(v)) return Buffer.concat([containerHeader(r, v.length, 0x90, 0xdc, 0xdd), ...v.map((e) => looseEncode(r, e))]);
  const m = v as MsgMap;
  const keys = Object.keys(m).sort();
  if (r(3) === 0) keys.reverse();
  if (r(6) === 0 && keys.length > 0) keys.splice(r(keys.length), 0, keys[r(keys.length)]!);
  const parts: Buffer[] = [containerHeader(r, keys.length, 0x80, 0xde, 0xdf)];
  for (const k of keys) {
    const kb = Buffer.from(k, 'latin1');
    parts.push(rawHeader(r, kb.length, true), kb, looseEncode(r, m[k]!));
  }
  return Buffer.concat(parts);
}

/** Whatever scanItem accepted must be exactly what the full path makes of it. */
function assertScanSound(buf: Buffer, pos: number, scanned: ScannedItem): void {
  const { value, end } = decodeAt(buf, pos, ITEM_LIMITS);
  assert.equal(end - pos, scanned.raw.length, 'extent');
  assert.ok(isMap(value));
  assert.equal(value['acl'], undefined);
  assert.equal(invalidItemReason(value, KNOWN), null);
  assert.equal(value['chunks_healthy'], undefined);
  assert.deepEqual(encode(value, { sortKeys: true }), scanned.raw, 'packs to the same bytes');
  if (value['chunks'] === undefined) {
    assert.equal(scanned.ids, null);
  } else {
    const list = chunkList(value['chunks'])!;
    assert.deepEqual(scanned.ids, list.map((c) => c.id));
    const sum = list.reduce((s, c) => s + c.size, 0);
    assert.ok(value['size'] === undefined || value['size'] === sum, 'size consistent');
  }
}

describe('scanItem()', () => {
  it('accepts the canonical bytes of every ordinary item, with its chunk ids', () => {
    const r = prng(1);
    for (let i = 0; i < 3000; i++) {
      const item = anItem(r, true);
      const bytesOf = encode(item, { sortKeys: true });
      // Deeply nested values and floats are left to the decoder, and so is a size beyond 2^53 (a
      // bigint when decoded, never equal to the chunks' sum); ordinary items are not.
      const size = item['size'];
      const plain = item['xattrs'] === undefined && item['source'] === undefined && (size === undefined || (Number.isInteger(size) && (size as number) <= Number.MAX_SAFE_INTEGER));
      const scanned = scanItem(bytesOf, 0, KEYS, 0);
      if (plain) assert.ok(scanned !== null, `item ${i} accepted`);
      if (scanned !== null) assertScanSound(bytesOf, 0, scanned);
    }
  });

  it('accepts a value in exactly the encoding the encoder writes, every other encoding of it not', () => {
    const values: MsgValue[] = [...INTS, null, true, false, 1.5, 1.0, ...[0, 31, 32, 255, 256, 65535, 65536].map((n) => Buffer.alloc(n, 0x61))];
    const head = Buffer.concat([Buffer.from([0x83]), encode(Buffer.from('mtime')), encode(5), encode(Buffer.from('path')), encode(Buffer.from('p')), encode(Buffer.from('source'))]);
    let checked = 0;
    for (const value of values) {
      const encodings = new Map<string, Buffer>();
      const r = prng(3);
      // Every encoding the loose encoder can choose, found by asking it often enough.
      for (let i = 0; i < 400; i++) {
        const b = r(4) === 0 ? encode(value) : looseEncode((n) => (n === 3 ? 0 : r(n)), value);
        encodings.set(b.toString('hex'), b);
      }
      for (const [hex, b] of encodings) {
        const buf = Buffer.concat([head, b]);
        const scanned = scanItem(buf, 0, KEYS, 0);
        const canonical = typeof value !== 'number' || Number.isInteger(value) ? hex === encode(value).toString('hex') : false;
        assert.equal(scanned !== null, canonical, `${String(value)} as ${hex.slice(0, 20)}`);
        if (scanned !== null) assertScanSound(buf, 0, scanned);
        checked += 1;
      }
    }
    assert.ok(checked > 150, `${checked} encodings`);
  });

  it('accepts nothing the full path would change, report or refuse: random, non-canonical and damaged items', () => {
    const r = prng(2);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 20000; i++) {
      let b = looseEncode(r, anItem(r, r(3) === 0));
      const damage = r(4);
      if (damage === 0) b = b.subarray(0, r(b.length + 1));
      else if (damage === 1) {
        b = Buffer.from(b);
        for (let k = 1 + r(3); k > 0; k--) b[r(b.length)] = r(256);
      }
      // Scanned in the middle of a larger buffer, as in a stream.
      const buf = Buffer.concat([Buffer.from([0x01, 0x02]), b, r(2) === 0 ? Buffer.alloc(0) : encode(anItem(r, true), { sortKeys: true })]);
      const scanned = scanItem(buf, 2, KEYS, 2);
      if (scanned === null) {
        refused += 1;
        continue;
      }
      accepted += 1;
      assertScanSound(buf, 2, scanned);
    }
    assert.ok(accepted > 2000 && refused > 2000, `both outcomes exercised (${accepted} accepted, ${refused} refused)`);
  });
});

// ---- the reader against the robust unpacker alone ----

type Record = { items: MsgValue[]; invalid: string[]; error?: string };

function reference(): { feed: (data: Buffer, rec: Record) => void; resync: () => void } {
  const u = new RobustUnpacker((v: MsgValue) => isMap(v) && v['path'] !== undefined, KNOWN, ITEM_LIMITS);
  return {
    feed(data, rec) {
      u.feed(data);
      for (const value of u) {
        const reason = invalidItemReason(value, KNOWN);
        if (reason === null) rec.items.push(value);
        else rec.invalid.push(reason);
      }
    },
    resync: () => u.resync(),
  };
}

/** Drives a reader as robustItems does: a lost chunk makes a resync, so does a malformed stream. */
function drive(chunks: (Buffer | null)[], feed: (data: Buffer, rec: Record, index: number) => void, resync: () => void): Record[] {
  const out: Record[] = [];
  let afterHole = false;
  chunks.forEach((data, index) => {
    const rec: Record = { items: [], invalid: [] };
    out.push(rec);
    if (data === null) {
      afterHole = true;
      return;
    }
    if (afterHole) resync();
    afterHole = false;
    try {
      feed(data, rec, index);
    } catch (e) {
      if (!(e instanceof MsgpackError)) throw e;
      rec.error = e.message;
      resync();
    }
  });
  return out;
}

describe('ItemChunkReader', () => {
  it('gives the items, invalid items and errors the robust unpacker gives, chunk for chunk', () => {
    let scannedSeen = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = prng(1000 + seed);
      const values: Buffer[] = [];
      for (let i = 0, n = 20 + r(200); i < n; i++) {
        if (r(60) === 0) values.push(encode([1, 2, 3]));
        else values.push(r(4) === 0 ? looseEncode(r, anItem(r, r(2) === 0)) : encode(anItem(r, r(8) !== 0), { sortKeys: true }));
      }
      const stream = Buffer.concat(values);
      const chunks: (Buffer | null)[] = [];
      for (let at = 0; at < stream.length;) {
        const len = 1 + r(r(4) === 0 ? 64 : 3000);
        let piece: Buffer | null = Buffer.from(stream.subarray(at, at + len));
        const fate = r(40);
        if (fate === 0) piece = null; // missing or unreadable
        else if (fate === 1) piece[r(piece.length)] = r(256); // damaged under a valid id (or a malformed item)
        chunks.push(piece);
        at += len;
      }
      const ref = reference();
      const expected = drive(chunks, (data, rec) => ref.feed(data, rec), () => ref.resync());
      const origin = new StreamOrigin();
      const reader = new ItemChunkReader(KNOWN, origin);
      const emitted: Buffer[] = [];
      const actual = drive(chunks, (data, rec, index) => {
        const items: WalkItem[] = [];
        try {
          reader.feed(Buffer.alloc(32, index), data, items, (reason) => rec.invalid.push(reason));
        } finally {
          for (const item of items) {
            if (item instanceof ScannedItem) {
              scannedSeen += 1;
              emitted.push(item.raw);
              rec.items.push(decode(item.raw, ITEM_LIMITS));
            } else {
              emitted.push(encode(item, { sortKeys: true }));
              rec.items.push(item);
            }
          }
        }
      }, () => reader.resync());
      assert.deepEqual(actual, expected, `seed ${seed}`);
      // The stream written back from scanned bytes equals the one packed from the decoded items.
      const refItems = expected.flatMap((rec) => rec.items);
      assert.deepEqual(Buffer.concat(emitted), encodeAll(refItems, { sortKeys: true }), `seed ${seed}: rewritten stream`);
    }
    assert.ok(scannedSeen > 10000, `the fast path was taken (${scannedSeen} items)`);
  });
});
