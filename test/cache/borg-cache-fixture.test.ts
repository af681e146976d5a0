// The client cache real borg 1.2.4 left after `create` (test/fixtures/repos/cache-repokey-blake2):
// its `chunks` and `files` verify against the digests in its config, and borg-ts writes both back
// with the same bytes and digests. Opened as a LocalCache it is in sync (nothing is rebuilt), and a
// sync from scratch yields the same chunk index entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CacheConfig } from '../../src/cache/cache-config.js';
import { FilesCache } from '../../src/cache/files-cache.js';
import { FilesCacheEncoder, FilesCacheParser } from '../../src/cache/files-cache-codec.js';
import { CheckedFileWriter, readChunkIndexFile, writeHashIndexFile } from '../../src/cache/integrity-checked-file.js';
import { LocalCache } from '../../src/cache/local-cache.js';
import { parseIntegrityJson } from '../../src/format/integrity-file.js';
import { copyVectorRepo, FIXTURES, makeTempDir, removeTemp } from '../repository/repo-fixtures.js';
import { cacheDirOf, entryLines, envWithBase, openSession, recorder, repositoryIdHex } from './cache-fixtures.js';

const FIXTURE = join(FIXTURES, 'cache-repokey-blake2');

function integrityOf(name: string) {
  const config = CacheConfig.load(FIXTURE);
  return parseIntegrityJson(config.integrity()[name]!, name)!;
}

test('borg cache fixture: chunks verifies and is written back byte for byte with the same digests', () => {
  const tmp = makeTempDir();
  try {
    const expected = integrityOf('chunks');
    const index = readChunkIndexFile(join(FIXTURE, 'chunks'), 'chunks', expected);
    assert.equal(index.count, 15);
    const written = writeHashIndexFile(join(tmp, 'chunks'), 'chunks', index.table.toParts());
    assert.deepEqual(written, expected);
    assert.ok(readFileSync(join(tmp, 'chunks')).equals(readFileSync(join(FIXTURE, 'chunks'))));
    // One flipped byte anywhere is noticed.
    const bytes = readFileSync(join(FIXTURE, 'chunks'));
    bytes[bytes.length - 3]! ^= 1;
    writeFileSync(join(tmp, 'damaged'), bytes);
    assert.throws(() => readChunkIndexFile(join(tmp, 'damaged'), 'chunks', expected), { code: 'FileIntegrityError' });
  } finally {
    removeTemp(tmp);
  }
});

test('borg cache fixture: files entries round-trip to the same bytes and digest', () => {
  const tmp = makeTempDir();
  try {
    const entries: { hash: Buffer; age: number; inode: bigint; size: number; cmtime: bigint; ids: Buffer }[] = [];
    const parser = new FilesCacheParser((e) => entries.push({ ...e, hash: Buffer.from(e.pathHash), ids: Buffer.from(e.chunkIds) }));
    const original = readFileSync(join(FIXTURE, 'files'));
    for (let i = 0; i < original.length; i += 7) parser.feed(original.subarray(i, i + 7));
    parser.end();
    assert.equal(entries.length, 8);
    assert.deepEqual(entries.map((e) => e.ids.length / 32).sort(), [0, 1, 1, 1, 1, 1, 1, 6]);
    const writer = new CheckedFileWriter(join(tmp, 'files'), 'files');
    const encoder = new FilesCacheEncoder((b) => writer.write(b), 64);
    for (const e of entries) encoder.entry(e.hash, e.age, e.inode, e.size, e.cmtime, e.ids);
    encoder.end();
    assert.deepEqual(writer.commit(), integrityOf('files'));
    assert.ok(readFileSync(join(tmp, 'files')).equals(original));

    // Loading for use ages every entry by one backup and verifies the digest.
    const log = recorder();
    const loaded = FilesCache.load(join(FIXTURE, 'files'), 'files', integrityOf('files'), 'cis', log);
    assert.deepEqual(log.lines, []);
    assert.equal(loaded.table.count, 8);
    for (let r = 0; r < 8; r++) assert.equal(loaded.table.age(r), 1);
  } finally {
    removeTemp(tmp);
  }
});

test('borg cache fixture: opened as LocalCache it is in sync; a fresh sync finds the same entries', async () => {
  const tmp = makeTempDir();
  try {
    const repo = copyVectorRepo('repo-repokey-blake2', tmp);
    const env = envWithBase(tmp, 'repo-repokey-blake2', 'base');
    const dir = cacheDirOf(env, repositoryIdHex(repo));
    cpSync(FIXTURE, dir, { recursive: true });
    const config = readFileSync(join(dir, 'config'), 'utf8').replace('<WORKDIR>/repo-repokey-blake2', repo);
    writeFileSync(join(dir, 'config'), config);
    const session = await openSession(repo, env);
    try {
      const log = recorder();
      const cache = await LocalCache.open(session, { env, filesCacheMode: 'cis', log, warnings: log });
      assert.deepEqual(log.lines, [], 'nothing rebuilt or reported');
      assert.equal(cache.files!.table.count, 8);
      const borgEntries = entryLines(cache.chunks);
      await cache.close();

      const fresh = await LocalCache.open(session, { env, path: join(tmp, 'fresh-cache') });
      assert.deepEqual(entryLines(fresh.chunks), borgEntries);
      await fresh.close();
    } finally {
      await session.close();
    }
  } finally {
    removeTemp(tmp);
  }
});
