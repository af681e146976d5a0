import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import {
  computeIntegrity, hashIndexIntegrity, integrityToJson, parseIntegrityJson, verifyIntegrity, type IntegrityData,
} from '../../src/format/integrity-file.js';
import { FileIntegrityError } from '../../src/format/errors.js';
import { ChunkIndex, NSIndex } from '../../src/format/hashindex.js';

interface Vector {
  hashed_filename: string;
  content_hex?: string;
  content_len?: number;
  content_sha256?: string;
  content_header_hex?: string;
  integrity_data: string;
}
const vectors = (JSON.parse(readFileSync(new URL('../fixtures/vectors/file-integrity.json', import.meta.url), 'utf8')) as { vectors: Vector[] }).vectors;

/** The vector's file content: given directly, or rebuilt from its note with our hash index writer. */
function content(v: Vector): Buffer {
  if (v.content_hex !== undefined) return Buffer.from(v.content_hex, 'hex');
  if (v.hashed_filename === 'index.5') {
    const ns = new NSIndex();
    ns.set(Buffer.alloc(32), 4, 8);
    ns.set(Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 2, 119);
    return ns.toBytes();
  }
  const chunks = new ChunkIndex();
  chunks.set(Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 3, 4096, 120);
  return chunks.toBytes();
}

test('computeIntegrity() reproduces every file-integrity.json vector, JSON text included', () => {
  assert.equal(vectors.length, 3);
  for (const v of vectors) {
    const data = content(v);
    if (v.content_sha256 !== undefined) {
      assert.equal(data.length, v.content_len);
      assert.equal(data.subarray(0, 18).toString('hex'), v.content_header_hex);
      assert.equal(createHash('sha256').update(data).digest('hex'), v.content_sha256, v.hashed_filename);
    }
    const isIndex = v.hashed_filename !== 'hints.1';
    const digests = isIndex ? hashIndexIntegrity(v.hashed_filename, data) : computeIntegrity(v.hashed_filename, data);
    assert.equal(integrityToJson(digests), v.integrity_data, v.hashed_filename);
    assert.deepEqual(parseIntegrityJson(v.integrity_data), digests);
    verifyIntegrity(v.hashed_filename, data, digests, isIndex ? [{ name: 'HashHeader', offset: 18 }] : []);
  }
  assert.deepEqual(computeIntegrity('hints.1', content(vectors[0]!)).digests, { final: '03a40f455163d3d4' });
});

test('verifyIntegrity() throws FileIntegrityError for changed bytes, names or missing digests', () => {
  const data = content(vectors[1]!);
  const good = hashIndexIntegrity('index.5', data);
  const parts = [{ name: 'HashHeader', offset: 18 }];
  const flipped = Buffer.from(data);
  flipped[30] = flipped[30]! ^ 1;
  const header = Buffer.from(data);
  header[9] = header[9]! ^ 1;
  const failures: [string, () => void, RegExp][] = [
    ['body byte', () => verifyIntegrity('index.5', flipped, good, parts), /part 'final'/],
    ['header byte', () => verifyIntegrity('index.5', header, good, parts), /part 'HashHeader'/],
    ['name', () => verifyIntegrity('index.6', data, good, parts), /index\.6/],
    ['missing part', () => verifyIntegrity('index.5', data, { algorithm: 'XXH64', digests: { final: good.digests['final']! } }, parts), /no recorded digest/],
  ];
  for (const [what, fn, message] of failures) {
    assert.throws(fn, (e: unknown) => e instanceof FileIntegrityError && e.code === 'FileIntegrityError' && message.test(e.message), what);
  }
  // Digests the reader does not compute are not checked (borg only checks the parts it hashes).
  verifyIntegrity('index.5', data, { algorithm: 'XXH64', digests: { ...good.digests, extra: '0' } }, parts);
});

test('parts are hashed at their offsets in file order', () => {
  const data = Buffer.from('0123456789');
  const a = computeIntegrity('f', data, [{ name: 'b', offset: 7 }, { name: 'a', offset: 3 }]);
  assert.deepEqual(Object.keys(a.digests), ['a', 'b', 'final']);
  assert.notEqual(a.digests['final'], computeIntegrity('f', data).digests['final']);
  assert.deepEqual(computeIntegrity('f', data, [{ name: 'x', offset: 10 }]).digests['x']?.length, 16);
  assert.throws(() => computeIntegrity('f', data, [{ name: 'x', offset: 11 }]), RangeError);
});

test('parseIntegrityJson() accepts any JSON layout and rejects malformed data', () => {
  const d = parseIntegrityJson('{\n "digests":{"final":"00ff","HashHeader":"11"},"algorithm":"XXH64"}\n', 'chunks');
  assert.deepEqual(d, { algorithm: 'XXH64', digests: { final: '00ff', HashHeader: '11' } });
  assert.equal(parseIntegrityJson('{"algorithm": "SHA512", "digests": {}}'), undefined); // borg skips unknown algorithms
  for (const bad of ['', 'not json', '[]', '{"algorithm": "XXH64"}', '{"algorithm": "XXH64", "digests": {"HashHeader": "00"}}',
    '{"algorithm": "XXH64", "digests": {"final": 5}}', '{"algorithm": 1, "digests": {"final": "00"}}']) {
    assert.throws(() => parseIntegrityJson(bad, 'chunks'), (e: unknown) => e instanceof FileIntegrityError && /'chunks'/.test(e.message), bad);
  }
});

test('integrityToJson() escapes like Python json.dumps', () => {
  const d: IntegrityData = { algorithm: 'XXH64', digests: { 'a"b\\ü\n\x7f': 'x', final: 'y' } };
  assert.equal(integrityToJson(d), '{"algorithm": "XXH64", "digests": {"a\\"b\\\\\\u00fc\\n\\u007f": "x", "final": "y"}}');
  assert.deepEqual(parseIntegrityJson(integrityToJson(d)), d);
});
