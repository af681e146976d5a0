// Reading the six repositories written by borg 1.2.4, and rebuilding their index by replay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NSIndex } from '../../src/format/hashindex.js';
import { decode, type MsgMap } from '../../src/format/msgpack.js';
import { decodeHints } from '../../src/repository/hints.js';
import { LocalRepository } from '../../src/repository/local-repository.js';
import {
  VECTOR_REPOS, borgCheck, borgEnv, copyVectorRepo, hexId, loadDump, makeTempDir, removeTemp, type VectorRepo,
} from './repo-fixtures.js';

const hex = (b: Buffer): string => `hex:${b.toString('hex')}`;

async function collectPages(fetch: (limit: number, marker: Buffer | null) => Promise<Buffer[]>, limit: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let page = await fetch(limit, null); page.length > 0; page = await fetch(limit, page.at(-1)!)) out.push(...page);
  return out;
}

for (const name of VECTOR_REPOS) {
  test(`${name}: list, scan, len and get agree with the dump`, async () => {
    const tmp = makeTempDir();
    try {
      const dump = loadDump(name);
      const repo = await LocalRepository.open(copyVectorRepo(name, tmp));
      try {
        assert.equal(await repo.len(), dump.index.num_entries);
        const listed = await repo.list();
        assert.deepEqual(listed.map(hex), dump.index.entries.map((e) => e.id));
        assert.deepEqual((await collectPages((l, m) => repo.list(l, m), 7)).map(hex), listed.map(hex));
        const live = [...dump.index.entries].sort((a, b) => a.value[0] - b.value[0] || a.value[1] - b.value[1]);
        const scanned = await repo.scan();
        assert.deepEqual(scanned.map(hex), live.map((e) => e.id));
        assert.deepEqual((await collectPages((l, m) => repo.scan(l, m), 5)).map(hex), scanned.map(hex));
        const sizes = new Map<string, number>();
        for (const seg of dump.segments) for (const e of seg.entries) sizes.set(`${seg.segment}/${e.offset}`, e.size);
        let i = 0;
        for await (const data of repo.getMany(live.map((e) => hexId(e.id)))) {
          const e = live[i++]!;
          assert.equal(data.length, sizes.get(`${e.value[0]}/${e.value[1]}`)! - 41, e.id);
        }
        assert.equal(i, live.length);
        await assert.rejects(repo.get(Buffer.alloc(32, 0xee)), { code: 'ObjectNotFound' });
      } finally {
        await repo.close();
      }
    } finally {
      removeTemp(tmp);
    }
  });
}

function indexEntries(path: string): string[] {
  return [...NSIndex.fromBytes(readFileSync(path)).entries()].map(([id, s, o]) => `${hex(id)} ${s} ${o}`).sort();
}

async function rebuildAndCompare(name: VectorRepo, damage: (repoPath: string, tid: number) => void): Promise<void> {
  const tmp = makeTempDir();
  try {
    const dump = loadDump(name);
    const path = copyVectorRepo(name, tmp);
    const tid = dump.transaction_id;
    const originalBytes = readFileSync(join(path, `index.${tid}`));
    const integrityOf = (): MsgMap => decode(readFileSync(join(path, `integrity.${tid}`))) as MsgMap;
    const originalIndexIntegrity = (integrityOf()['index'] as Buffer).toString();
    const original = indexEntries(join(path, `index.${tid}`));
    damage(path, tid);
    const warnings: string[] = [];
    const repo = await LocalRepository.open(path, { onWarning: (m) => warnings.push(m) });
    assert.equal(await repo.len(), dump.index.num_entries);
    await repo.close();
    assert.deepEqual(indexEntries(join(path, `index.${tid}`)), original);
    // Same operations in the same order give the same hash table: the file is borg's, byte for byte.
    assert.ok(readFileSync(join(path, `index.${tid}`)).equals(originalBytes), 'replayed index.T differs from borg\'s');
    assert.equal((integrityOf()['index'] as Buffer).toString(), originalIndexIntegrity);
    assert.equal(integrityOf()['version'], 2);
    const hints = decodeHints(readFileSync(join(path, `hints.${tid}`)));
    assert.equal(hints.version, 2);
    if (hints.version === 2) {
      assert.deepEqual(Object.fromEntries([...hints.hints.segments].map(([k, v]) => [String(k), v])), dump.hints.segments);
      assert.equal(hints.hints.storageQuotaUse, dump.hints.storage_quota_use);
    }
    assert.deepEqual(readdirSync(path).filter((n) => /^(index|hints|integrity)\./.test(n)).sort(), [`hints.${tid}`, `index.${tid}`, `integrity.${tid}`]);
    assert.equal(borgCheck(path, borgEnv(tmp, name)), '');
  } finally {
    removeTemp(tmp);
  }
}

for (const name of VECTOR_REPOS) {
  test(`${name}: without index files the index is replayed, equal to borg's, and borg check passes`, async () => {
    await rebuildAndCompare(name, (path) => {
      for (const n of readdirSync(path)) if (/^(index|hints|integrity)\./.test(n)) unlinkSync(join(path, n));
    });
  });
}

test('a truncated-to-empty index counts as missing and is replayed', async () => {
  await rebuildAndCompare('repo-repokey', (path, tid) => truncateSync(join(path, `index.${tid}`), 0));
});

test('a truncated index fails its checks and is rebuilt', async () => {
  await rebuildAndCompare('repo-none', (path, tid) => truncateSync(join(path, `index.${tid}`), 20000));
});

test('an index with a flipped byte fails the integrity check and is rebuilt', async () => {
  await rebuildAndCompare('repo-keyfile-blake2', (path, tid) => {
    const file = join(path, `index.${tid}`);
    const bytes = readFileSync(file);
    bytes[30000] = bytes[30000]! ^ 1;
    writeFileSync(file, bytes);
  });
});

test('corrupt hints are noticed when a transaction starts: index and hints are replayed', async () => {
  const tmp = makeTempDir();
  try {
    const dump = loadDump('repo-authenticated-blake2');
    const path = copyVectorRepo('repo-authenticated-blake2', tmp);
    const original = indexEntries(join(path, 'index.5'));
    writeFileSync(join(path, 'hints.5'), 'not msgpack at all');
    const warnings: string[] = [];
    const repo = await LocalRepository.open(path, { exclusive: true, onWarning: (m) => warnings.push(m) });
    await repo.commit({ compact: false });
    await repo.close();
    assert.ok(warnings.some((w) => /hints/.test(w)), warnings.join('; '));
    assert.deepEqual(indexEntries(join(path, 'index.6')), original);
    const hints = decodeHints(readFileSync(join(path, 'hints.6')));
    assert.ok(hints.version === 2);
    assert.deepEqual(Object.fromEntries([...hints.hints.segments].map(([k, v]) => [String(k), v])), { ...dump.hints.segments, 6: 0 });
    assert.equal(borgCheck(path, borgEnv(tmp, 'repo-authenticated-blake2')), '');
  } finally {
    removeTemp(tmp);
  }
});

test('an index newer than the last committed segment is rebuilt from scratch', async () => {
  await rebuildAndCompare('repo-repokey-blake2', (path, tid) => {
    for (const kind of ['index', 'hints', 'integrity']) renameSync(join(path, `${kind}.${tid}`), join(path, `${kind}.${tid + 10}`));
  });
});

test('a stale index (crash between commit and index write) is brought up to date by replay', async () => {
  const tmp = makeTempDir();
  try {
    const path = copyVectorRepo('repo-extra', tmp);
    const oldFiles = ['index', 'hints', 'integrity'].map((k) => [k, readFileSync(join(path, `${k}.21`))] as const);
    const repo = await LocalRepository.open(path, { exclusive: true });
    const manifestId = Buffer.alloc(32);
    const manifest = await repo.get(manifestId);
    await repo.delete(manifestId);
    await repo.put(manifestId, manifest);
    await repo.commit({ compact: false });
    await repo.close();
    const tid = Math.max(...readdirSync(path).filter((n) => n.startsWith('index.')).map((n) => Number(n.slice(6))));
    assert.equal(tid, 24); // DELETE and PUT of the manifest each start a segment, the COMMIT another one
    const expected = indexEntries(join(path, `index.${tid}`));
    for (const k of ['index', 'hints', 'integrity']) unlinkSync(join(path, `${k}.${tid}`));
    for (const [k, bytes] of oldFiles) writeFileSync(join(path, `${k}.21`), bytes);
    const reopened = await LocalRepository.open(path);
    assert.deepEqual(await reopened.get(manifestId), manifest);
    await reopened.close();
    assert.deepEqual(indexEntries(join(path, `index.${tid}`)), expected);
    assert.equal(borgCheck(path, borgEnv(tmp, 'repo-extra'), ['--verify-data']), '');
  } finally {
    removeTemp(tmp);
  }
});

test('an index without any committed segment is CheckNeeded', async () => {
  const tmp = makeTempDir();
  try {
    const path = copyVectorRepo('repo-none', tmp);
    rmSync(join(path, 'data', '0'), { recursive: true });
    mkdirSync(join(path, 'data', '0'));
    const repo = await LocalRepository.open(path);
    await assert.rejects(repo.len(), { code: 'CheckNeeded' });
    await repo.close();
  } finally {
    removeTemp(tmp);
  }
});
