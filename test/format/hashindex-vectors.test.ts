import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ChunkIndex, NSIndex } from '../../src/format/hashindex.js';
import { computeIntegrity, hashIndexIntegrity, integrityToJson, parseIntegrityJson, verifyIntegrity, HASH_INDEX_PARTS } from '../../src/format/integrity-file.js';
import { decode } from '../../src/format/msgpack.js';

const REPOS = new URL('../fixtures/repos/', import.meta.url);
const read = (path: string): Buffer => readFileSync(new URL(path, REPOS));

/** The six vector repositories and their transaction ids. */
const REPOSITORIES: [string, number][] = [
  ['repo-none', 5], ['repo-repokey', 5], ['repo-repokey-blake2', 5], ['repo-keyfile-blake2', 5],
  ['repo-authenticated-blake2', 5], ['repo-extra', 21],
];

interface DumpIndex {
  num_entries: number;
  num_buckets: number;
  entries: { bucket: number; id: string; value: [number, number] }[];
}

for (const [repo, tid] of REPOSITORIES) {
  test(`${repo}: index.${tid} reads, matches the dump and rewrites byte for byte`, () => {
    const bytes = read(`${repo}/index.${tid}`);
    const index = NSIndex.fromBytes(bytes);
    assert.deepEqual(index.toBytes(), bytes);
    const dump = (JSON.parse(read(`${repo}.dump.json`).toString('utf8')) as { index: DumpIndex }).index;
    assert.equal(index.count, dump.num_entries);
    assert.equal(index.table.numBuckets, dump.num_buckets);
    const ours = [];
    for (let s = index.table.nextUsedSlot(0); s >= 0; s = index.table.nextUsedSlot(s + 1)) {
      ours.push({ bucket: s, id: `hex:${index.table.keyAt(s).toString('hex')}`, value: [index.table.readWord(s, 0), index.table.readWord(s, 1)] });
    }
    assert.deepEqual(ours, dump.entries.map(({ bucket, id, value }) => ({ bucket, id, value })));
    for (const e of dump.entries) {
      assert.deepEqual(index.get(Buffer.from(e.id.slice(4), 'hex')), { segment: e.value[0], offset: e.value[1] });
    }
  });

  test(`${repo}: integrity.${tid} digests of index and hints are recomputed exactly`, () => {
    const integrity = decode(read(`${repo}/integrity.${tid}`)) as Record<string, Buffer | number>;
    assert.equal(integrity['version'], 2);
    const indexJson = (integrity['index'] as Buffer).toString('utf8');
    const hintsJson = (integrity['hints'] as Buffer).toString('utf8');
    const indexBytes = read(`${repo}/index.${tid}`);
    const hintsBytes = read(`${repo}/hints.${tid}`);
    const indexDigests = hashIndexIntegrity(`index.${tid}`, indexBytes);
    const hintsDigests = computeIntegrity(`hints.${tid}`, hintsBytes);
    assert.equal(integrityToJson(indexDigests), indexJson);
    assert.equal(integrityToJson(hintsDigests), hintsJson);
    verifyIntegrity(`index.${tid}`, indexBytes, parseIntegrityJson(indexJson)!, HASH_INDEX_PARTS);
    verifyIntegrity(`hints.${tid}`, hintsBytes, parseIntegrityJson(hintsJson)!);
  });
}

/** `[integrity]` values of the cache config (INI). */
function cacheIntegrity(): Record<string, string> {
  const config = read('cache-repokey-blake2/config').toString('utf8');
  const section = config.split('[integrity]')[1]!;
  return Object.fromEntries(section.trim().split('\n').map((line) => line.split(' = ') as [string, string]));
}

test('cache chunks: ChunkIndex reads and rewrites it byte for byte; digests match the cache config', () => {
  const bytes = read('cache-repokey-blake2/chunks');
  const chunks = ChunkIndex.fromBytes(bytes);
  assert.deepEqual(chunks.toBytes(), bytes);
  assert.equal(chunks.count, 15);
  const recorded = cacheIntegrity();
  assert.equal(integrityToJson(hashIndexIntegrity('chunks', bytes)), recorded['chunks']);
  verifyIntegrity('chunks', bytes, parseIntegrityJson(recorded['chunks']!)!, HASH_INDEX_PARTS);
  const files = read('cache-repokey-blake2/files');
  assert.equal(integrityToJson(computeIntegrity('files', files)), recorded['files']);
});

test('cache chunks: summarize() agrees with borg info --json', () => {
  const stats = (JSON.parse(read('repo-repokey-blake2.out/info-archive.json').toString('utf8')) as {
    cache: { stats: { total_unique_chunks: number; unique_size: number; unique_csize: number } };
  }).cache.stats;
  const sum = ChunkIndex.fromBytes(read('cache-repokey-blake2/chunks')).summarize();
  assert.equal(sum.totalUniqueChunks, stats.total_unique_chunks);
  assert.equal(sum.uniqueSize, stats.unique_size);
  assert.equal(sum.uniqueCsize, stats.unique_csize);
  // Every chunk of this single archive is referenced once.
  assert.equal(sum.totalChunks, 15);
  assert.equal(sum.totalSize, sum.uniqueSize);
});
