import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  decode, decodeAll, encode, encodeAll, keyBytes, keyOf, keyText, isMap, MsgpackError, Unpacker, type MsgValue,
} from '../../src/format/msgpack.js';

const vectors = JSON.parse(readFileSync(new URL('../fixtures/vectors/msgpack.json', import.meta.url), 'utf8')) as {
  vectors: { description: string; packed_hex?: string; packed_prefix_hex?: string; packed_len?: number }[];
};

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const dict = (n: number): Record<string, number> => Object.fromEntries(range(n).map((i) => [`k${String(i).padStart(2, '0')}`, i]));

/** The Python value behind each vector description (gen_misc_vectors.py), rebuilt in JS. */
const VALUES: Record<string, MsgValue> = {
  'str 31 chars': 'a'.repeat(31),
  'str 32 chars (no str8 0xd9: uses 0xda)': 'a'.repeat(32),
  'bytes 32 (same as str)': Buffer.alloc(32),
  'str 255 chars': 'b'.repeat(255),
  'bytes 65536': Buffer.alloc(65536, 1),
  'int 127': 127,
  'int 128': 128,
  'int 255': 255,
  'int 256': 256,
  'int 65536': 65536,
  'int 2**32': 2 ** 32,
  'int -1': -1,
  'int -33': -33,
  'int -129': -129,
  'int -32769': -32769,
  'int -2**31-1': -(2 ** 31) - 1,
  'mtime ns': 1672628645123456789n,
  'float 0.1': 0.1,
  True: true,
  False: false,
  None: null,
  'list of 15': range(15),
  'list of 16': range(16),
  tuple: [1, 2],
  'dict 15 entries': dict(15),
  'dict 16 entries': dict(16),
};

/** What decoding gives back: raws as Buffers, maps as null-prototype objects. */
function decoded(v: MsgValue): unknown {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (Array.isArray(v)) return v.map(decoded);
  if (isMap(v)) return Object.assign(Object.create(null) as object, Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decoded(x)])));
  return v;
}

test('encode() reproduces every msgpack.json vector and decode() reads it back', () => {
  assert.equal(vectors.vectors.length, Object.keys(VALUES).length);
  for (const v of vectors.vectors) {
    assert.ok(v.description in VALUES, `no value for vector '${v.description}'`);
    const value = VALUES[v.description]!;
    const packed = encode(value);
    if (v.packed_hex !== undefined) {
      assert.equal(packed.toString('hex'), v.packed_hex, v.description);
    } else {
      assert.equal(packed.subarray(0, 8).toString('hex'), v.packed_prefix_hex, v.description);
      assert.equal(packed.length, v.packed_len, v.description);
    }
    assert.deepEqual(decode(packed), decoded(value), v.description);
  }
});

test('encode() never emits str8, bin or ext; decode() accepts str8', () => {
  for (const n of [31, 32, 255, 256]) assert.notEqual(encode(Buffer.alloc(n))[0], 0xd9);
  assert.deepEqual(decode(Buffer.from('d903616263', 'hex')), Buffer.from('abc'));
});

test('decode() rejects bin and ext unless allowed', () => {
  const bin = Buffer.from('c403010203', 'hex');
  const ext = Buffer.from('d40105', 'hex');
  const ext8 = Buffer.from('c702070102', 'hex');
  assert.throws(() => decode(bin), MsgpackError);
  assert.throws(() => decode(ext), MsgpackError);
  assert.deepEqual(decode(bin, { allowBin: true }), Buffer.from([1, 2, 3]));
  assert.deepEqual(decode(ext, { allowExt: true }), Buffer.from([5]));
  assert.deepEqual(decode(ext8, { allowExt: true }), Buffer.from([1, 2]));
});

test('decode() enforces the length and depth limits', () => {
  assert.throws(() => decode(encode('x'.repeat(100)), { maxStrLen: 99 }), /exceeds the limit/);
  assert.deepEqual(decode(encode('x'.repeat(100)), { maxStrLen: 100 }), Buffer.from('x'.repeat(100)));
  assert.throws(() => decode(encode(range(20)), { maxArrayLen: 19 }), /exceeds the limit/);
  assert.throws(() => decode(encode(dict(16)), { maxMapLen: 15 }), /exceeds the limit/);
  let deep: MsgValue = 1;
  for (let i = 0; i < 10; i++) deep = [deep];
  assert.throws(() => decode(encode(deep), { maxDepth: 9 }), /nesting/);
  assert.doesNotThrow(() => decode(encode(deep), { maxDepth: 10 }));
  // A header claiming 4 billion elements must fail fast, not allocate.
  assert.throws(() => decode(Buffer.from('dd7fffffff00', 'hex')), /unexpected end/);
  assert.throws(() => decode(Buffer.from('ddffffffff00', 'hex')), /exceeds the limit/);
  assert.throws(() => decode(Buffer.from('dbffffffff', 'hex'), { maxStrLen: 1 << 20 }), /exceeds the limit/);
});

test('decode() rejects truncated input, trailing bytes and invalid type bytes', () => {
  assert.throws(() => decode(Buffer.from('da0005616263', 'hex')), /unexpected end/);
  assert.throws(() => decode(Buffer.from('0101', 'hex')), /extra bytes/);
  assert.throws(() => decode(Buffer.from('c1', 'hex')), /invalid msgpack type/);
  assert.throws(() => decode(Buffer.alloc(0)), /unexpected end/);
  assert.deepEqual(decodeAll(Buffer.from('0102c0', 'hex')), [1, 2, null]);
});

test('integers beyond 2^53 round-trip as bigint (nanosecond timestamps); 64-bit overflow is refused', () => {
  const cases = [2n ** 53n + 1n, 2n ** 64n - 1n, -(2n ** 63n), -(2n ** 53n) - 1n, 1672628645123456789n];
  for (const n of cases) assert.equal(decode(encode(n)), n);
  assert.equal(decode(encode(2n ** 53n - 1n)), 2 ** 53 - 1); // safe integers come back as numbers
  assert.equal(encode(5n).toString('hex'), '05');
  assert.equal(encode(2 ** 60).toString('hex'), 'cf1000000000000000');
  assert.throws(() => encode(2n ** 64n), MsgpackError);
  assert.throws(() => encode(-(2n ** 63n) - 1n), MsgpackError);
  assert.throws(() => encode(2 ** 64), MsgpackError);
  assert.throws(() => encode(-(2 ** 64)), MsgpackError);
});

test('encode() with sortKeys packs keys in byte order, integers numerically', () => {
  const obj = { b: 1, a: 2, '10': 3, '9': 4, B: 5 };
  const sorted = encode(obj, { sortKeys: true });
  assert.deepEqual(Object.keys(decode(sorted) as object), ['9', '10', 'B', 'a', 'b']); // object order, not wire order
  assert.equal(sorted.toString('hex'), '85' + 'a23130' + '03' + 'a139' + '04' + 'a142' + '05' + 'a161' + '02' + 'a162' + '01');
  const map = new Map<number, number>([[10, 1], [2, 2], [-1, 3]]);
  assert.equal(encode(map, { sortKeys: true }).toString('hex'), '83' + 'ff03' + '0202' + '0a01');
  assert.equal(encode(map).toString('hex'), '83' + '0a01' + '0202' + 'ff03');
});

test('map keys are raw bytes held as latin1 strings', () => {
  const key = Buffer.from([0x00, 0xff, 0x80, 0x41]);
  const packed = encode(new Map([[key, 1]]));
  const back = decode(packed) as Record<string, MsgValue>;
  assert.deepEqual(keyBytes(Object.keys(back)[0]!), key);
  assert.equal(back[keyOf(key)], 1);
  assert.deepEqual(encode(back), packed);
  const text = { [keyOf('ünïcødé')]: 1 };
  assert.equal(keyText(Object.keys(decode(encode(text)) as object)[0]!), 'ünïcødé');
  assert.throws(() => encode({ 'Ω': 1 }), /not latin1/); // would silently lose bits otherwise
});

test('intKeyMaps keeps integer keys and their order (hints files re-encode byte for byte)', () => {
  const repos = new URL('../fixtures/repos/', import.meta.url);
  const hints = ['repo-none/hints.5', 'repo-repokey/hints.5', 'repo-repokey-blake2/hints.5', 'repo-keyfile-blake2/hints.5',
    'repo-authenticated-blake2/hints.5', 'repo-extra/hints.21'];
  for (const name of hints) {
    const bytes = readFileSync(new URL(name, repos));
    const value = decode(bytes, { intKeyMaps: true }) as Record<string, MsgValue>;
    assert.ok(value['compact'] instanceof Map, name);
    assert.deepEqual(encode(value), bytes, name);
  }
  const extra = decode(readFileSync(new URL('repo-extra/hints.21', repos)), { intKeyMaps: true }) as Record<string, MsgValue>;
  assert.deepEqual([...(extra['compact'] as Map<number, number>).keys()].slice(0, 5), [1, 0, 3, 5, 4]);
  assert.equal((extra['segments'] as Map<number, number>).get(2), 45);
  assert.equal(Object.keys(extra['shadow_index'] as object).length, 4);
  // Without the option integer keys become decimal strings.
  assert.equal((decode(encode(new Map([[7, 1]]))) as Record<string, number>)['7'], 1);
});

test('decode() then encode() reproduces real borg objects', () => {
  const repos = new URL('../fixtures/repos/', import.meta.url);
  for (const name of ['repo-none/integrity.5', 'repo-extra/integrity.21']) {
    const bytes = readFileSync(new URL(name, repos));
    assert.deepEqual(encode(decode(bytes)), bytes, name);
  }
  // Key blobs (repokey in the config, key file) are packed with sorted keys.
  const config = readFileSync(new URL('repo-repokey/config', repos), 'utf8');
  const keyFile = readFileSync(new URL('repo-keyfile-blake2.key', repos), 'utf8');
  const configKey = /^key = (.*(?:\n\t.*)*)/m.exec(config)![1]!.replace(/\s/g, '');
  const blobs = [configKey, keyFile.split('\n').slice(1).join('')];
  for (const b64 of blobs) {
    const blob = Buffer.from(b64, 'base64');
    assert.deepEqual(encode(decode(blob), { sortKeys: true }), blob);
  }
  // The files cache is a stream of [path_hash, [age, inode, size, cmtime, chunk_ids]] values.
  const files = readFileSync(new URL('cache-repokey-blake2/files', repos));
  const entries = decodeAll(files);
  assert.ok(entries.length > 5);
  assert.deepEqual(encodeAll(entries), files);
});

const BORG_PYTHON = '/usr/bin/python3';
const hasBorg = spawnSync(BORG_PYTHON, ['-c', 'import borg'], { stdio: 'ignore' }).status === 0;

test('decode() then encode() with sortKeys reproduces borg\'s manifest, archive and item stream', { skip: !hasBorg && 'no borg for /usr/bin/python3' }, () => {
  const script = fileURLToPath(new URL('borg-plain-objects.py', import.meta.url));
  const repo = fileURLToPath(new URL('../fixtures/repos/repo-none', import.meta.url));
  const lines = execFileSync(BORG_PYTHON, [script, repo], { encoding: 'utf8' }).trim().split('\n');
  const objects = lines.map((l) => JSON.parse(l) as { kind: string; hex: string });
  assert.deepEqual(objects.map((o) => o.kind).sort(), ['archive', 'items', 'manifest']);
  for (const o of objects) {
    const bytes = Buffer.from(o.hex, 'hex');
    const values = decodeAll(bytes);
    assert.equal(values.length === 1, o.kind !== 'items', o.kind);
    assert.deepEqual(encodeAll(values, { sortKeys: true }), bytes, o.kind);
    if (o.kind === 'items') {
      // The item stream is read with the streaming unpacker in arbitrary pieces.
      const u = new Unpacker();
      const got: MsgValue[] = [];
      for (let off = 0; off < bytes.length; off += 13) {
        u.feed(bytes.subarray(off, off + 13));
        got.push(...u);
      }
      assert.deepEqual(got, values);
      assert.ok(values.some((item) => isMap(item) && typeof item['mtime'] === 'bigint'), 'ns timestamps beyond 2^53');
    }
  }
});

test('Unpacker yields the same values for every way of splitting the input', () => {
  const files = readFileSync(new URL('../fixtures/repos/cache-repokey-blake2/files', import.meta.url));
  const expected = decodeAll(files);
  const mixed = encodeAll([1, 'two', [3n ** 39n, null], { four: Buffer.alloc(70000, 4) }, 0.5, -200]);
  for (const input of [files, mixed]) {
    const want = input === files ? expected : decodeAll(mixed);
    const step = input.length > 2000 ? 97 : 1;
    for (let cut = 0; cut <= input.length; cut += step) {
      const u = new Unpacker();
      u.feed(input.subarray(0, cut));
      const got = [...u];
      u.feed(input.subarray(cut));
      got.push(...u);
      assert.deepEqual(got, want, `split at ${cut}`);
      assert.equal(u.pending, 0);
    }
    const u = new Unpacker();
    const got: MsgValue[] = [];
    for (let i = 0; i < input.length; i++) {
      u.feed(input.subarray(i, i + 1));
      for (const v of u) got.push(v);
    }
    assert.deepEqual(got, want, 'one byte at a time');
  }
});

test('Unpacker copies fed bytes, keeps partial values pending and reports errors', () => {
  const u = new Unpacker();
  const piece = Buffer.from('a3616263', 'hex');
  u.feed(piece.subarray(0, 2));
  assert.equal(u.next(), undefined);
  assert.equal(u.pending, 2);
  u.feed(piece.subarray(2));
  piece.fill(0); // the caller may reuse its buffer
  assert.deepEqual(u.next(), Buffer.from('abc'));
  assert.equal(u.next(), undefined);
  const bad = new Unpacker({ maxStrLen: 2 });
  bad.feed(Buffer.from('a3', 'hex'));
  assert.throws(() => bad.next(), /exceeds the limit/);
});

test('Unpacker assembles a large value from many small pieces in linear time', () => {
  const big = encode([Buffer.alloc(32 << 20, 7), 1]);
  const u = new Unpacker();
  const started = performance.now();
  let value: MsgValue | undefined;
  for (let off = 0; off < big.length; off += 16384) {
    u.feed(big.subarray(off, off + 16384));
    value = u.next() ?? value;
  }
  const elapsed = performance.now() - started;
  assert.ok(Array.isArray(value) && (value[0] as Buffer).length === 32 << 20 && value[1] === 1);
  assert.ok(elapsed < 5000, `took ${elapsed} ms`);
});
