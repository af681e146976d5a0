// Memory per entry of the two big cache tables at 1,000,000 entries (DESIGN.md "Memory": no more
// than borg). Measured from the typed arrays they hold; the numbers are printed for the record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FilesCache } from '../../src/cache/files-cache.js';
import { ChunkIndex } from '../../src/format/hashindex.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';
import { recorder } from './cache-fixtures.js';

const N = 1_000_000;

test('files cache: 1,000,000 one-chunk entries take less memory than borg (~240 B per file)', () => {
  const tmp = makeTempDir();
  try {
    const random = randomBytes(N * 32);
    const ids = randomBytes(N * 32);
    const cache = new FilesCache('cis');
    const heapBefore = process.memoryUsage().heapUsed;
    let t = performance.now();
    for (let i = 0; i < N; i++) {
      cache.memorize(random.subarray(i * 32, i * 32 + 32), { mode: 0o100644, ino: BigInt(i), size: i, ctimeNs: BigInt(i), mtimeNs: 0n }, [ids.subarray(i * 32, i * 32 + 32)]);
    }
    const memorizeMs = performance.now() - t;
    const perEntry = cache.table.memoryBytes() / N;
    const heapPerEntry = (process.memoryUsage().heapUsed - heapBefore) / N;
    t = performance.now();
    cache.save(join(tmp, 'files'), 'files', 20);
    const saveMs = performance.now() - t;
    t = performance.now();
    const loaded = FilesCache.load(join(tmp, 'files'), 'files', undefined, 'cis', recorder());
    const loadMs = performance.now() - t;
    assert.equal(loaded.table.count, N - 1, 'all but the file with the newest ctime');
    console.log(`files cache: ${perEntry.toFixed(1)} B/entry in typed arrays (${(loaded.table.memoryBytes() / N).toFixed(1)} after load), ` +
      `${heapPerEntry.toFixed(1)} B/entry JS heap; memorize ${memorizeMs.toFixed(0)} ms, save ${saveMs.toFixed(0)} ms, load ${loadMs.toFixed(0)} ms`);
    assert.ok(perEntry < 160, `${perEntry} B/entry`);
    assert.ok(heapPerEntry < 8, `${heapPerEntry} B/entry of JS heap: no objects per entry`);
  } finally {
    removeTemp(tmp);
  }
});

test('chunk index: 1,000,000 entries at 44 B per bucket, as borg', () => {
  const random = randomBytes(N * 32);
  const index = new ChunkIndex();
  const t = performance.now();
  for (let i = 0; i < N; i++) index.add(random.subarray(i * 32, i * 32 + 32), 1, 4096, 2000);
  const ms = performance.now() - t;
  const bytes = index.table.buffer.byteLength;
  console.log(`chunk index: 44 B/bucket, ${index.table.numBuckets} buckets = ${(bytes / N).toFixed(1)} B/entry at load ${(N / index.table.numBuckets).toFixed(2)}; add ${ms.toFixed(0)} ms`);
  assert.equal(bytes, index.table.numBuckets * 44);
});
