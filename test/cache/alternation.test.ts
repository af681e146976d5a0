// borg 1.2.4 and borg-ts taking turns on one repository with one shared cache directory: a cache
// borg-ts synced is used by borg as it is (no rebuild); after borg writes, borg-ts notices the new
// manifest and rebuilds the same chunk index borg keeps; files borg-ts memorized in the files cache
// are reused by `borg create` ('U'), and borg's files cache is read by borg-ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadArchiveMeta } from '../../src/archive/archive-meta.js';
import { iterItems } from '../../src/archive/item-stream.js';
import { Statistics } from '../../src/cache/cache-stats.js';
import { filesCachePathHash } from '../../src/cache/files-cache.js';
import { LocalCache } from '../../src/cache/local-cache.js';
import { ChunkIndex } from '../../src/format/hashindex.js';
import { copyVectorRepo, makeTempDir, removeTemp, runBorg } from '../repository/repo-fixtures.js';
import { entryLines, envWithBase, openSession, recorder } from './cache-fixtures.js';

function snapshot(dir: string): string {
  return readdirSync(dir).sort().map((f) => `${f} ${statSync(join(dir, f)).mtimeMs} ${statSync(join(dir, f)).ino}`).join('\n');
}

test('borg and borg-ts alternate on one repository and one cache', async () => {
  const tmp = makeTempDir();
  try {
    const repo = copyVectorRepo('repo-repokey-blake2', tmp);
    const env = envWithBase(tmp, 'repo-repokey-blake2', 'shared-base');
    mkdirSync(join(tmp, 'tree'));
    writeFileSync(join(tmp, 'tree', 'a.txt'), 'alternating clients\n');
    writeFileSync(join(tmp, 'tree', 'b.bin'), randomBytes(300_000));
    await sleep(50);
    writeFileSync(join(tmp, 'tree', 'z.txt'), 'the newest file is never remembered\n');

    // borg-ts builds the cache; borg uses it without a rebuild.
    let session = await openSession(repo, env);
    let cache = await LocalCache.open(session, { env });
    const archiveIndexes = join(cache.path, 'chunks.archive.d');
    const before = snapshot(archiveIndexes);
    await cache.close();
    await session.close();
    let r = runBorg(['create', '--info', '--files-cache=disabled', `${repo}::one`, 'tree'], env, tmp);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Synchronizing chunks cache/);
    assert.equal(snapshot(archiveIndexes), before);

    // Back to borg-ts: borg committed the cache for its manifest, so there is nothing to rebuild.
    const borgChunks = entryLines(ChunkIndex.fromBytes(readFileSync(join(cache.path, 'chunks'))));
    session = await openSession(repo, env);
    let log = recorder();
    cache = await LocalCache.open(session, { env, filesCacheMode: 'cis', log, warnings: log });
    assert.deepEqual(log.lines, []);
    assert.deepEqual(entryLines(cache.chunks), borgChunks);

    // borg-ts memorizes the tree's files with the chunk ids borg stored, as `create` would.
    const meta = await loadArchiveMeta(session.repository, session.codec, session.key, session.manifest.archives.get('one')!.id);
    const stats = new Statistics();
    for await (const item of iterItems(session.repository, session.codec, meta.meta.items)) {
      if (!item.chunks) continue;
      const st = statSync(join(tmp, item.path), { bigint: true });
      cache.memorizeFile(filesCachePathHash(session.key, item.path, tmp), st, item.chunks.map((c) => c.id));
      cache.chunkIncref(item.chunks[0]!.id, stats);
      await cache.chunkDecref(item.chunks[0]!.id, stats);
    }
    await cache.commit();
    await cache.close();
    await session.close();

    r = runBorg(['create', '--info', '--list', '--files-cache=ctime,size,inode', `${repo}::two`, 'tree'], env, tmp);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Synchronizing chunks cache/);
    const status = Object.fromEntries(r.stderr.split('\n').filter((l) => /^[A-Z] tree\//.test(l)).map((l) => [l.slice(2), l[0]]));
    assert.deepEqual(status, { 'tree/a.txt': 'U', 'tree/b.bin': 'U', 'tree/z.txt': 'A' });

    // borg on another machine (its own cache) adds an archive; borg-ts notices the new manifest,
    // rebuilds the refcounts borg keeps, and reads the files cache borg wrote in the last run.
    const otherEnv = envWithBase(tmp, 'repo-repokey-blake2', 'other-base');
    r = runBorg(['create', `${repo}::three`, 'tree'], otherEnv, tmp);
    assert.equal(r.status, 0, r.stderr);
    session = await openSession(repo, env);
    log = recorder();
    cache = await LocalCache.open(session, { env, filesCacheMode: 'cis', log, warnings: log });
    try {
      assert.ok(log.lines.includes('info: Synchronizing chunks cache...'));
      const otherCache = join(otherEnv['BORG_BASE_DIR']!, '.cache', 'borg', session.repository.id.toString('hex'));
      assert.deepEqual(entryLines(cache.chunks), entryLines(ChunkIndex.fromBytes(readFileSync(join(otherCache, 'chunks')))));
      assert.deepEqual(log.warnings, []);
      assert.equal(cache.files!.table.count, 2);
      const st = statSync(join(tmp, 'tree', 'a.txt'), { bigint: true });
      assert.equal(cache.fileKnownAndUnchanged(filesCachePathHash(session.key, 'tree/a.txt', tmp), st).chunkIds?.length, 1);
    } finally {
      await cache.close();
      await session.close();
    }
    r = runBorg(['check', repo], env);
    assert.equal(r.status, 0, r.stderr);
  } finally {
    removeTemp(tmp);
  }
});
