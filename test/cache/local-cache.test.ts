// LocalCache as writers use it: references and statistics, transactions (commit, rollback, and
// recovery after a crash — by borg-ts and by real borg), the cache lock, the cache's part in the
// security checks, destroy/break-lock, and the ad-hoc cache with the choice between the two.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdHocCache } from '../../src/cache/adhoc-cache.js';
import { breakCacheLock, destroyCache, openCache } from '../../src/cache/cache.js';
import { recanonicalizeLocation } from '../../src/cache/cache-security.js';
import { Statistics } from '../../src/cache/cache-stats.js';
import { LocalCache } from '../../src/cache/local-cache.js';
import { MAX_VALUE } from '../../src/format/hashindex.js';
import { Lock } from '../../src/repository/lock.js';
import { copyVectorRepo, makeTempDir, removeTemp, runBorg } from '../repository/repo-fixtures.js';
import { cacheDirOf, entryLines, envWithBase, openSession, recorder, repositoryIdHex } from './cache-fixtures.js';

async function withRepo(fn: (ctx: { tmp: string; repo: string; env: Record<string, string | undefined> }) => Promise<void>): Promise<void> {
  const tmp = makeTempDir();
  try {
    const repo = copyVectorRepo('repo-none', tmp);
    await fn({ tmp, repo, env: envWithBase(tmp, 'repo-none', 'base') });
  } finally {
    removeTemp(tmp);
  }
}

test('LocalCache counts references, stores and deletes objects, and rolls back', () => withRepo(async ({ repo, env }) => {
  const session = await openSession(repo, env, true);
  const cache = await LocalCache.open(session, { env });
  try {
    const synced = entryLines(cache.chunks);
    const [known, refcount, size, csize] = [...cache.chunks.entries()][0]!;
    assert.equal(cache.seenChunk(known, size), refcount);
    assert.throws(() => cache.seenChunk(known, size + 1), { code: 'ChunkSizeMismatch' });

    const stats = new Statistics();
    const data = randomBytes(5000);
    const { id, envelope } = session.writer('none').pack(data);
    assert.deepEqual(await cache.addChunk(id, envelope, data.length, stats), { id, size: 5000, csize: envelope.length });
    assert.ok(existsSync(join(cache.path, 'txn.active')), 'the first change begins a transaction');
    assert.ok((await session.repository.get(id)).equals(envelope));
    await cache.addChunk(id, envelope, data.length, stats);
    cache.chunkIncref(known, stats, undefined, true);
    assert.deepEqual(stats.asDict(), { original_size: 10000, compressed_size: 2 * envelope.length, deduplicated_size: envelope.length, nfiles: 0 });
    assert.deepEqual(stats.asRawDict(), { size: 10000, csize: 2 * envelope.length, nfiles: 0, size_parts: size, csize_parts: csize, nfiles_parts: 0 });
    assert.equal(cache.seenChunk(id), 2);
    assert.equal(await cache.chunkDecref(id, stats), false);
    assert.equal(await cache.chunkDecref(id, stats), true);
    assert.equal(cache.seenChunk(id), 0);
    await assert.rejects(session.repository.get(id), { code: 'ObjectNotFound' });
    assert.equal(stats.usize, 0);

    await cache.rollback();
    assert.equal(existsSync(join(cache.path, 'txn.active')), false);
    assert.deepEqual(entryLines(cache.chunks), synced);
    assert.equal(cache.summary().total_unique_chunks, synced.length);
  } finally {
    await cache.close();
    await session.close();
  }
}));

test('LocalCache commits, and recovers an interrupted commit (borg-ts and borg alike)', () => withRepo(async ({ repo, env }) => {
  const session = await openSession(repo, env);
  try {
    let cache = await LocalCache.open(session, { env });
    const [known, refcount] = [...cache.chunks.entries()][0]!;
    cache.chunkIncref(known, new Statistics());
    await cache.commit();
    await cache.close();
    cache = await LocalCache.open(session, { env });
    assert.equal(cache.seenChunk(known), refcount + 1, 'committed refcount kept (no resync: same manifest)');
    const committed = readFileSync(join(cache.path, 'chunks'));

    // A crash in the middle of a commit: transaction begun, chunks half written, lock left behind.
    cache.chunkIncref(known, new Statistics());
    writeFileSync(join(cache.path, 'chunks'), committed.subarray(0, 100));
    await cache.close();
    const log = recorder();
    cache = await LocalCache.open(session, { env, log, warnings: log });
    await cache.close();
    assert.deepEqual(log.lines, []);
    assert.equal(cache.seenChunk(known), refcount + 1);
    assert.ok(readFileSync(join(cache.path, 'chunks')).equals(committed));

    // Same crash, recovered by real borg.
    cache = await LocalCache.open(session, { env });
    cache.chunkIncref(known, new Statistics());
    writeFileSync(join(cache.path, 'chunks'), Buffer.alloc(7));
    await cache.close();
    await session.close();
    const r = runBorg(['info', repo], env);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(join(cache.path, 'chunks')).equals(committed));
    assert.equal(existsSync(join(cache.path, 'txn.active')), false);
  } finally {
    await session.close();
  }
}));

test('LocalCache: cache lock, foreign caches, integrity data of an old borg, security checks', () => withRepo(async ({ repo, env }) => {
  const session = await openSession(repo, env);
  try {
    const cache = await LocalCache.open(session, { env });
    await cache.close();
    // Another client (on another host) holds the cache lock.
    const other = await new Lock(join(cache.path, 'lock'), { exclusive: true, timeout: 1, id: ['other-host@1', 4242, 0] }).acquire();
    await assert.rejects(LocalCache.open(session, { env, lockWait: 0 }), { code: 'LockTimeout' });
    await other.release();
    const configPath = join(cache.path, 'config');
    const config = readFileSync(configPath, 'utf8');

    const [head, integrity] = config.split('[integrity]');
    writeFileSync(configPath, `${head}[integrity]${integrity!.replace(/^manifest = \w+$/m, 'manifest = ff')}`);
    const log = recorder();
    await (await LocalCache.open(session, { env, log })).close();
    assert.deepEqual(log.lines, ['warning: Cache integrity data not available: old Borg version modified the cache.']);

    writeFileSync(configPath, config.replace(/^repository = \w+$/m, `repository = ${'0'.repeat(64)}`));
    await assert.rejects(LocalCache.open(session, { env }), { code: 'Error', message: /belongs to repository 0000/ });

    // The cache remembers another location: relocation is asked about, and recorded when accepted.
    writeFileSync(configPath, config.replace(/^previous_location = .*$/m, 'previous_location = /elsewhere/repo'));
    const refuse = { ...env, BORG_RELOCATED_REPO_ACCESS_IS_OK: 'no' };
    await assert.rejects(LocalCache.open(session, { env: refuse }), { code: 'RepositoryAccessAborted' });
    await (await LocalCache.open(session, { env })).close();
    assert.match(readFileSync(configPath, 'utf8'), new RegExp(`^previous_location = ${repo}$`, 'm'));

    // A cache built relying on a repository feature this version does not know is rebuilt.
    writeFileSync(configPath, config.replace(/^mandatory_features = $/m, 'mandatory_features = future-feature'));
    const incompatible = recorder();
    await (await LocalCache.open(session, { env, log: incompatible })).close();
    assert.equal(incompatible.lines[0], 'warning: Discarding incompatible cache and forcing a cache rebuild');
    assert.ok(incompatible.lines.includes('info: Synchronizing chunks cache...'));
    assert.match(readFileSync(configPath, 'utf8'), /^mandatory_features = $/m);

    // borg < 1.0.8 wrote relative remote paths with /~/: not a relocation.
    assert.equal(recanonicalizeLocation('ssh://u@h:22/~/repo', 'ssh://u@h:22/./repo'), 'ssh://u@h:22/./repo');
    assert.equal(recanonicalizeLocation('ssh://u@h:22/~/repo', 'ssh://u@other:22/./repo'), 'ssh://u@h:22/~/repo');

    // The cache saw a newer manifest than the repository has: a replayed repository.
    writeFileSync(configPath, config.replace(/^timestamp = .*$/m, 'timestamp = 2999-01-01T00:00:00.000000'));
    await assert.rejects(LocalCache.open(session, { env }), { code: 'RepositoryIDNotUnique' });
  } finally {
    await session.close();
  }
}));

test('destroyCache and breakCacheLock', () => withRepo(async ({ repo, env }) => {
  const session = await openSession(repo, env);
  try {
    const id = repositoryIdHex(repo);
    const cache = await LocalCache.open(session, { env });
    breakCacheLock(id, { env });
    assert.equal(existsSync(join(cache.path, 'lock.exclusive')), false);
    await (await LocalCache.open(session, { env, lockWait: 0 })).close();
    destroyCache(id, { env });
    assert.equal(existsSync(cacheDirOf(env, id)), false);
  } finally {
    await session.close();
  }
}));

test('AdHocCache pins existing chunks; openCache prefers an in-sync local cache', () => withRepo(async ({ repo, env }) => {
  const session = await openSession(repo, env, true);
  try {
    const log = recorder();
    const adhoc = await AdHocCache.open(session, { env, log });
    assert.ok(log.lines.includes('warning: Note: --no-cache-sync is an experimental feature.'));
    assert.equal(adhoc.chunks.count, (await session.repository.len()) - 1, 'every object but the manifest');
    const [existing] = [...adhoc.chunks.entries()][0]!;
    assert.deepEqual(adhoc.chunks.get(existing), { refcount: MAX_VALUE, size: 0, csize: 0 });
    const stats = new Statistics();
    assert.equal(adhoc.seenChunk(existing, 123), MAX_VALUE);
    assert.equal(adhoc.chunkIncref(existing, stats).size, 123, 'size learned from the writer');
    assert.equal(await adhoc.chunkDecref(existing, stats), false, 'never deleted');
    assert.deepEqual(adhoc.fileKnownAndUnchanged(randomBytes(32), { mode: 0o100644, ino: 1n, size: 1n, ctimeNs: 1n, mtimeNs: 1n }), { known: false, chunkIds: null });
    await adhoc.commit();

    assert.ok(await openCache(session, { env, permitAdhocCache: true }) instanceof AdHocCache, 'no local cache yet');
    await (await LocalCache.open(session, { env })).close();
    const chosen = await openCache(session, { env, permitAdhocCache: true });
    assert.ok(chosen instanceof LocalCache, 'the local cache is in sync');
    await chosen.close();
  } finally {
    await session.close();
  }
}));
