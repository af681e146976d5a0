// Segment entries and reading: byte-for-byte against segments written by borg 1.2.4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { IntegrityError } from '../../src/repository/errors.js';
import { crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { COMMIT_ENTRY, encodeDelete, encodePut, MAX_DATA_SIZE, putHeader, TAG_COMMIT, TAG_DELETE, TAG_PUT } from '../../src/repository/segment-format.js';
import { SegmentPaths } from '../../src/repository/segment-paths.js';
import { SegmentReader } from '../../src/repository/segment-reader.js';
import { copyVectorRepo, hexId, loadDump, makeTempDir, removeTemp } from './repo-fixtures.js';

test('COMMIT entry is the 9 bytes borg writes', () => {
  assert.equal(COMMIT_ENTRY.toString('hex'), '40f43c250900000002');
});

test('encodePut and encodeDelete reproduce the entries of a borg segment', async () => {
  const tmp = makeTempDir();
  try {
    const repo = copyVectorRepo('repo-extra', tmp);
    const dump = loadDump('repo-extra');
    const paths = new SegmentPaths(repo, 1000);
    let puts = 0;
    let deletes = 0;
    for (const seg of dump.segments) {
      const file = readFileSync(paths.filename(seg.segment));
      for (const e of seg.entries) {
        const raw = file.subarray(e.offset, e.offset + e.size);
        if (e.tag === 'PUT') {
          assert.deepEqual(encodePut(hexId(e.id!), raw.subarray(41)), raw);
          puts++;
        } else if (e.tag === 'DELETE') {
          assert.deepEqual(encodeDelete(hexId(e.id!)), raw);
          deletes++;
        } else {
          assert.deepEqual(COMMIT_ENTRY, raw);
        }
      }
    }
    assert.ok(puts > 50 && deletes > 5);
  } finally {
    removeTemp(tmp);
  }
});

test('encodePut refuses data above MAX_DATA_SIZE', () => {
  assert.throws(() => encodePut(Buffer.alloc(32), Buffer.alloc(MAX_DATA_SIZE + 1)), IntegrityError);
});

test('SegmentReader iterates, reads and detects commits like the dump says', async () => {
  const tmp = makeTempDir();
  try {
    const repo = copyVectorRepo('repo-extra', tmp);
    const dump = loadDump('repo-extra');
    const paths = new SegmentPaths(repo, 1000);
    const reader = new SegmentReader(paths);
    assert.deepEqual(paths.list(), dump.segments.map((s) => s.segment));
    for (const seg of dump.segments) {
      const entries = [];
      for await (const e of reader.iterObjects(seg.segment)) entries.push(e);
      assert.deepEqual(
        entries.map((e) => [e.offset, e.tag, e.size, e.id ? `hex:${e.id.toString('hex')}` : null]),
        seg.entries.map((e) => [e.offset, { PUT: TAG_PUT, DELETE: TAG_DELETE, COMMIT: TAG_COMMIT }[e.tag], e.size, e.id]),
      );
      // The dump's `committed` means "part of the committed log"; a segment itself is committed when it ends with a COMMIT.
      assert.equal(await reader.isCommitted(seg.segment), seg.entries.at(-1)?.tag === 'COMMIT');
    }
    assert.equal(await reader.segmentsTransactionId(), dump.transaction_id);
    const obj = dump.objects[0]!;
    const data = await reader.read(obj.segment, obj.offset, hexId(obj.id));
    const entry = dump.segments.find((s) => s.segment === obj.segment)!.entries.find((e) => e.offset === obj.offset)!;
    assert.equal(data.length, entry.size - 41);
    await assert.rejects(reader.read(obj.segment, obj.offset, Buffer.alloc(32, 7)), IntegrityError);
    await reader.close();
  } finally {
    removeTemp(tmp);
  }
});

test('SegmentReader reports CRC damage, truncation and garbage', async () => {
  const tmp = makeTempDir();
  try {
    const repo = copyVectorRepo('repo-none', tmp);
    const paths = new SegmentPaths(repo, 1000);
    const reader = new SegmentReader(paths);
    const dump = loadDump('repo-none');
    const obj = dump.objects.find((o) => o.segment === 2)!;
    const file = paths.filename(2);
    const bytes = readFileSync(file);
    bytes[obj.offset + 50] = bytes[obj.offset + 50]! ^ 0xff;
    writeFileSync(file, bytes);
    await reader.forget(2);
    await assert.rejects(reader.read(2, obj.offset, hexId(obj.id)), /checksum mismatch/);
    await assert.rejects(async () => {
      for await (const _ of reader.iterObjects(2)) void _;
    }, IntegrityError);
    // Truncated commit segment: no longer committed, the transaction id moves back.
    writeFileSync(paths.filename(5), readFileSync(paths.filename(5)).subarray(0, 12));
    assert.equal(await reader.isCommitted(5), false);
    assert.equal(await reader.segmentsTransactionId(), 1);
    // Trailing garbage after a COMMIT makes a segment uncommitted too.
    appendFileSync(paths.filename(1), Buffer.from('garbage!'));
    assert.equal(await reader.isCommitted(1), false);
    await reader.close();
  } finally {
    removeTemp(tmp);
  }
});

test('encodePut and putHeader: the crc covers header and data, also for empty data without a backing store', () => {
  const id = Buffer.alloc(32, 9);
  // randomBytes(0) has no backing store; node's crc32 then ignores the start value.
  for (const data of [randomBytes(0), Buffer.alloc(0), randomBytes(1), randomBytes(70_000)]) {
    const entry = encodePut(id, data);
    assert.equal(entry.readUInt32LE(0), crc32(entry.subarray(4)), `${data.length} bytes`);
    assert.ok(putHeader(id, data).equals(entry.subarray(0, 41)));
  }
});
