// Cache sync against real borg 1.2.4: for every vector repository, `borg info` with a fresh cache
// and borg-ts's sync build the same chunk index — same entries, same bytes — and the same
// per-archive compact indexes and config. Then the per-archive indexes are reused, outdated and
// damaged ones handled as borg does, and a damaged `chunks` file is rebuilt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCache } from '../../src/cache/local-cache.js';
import { ChunkIndex } from '../../src/format/hashindex.js';
import { copyVectorRepo, makeTempDir, removeTemp, runBorg, VECTOR_REPOS } from '../repository/repo-fixtures.js';
import { cacheDirOf, entryLines, envWithBase, openSession, recorder, repositoryIdHex } from './cache-fixtures.js';

for (const name of VECTOR_REPOS) {
  test(`cache sync of ${name} builds borg's chunk index, archive indexes and config`, async () => {
    const tmp = makeTempDir();
    try {
      const repo = copyVectorRepo(name, tmp);
      const borgEnv = envWithBase(tmp, name, 'borg-base');
      const r = runBorg(['info', repo], borgEnv);
      assert.equal(r.status, 0, r.stderr);
      const borgDir = cacheDirOf(borgEnv, repositoryIdHex(repo));
      const env = envWithBase(tmp, name, 'ts-base');
      const session = await openSession(repo, env);
      try {
        const log = recorder();
        const cache = await LocalCache.open(session, { env, log, warnings: log });
        await cache.close();
        const borgChunks = readFileSync(join(borgDir, 'chunks'));
        assert.deepEqual(entryLines(cache.chunks), entryLines(ChunkIndex.fromBytes(borgChunks)));
        assert.ok(readFileSync(join(cache.path, 'chunks')).equals(borgChunks), 'chunks file byte for byte');
        assert.deepEqual(readdirSync(join(cache.path, 'chunks.archive.d')).sort(), readdirSync(join(borgDir, 'chunks.archive.d')).sort());
        for (const f of readdirSync(join(borgDir, 'chunks.archive.d'))) {
          assert.ok(readFileSync(join(cache.path, 'chunks.archive.d', f)).equals(readFileSync(join(borgDir, 'chunks.archive.d', f))), f);
        }
        assert.equal(readFileSync(join(cache.path, 'config'), 'utf8'), readFileSync(join(borgDir, 'config'), 'utf8'));
        // repo-extra's renamed archive carries the stale TAM of borg 1.2.4's rename: counted, reported.
        const tamWarnings = log.lines.filter((l) => l.includes('invalid archive TAM'));
        assert.equal(tamWarnings.length, name === 'repo-extra' ? 1 : 0);
        assert.deepEqual(log.warnings, []);
      } finally {
        await session.close();
      }
    } finally {
      removeTemp(tmp);
    }
  });
}

test('cache sync reuses archive indexes, converts legacy ones, drops outdated and damaged ones', async () => {
  const tmp = makeTempDir();
  try {
    const repo = copyVectorRepo('repo-extra', tmp);
    const env = envWithBase(tmp, 'repo-extra', 'base');
    const session = await openSession(repo, env);
    try {
      const first = await LocalCache.open(session, { env });
      const expected = entryLines(first.chunks);
      const dir = join(first.path, 'chunks.archive.d');
      await first.close();
      const [a, b] = readdirSync(dir).filter((f) => f.endsWith('.compact')).map((f) => f.slice(0, 64)).sort();
      const compactA = readFileSync(join(dir, `${a}.compact`));
      // a: legacy non-compact file (as borg < 1.1 wrote them), b: damaged, plus an archive that is gone.
      unlinkSync(join(dir, `${a}.compact`));
      renameSync(join(dir, `${a}.compact.integrity`), join(dir, `${a}.integrity`));
      const legacy = new ChunkIndex();
      legacy.merge(ChunkIndex.fromBytes(compactA, { permitCompact: true }));
      writeFileSync(join(dir, a!), legacy.toBytes());
      unlinkSync(join(dir, `${a}.integrity`));
      const damaged = readFileSync(join(dir, `${b}.compact`));
      damaged[damaged.length - 1]! ^= 0xff;
      writeFileSync(join(dir, `${b}.compact`), damaged);
      writeFileSync(join(dir, `${'ab'.repeat(32)}.compact`), compactA);

      // Force a resync by forgetting the manifest the cache saw.
      const configPath = join(first.path, 'config');
      writeFileSync(configPath, readFileSync(configPath, 'utf8').replace(/^manifest = \w+$/m, 'manifest = '));
      const log = recorder();
      const second = await LocalCache.open(session, { env, log, warnings: log });
      await second.close();
      assert.deepEqual(entryLines(second.chunks), expected);
      assert.ok(log.lines.some((l) => l.startsWith('info: Archives: 2, w/ cached Idx: 3, w/ outdated Idx: 1, w/o cached Idx: 0.')), log.lines.join('\n'));
      assert.ok(log.lines.some((l) => l.startsWith('error: Cached archive chunk index of') && l.includes('corrupted')));
      assert.equal(log.warnings.length, 1);
      assert.deepEqual(readdirSync(dir).sort(), [`${a}.compact`, `${a}.compact.integrity`, `${b}.compact`, `${b}.compact.integrity`]);
      const converted = ChunkIndex.fromBytes(readFileSync(join(dir, `${a}.compact`)), { permitCompact: true });
      assert.equal(converted.table.numBuckets, converted.count, 'legacy index converted to a compact one');
      assert.deepEqual(entryLines(converted), entryLines(ChunkIndex.fromBytes(compactA, { permitCompact: true })));
    } finally {
      await session.close();
    }
  } finally {
    removeTemp(tmp);
  }
});

test('a damaged chunks file is rebuilt from the archives, with a warning', async () => {
  const tmp = makeTempDir();
  try {
    const repo = copyVectorRepo('repo-none', tmp);
    const env = envWithBase(tmp, 'repo-none', 'base');
    const session = await openSession(repo, env);
    try {
      const first = await LocalCache.open(session, { env });
      const expected = entryLines(first.chunks);
      await first.close();
      const chunksPath = join(first.path, 'chunks');
      const bytes = readFileSync(chunksPath);
      bytes[100]! ^= 0x40;
      writeFileSync(chunksPath, bytes);
      const log = recorder();
      const second = await LocalCache.open(session, { env, log, warnings: log });
      await second.close();
      assert.equal(log.warnings.length, 1);
      assert.ok(log.lines[0]!.startsWith('warning: The chunks cache is damaged'));
      assert.deepEqual(entryLines(second.chunks), expected);
      // And the rebuilt file is good again: the next open is quiet.
      const quiet = recorder();
      const third = await LocalCache.open(session, { env, log: quiet, warnings: quiet });
      await third.close();
      assert.deepEqual(quiet.lines, []);
      // A missing chunks file is rebuilt too.
      unlinkSync(chunksPath);
      const missing = recorder();
      const fourth = await LocalCache.open(session, { env, log: missing, warnings: missing });
      await fourth.close();
      assert.equal(missing.warnings.length, 1);
      assert.deepEqual(entryLines(fourth.chunks), expected);
    } finally {
      await session.close();
    }
  } finally {
    removeTemp(tmp);
  }
});
