// The chunk workers' wire format: job batches and packed results survive the trip exactly, and a
// PUT header computed by a worker is used by the segment writer only for the data it belongs to.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decodeJobs, encodeJobs, ResultPacker, unpackChunk, type FileJobMessage } from '../../src/archive/create/chunk-worker-protocol.js';
import { encodePut, putHeader, rememberedPutHeader, rememberPutHeader, PUT_HEADER_SIZE } from '../../src/repository/segment-format.js';

test('job batches round-trip every field', () => {
  const jobs: FileJobMessage[] = [
    {
      task: 1, path: '/tmp/ünïcödé/файл 🎉', dev: 2049n, ino: (1n << 64n) - 5n, ivStart: 0n, ivEnd: (1n << 64n) - 1n,
      open: { noatime: true, special: false, follow: false }, range: null,
    },
    {
      task: 2, path: new Uint8Array([0x2f, 0x61, 0xff, 0xfe, 0x62]), dev: null, ino: null, ivStart: 123456789012345n, ivEnd: 123456789999999n,
      open: { noatime: false, special: true, follow: true }, range: { start: 33554432, end: null, lookahead: 2, speculative: true },
    },
    {
      task: 3, path: '', dev: 0n, ino: 0n, ivStart: 5n, ivEnd: 6n,
      open: { noatime: false, special: false, follow: false }, range: { start: 0, end: 67108864, lookahead: 0, speculative: false },
    },
  ];
  const decoded = decodeJobs(structuredClone(encodeJobs(jobs)));
  assert.equal(decoded.length, jobs.length);
  for (let i = 0; i < jobs.length; i++) {
    const { path, ...rest } = decoded[i]!;
    const { path: want, ...wantRest } = jobs[i]!;
    assert.deepEqual(rest, wantRest);
    if (typeof want === 'string') assert.equal(path, want);
    else assert.deepEqual(Buffer.from(path as Uint8Array), Buffer.from(want));
  }
});

test('packed results give back ids, envelopes and correct PUT headers', () => {
  const packer = new ResultPacker(64);
  const known = randomBytes(32);
  const smallId = randomBytes(32);
  const small = randomBytes(1000);
  const bigId = randomBytes(32);
  const big = randomBytes(300 * 1024);
  // A big envelope's own buffer is transferred (detached here): compare with a copy.
  const bigCopy = Buffer.from(big);
  const bigHeader = putHeader(bigId, big);
  const wire = [
    packer.chunk(known, 10, 0, null),
    packer.chunk(smallId, 2000, small.length, small),
    packer.chunk(bigId, 400 * 1024, big.length, big),
  ];
  packer.results.push({ task: 7, kind: 'chunks', chunks: wire });
  assert.equal(packer.bytes, small.length + big.length);
  const { message, transfer } = packer.take();
  const received = structuredClone(message, { transfer });
  const pack = Buffer.from(received.pack);
  const [k, s, b] = wire.map((w) => unpackChunk(received, pack, w));
  assert.deepEqual(k!.id, known);
  assert.equal(k!.envelope, null);
  assert.equal(k!.putHeader, null);
  assert.deepEqual(s!.id, smallId);
  assert.deepEqual(s!.envelope, small);
  assert.deepEqual(Buffer.concat([s!.putHeader!, s!.envelope!]), encodePut(smallId, small));
  // A small envelope follows its header in the pack: one contiguous segment entry.
  assert.equal(s!.putHeader!.byteOffset + PUT_HEADER_SIZE, s!.envelope!.byteOffset);
  assert.deepEqual(b!.id, bigId);
  assert.deepEqual(b!.envelope, bigCopy);
  assert.deepEqual(b!.putHeader, bigHeader);
  assert.equal(big.byteLength, 0, 'transferred, not copied');
  assert.equal(packer.bytes, 0, 'the packer starts empty again');
});

test('a remembered PUT header is used once, and only for its own id and length', () => {
  const id = randomBytes(32);
  const data = randomBytes(100);
  const header = putHeader(id, data);
  rememberPutHeader(data, header);
  assert.equal(rememberedPutHeader(randomBytes(32), data), null, 'another id');
  rememberPutHeader(data, header);
  assert.equal(rememberedPutHeader(id, data.subarray(1)), null, 'another buffer');
  assert.equal(rememberedPutHeader(id, data), header);
  assert.equal(rememberedPutHeader(id, data), null, 'used up');
  const shorter = data.subarray(0, 50);
  rememberPutHeader(shorter, header);
  assert.equal(rememberedPutHeader(id, shorter), null, 'another length');
});
