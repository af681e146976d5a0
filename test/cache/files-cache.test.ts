// The files cache rules of borg 1.2 (modes, hits, aging, what is kept on save), its compact table,
// and its file format details (legacy bigint times, damaged files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FilesCache, filesCacheName, filesCachePathHash, filesCacheTtl, parseFilesCacheMode, type FileStatLike } from '../../src/cache/files-cache.js';
import { FilesCacheTable } from '../../src/cache/files-cache-table.js';
import { encodeAll } from '../../src/format/msgpack.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';
import { recorder } from './cache-fixtures.js';

const REG = 0o100644;
const stat = (over: Partial<FileStatLike> = {}): FileStatLike => ({ mode: REG, ino: 10n, size: 100n, ctimeNs: 5_000n, mtimeNs: 4_000n, ...over });

test('parseFilesCacheMode takes borg\'s comma form and refuses the rest', () => {
  assert.equal(parseFilesCacheMode('ctime,size,inode'), 'cis');
  assert.equal(parseFilesCacheMode('inode,mtime,size'), 'ims');
  assert.equal(parseFilesCacheMode(' size '), 's');
  assert.equal(parseFilesCacheMode('rechunk,ctime'), 'cr');
  assert.equal(parseFilesCacheMode('disabled'), 'd');
  for (const bad of ['cis', 'ctime,mtime', 'size,inode', 'ctime,', 'inode']) assert.throws(() => parseFilesCacheMode(bad), { code: 'UsageError' }, bad);
  assert.equal(filesCacheName({}), 'files');
  assert.equal(filesCacheName({ BORG_FILES_CACHE_SUFFIX: 'home' }), 'files.home');
  assert.equal(filesCacheTtl({}), 20);
  assert.equal(filesCacheTtl({ BORG_FILES_CACHE_TTL: '3' }), 3);
});

test('filesCachePathHash hashes the path joined to the cwd, like os.path.join', () => {
  const key = { idHash: (d: Uint8Array) => Buffer.from(d) };
  assert.equal(filesCachePathHash(key, 'tree/a', '/home/u').toString(), '/home/u/tree/a');
  assert.equal(filesCachePathHash(key, '/abs/./x', '/home/u').toString(), '/abs/./x');
  assert.equal(filesCachePathHash(key, 'a', '/').toString(), '/a');
  assert.ok(filesCachePathHash(key, 'b\udcff', '/').equals(Buffer.from([0x2f, 0x62, 0xff])), 'surrogate-escaped bytes');
});

test('knownAndUnchanged follows the mode; a hit takes the new inode and becomes current', () => {
  const h = randomBytes(32);
  const ids = [randomBytes(32), randomBytes(32)];
  const cis = new FilesCache('cis');
  cis.memorize(h, stat(), ids);
  assert.deepEqual(cis.knownAndUnchanged(randomBytes(32), stat()), { known: false, chunkIds: null });
  assert.deepEqual(cis.knownAndUnchanged(h, stat({ size: 101n })), { known: true, chunkIds: null });
  assert.deepEqual(cis.knownAndUnchanged(h, stat({ ino: 11n })), { known: true, chunkIds: null });
  assert.deepEqual(cis.knownAndUnchanged(h, stat({ ctimeNs: 5_001n })), { known: true, chunkIds: null });
  assert.deepEqual(cis.knownAndUnchanged(h, stat({ mtimeNs: 1n })).chunkIds, ids);
  assert.deepEqual(cis.knownAndUnchanged(h, stat({ mode: 0o040755 })), { known: false, chunkIds: null }, 'directories never');
  assert.deepEqual(cis.knownAndUnchanged(h, stat(), () => false), { known: true, chunkIds: null }, 'a lost chunk means changed');

  const cs = new FilesCache('cs');
  cs.memorize(h, stat(), ids);
  assert.deepEqual(cs.knownAndUnchanged(h, stat({ ino: 99n })).chunkIds, ids, 'inode ignored');
  assert.equal(cs.table.row(cs.table.find(h)).inode, 99n, 'and updated');
  const ms = new FilesCache('ms');
  ms.memorize(h, stat(), ids);
  assert.equal(ms.table.row(0).cmtime, 4_000n, 'mtime remembered');
  assert.deepEqual(ms.knownAndUnchanged(h, stat({ ctimeNs: 1n })).chunkIds, ids);
  const cr = new FilesCache('cr');
  cr.memorize(h, stat(), ids);
  assert.deepEqual(cr.knownAndUnchanged(h, stat()), { known: false, chunkIds: null }, 'rechunk never trusts, but remembers');
  const d = new FilesCache('d');
  d.memorize(h, stat(), ids);
  assert.equal(d.table.count, 0);
});

test('save keeps older entries below the TTL and current ones older than the newest time; load ages them', () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'files');
    const cache = new FilesCache('cis');
    const [a, b, c] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    cache.memorize(a, stat({ ctimeNs: 1_000n }), []);
    cache.memorize(b, stat({ ctimeNs: 2_000n }), [randomBytes(32)]);
    cache.memorize(c, stat({ ctimeNs: 2_000n, ino: 3n }), [randomBytes(32)]);
    cache.save(path, 'files', 20);
    const log = recorder();
    let loaded = FilesCache.load(path, 'files', undefined, 'cis', log);
    assert.equal(loaded.table.count, 1, 'files with the newest ctime are not remembered');
    assert.equal(loaded.table.find(a), 0);
    assert.equal(loaded.table.age(0), 1);
    for (const age of [2, 3]) {
      loaded.save(path, 'files', 3);
      loaded = FilesCache.load(path, 'files', undefined, 'cis', log);
      assert.equal(loaded.table.age(0), age);
    }
    loaded.save(path, 'files', 3);
    assert.equal(FilesCache.load(path, 'files', undefined, 'cis', log).table.count, 0, 'dropped at age 3 with TTL 3');
    // A commit before anything was memorized keeps all current entries (borg pins "newest" to never).
    const early = new FilesCache('cis');
    early.save(path, 'files', 20);
    early.memorize(a, stat({ ctimeNs: 9n }), []);
    early.save(path, 'files', 20);
    assert.equal(FilesCache.load(path, 'files', undefined, 'cis', log).table.count, 1);
    assert.deepEqual(log.lines, []);
  } finally {
    removeTemp(tmp);
  }
});

test('files cache files: legacy bigint times are read; damaged or invalid files give an empty cache and a warning', () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'files');
    const h = randomBytes(32);
    // cmtime as little-endian bigint bytes, as borg < 1.2 stored times beyond 63 bits would be.
    writeFileSync(path, encodeAll([[h, [0, 5, 7, Buffer.from([0x10, 0x27]), [randomBytes(32)]]]]));
    const log = recorder();
    const cache = FilesCache.load(path, 'files', undefined, 'cis', log);
    assert.equal(cache.table.row(0).cmtime, 10000n);
    assert.deepEqual(cache.knownAndUnchanged(h, stat({ ino: 5n, size: 7n, ctimeNs: 10000n })).chunkIds?.length, 1);

    writeFileSync(path, encodeAll([[h, [0, 5, 7]]]));
    assert.equal(FilesCache.load(path, 'files', undefined, 'cis', log).table.count, 0);
    assert.match(log.lines.shift()!, /^warning: The files cache seems invalid/);
    assert.match(log.lines.shift()!, /Continuing without files cache/);
    const good = encodeAll([[h, [0, 5, 7, 9, []]]]);
    writeFileSync(path, good.subarray(0, good.length - 1));
    assert.equal(FilesCache.load(path, 'files', undefined, 'cis', log).table.count, 0);
    assert.match(log.lines.shift()!, /seems invalid.*truncated/);
    log.lines.shift();
    writeFileSync(path, good);
    assert.equal(FilesCache.load(path, 'files', { algorithm: 'XXH64', digests: { final: '0000000000000000' } }, 'cis', log).table.count, 0);
    assert.match(log.lines.shift()!, /^warning: The files cache is corrupted/);
    log.lines.length = 0;
    assert.equal(FilesCache.load(join(tmp, 'missing'), 'files', undefined, 'cis', log).table.count, 0);
    assert.match(log.lines[0]!, /can't be read/);
    assert.ok(readFileSync(path).equals(good));
  } finally {
    removeTemp(tmp);
  }
});

test('FilesCacheTable replaces rows in place or in new pool space and stays consistent while growing', () => {
  const t = new FilesCacheTable();
  const hashes = Array.from({ length: 5000 }, () => randomBytes(32));
  const idsOf = (i: number, n: number) => Array.from({ length: n }, (_, j) => Buffer.alloc(32, (i * 7 + j) & 0xff));
  hashes.forEach((h, i) => t.set(h, { age: i % 30, inode: BigInt(i), size: i, cmtime: BigInt(-i) }, idsOf(i, i % 4)));
  // Every row replaced twice: first with more ids (new pool space, old becomes garbage), then fewer.
  for (const extra of [3, -1]) hashes.forEach((h, i) => t.set(h, { age: 0, inode: 1n << 63n, size: i, cmtime: 0n }, idsOf(i + 1, Math.max(0, (i % 4) + extra))));
  assert.equal(t.count, 5000);
  hashes.forEach((h, i) => {
    const r = t.find(h);
    assert.equal(r, i);
    assert.deepEqual(t.chunkIds(r), idsOf(i + 1, Math.max(0, (i % 4) - 1)));
    assert.equal(t.row(r).inode, 1n << 63n);
  });
  assert.throws(() => t.set(Buffer.alloc(31), { age: 0, inode: 0n, size: 0, cmtime: 0n }, []), RangeError);
});
