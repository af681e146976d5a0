// Append-only mode, storage quota and the free-space check before commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig, saveConfig, SECTION } from '../../src/repository/config.js';
import { LocalRepository } from '../../src/repository/local-repository.js';
import { makeTempDir, removeTemp, runBorgPython } from './repo-fixtures.js';

const MANIFEST_ID = Buffer.alloc(32);

function segments(repo: string): string[] {
  return readdirSync(join(repo, 'data')).flatMap((d) => readdirSync(join(repo, 'data', d))).sort();
}

test('append-only: deletes are logical, compaction and destroy are refused, transactions are logged', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'repo');
    const repo = await LocalRepository.create(path, { appendOnly: true });
    assert.match(readFileSync(join(path, 'config'), 'utf8'), /^append_only = 1$/m);
    const a = randomBytes(32);
    await repo.put(a, randomBytes(5000));
    await repo.put(MANIFEST_ID, Buffer.from('m1'));
    await repo.commit();
    const before = segments(path);
    await repo.delete(a);
    await repo.put(MANIFEST_ID, Buffer.from('m2'));
    await repo.commit({ compact: true, threshold: 0 });
    const after = segments(path);
    assert.ok(before.every((s) => after.includes(s)), 'no segment was removed');
    await assert.rejects(repo.get(a), { code: 'ObjectNotFound' });
    await assert.rejects(repo.destroy(), { code: 'RepositoryAppendOnly' });
    await assert.rejects(repo.check({ repair: true }), { code: 'RepositoryAppendOnly' });
    await repo.close();
    const lines = readFileSync(join(path, 'transactions'), 'utf8').split('\n').filter(Boolean);
    assert.equal(lines.length, 2);
    for (const l of lines) assert.match(l, /^transaction \d+, UTC time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    const py = runBorgPython(`
from borg.repository import Repository
with Repository(${JSON.stringify(path)}, exclusive=True) as r:
    print(r.append_only, r.check(), len(r))
`);
    assert.equal(py.stdout.trim(), 'True True 1', py.stderr);
  } finally {
    removeTemp(tmp);
  }
});

test('appendOnly passed to open overrides a normal config', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'repo');
    await (await LocalRepository.create(path)).close();
    const repo = await LocalRepository.open(path, { exclusive: true, appendOnly: true });
    assert.equal(repo.appendOnly, true);
    await assert.rejects(repo.destroy(), { code: 'RepositoryAppendOnly' });
    await repo.close();
  } finally {
    removeTemp(tmp);
  }
});

test('exceeding the storage quota dooms the transaction', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'repo');
    const repo = await LocalRepository.create(path, { storageQuota: 100_000 });
    assert.match(readFileSync(join(path, 'config'), 'utf8'), /^storage_quota = 100000$/m);
    await repo.put(randomBytes(32), randomBytes(60_000));
    await assert.rejects(repo.put(randomBytes(32), randomBytes(60_000)), { code: 'StorageQuotaExceeded' });
    await assert.rejects(repo.commit(), { code: 'StorageQuotaExceeded' });
    assert.equal(await repo.len(), 0);
    await repo.put(randomBytes(32), randomBytes(10_000));
    await repo.commit();
    assert.equal(await repo.len(), 1);
    await repo.close();
    // The opener's quota overrides the config (borg serve --storage-quota).
    const strict = await LocalRepository.open(path, { exclusive: true, storageQuota: 5_000 });
    await assert.rejects(strict.put(randomBytes(32), Buffer.alloc(10)), { code: 'StorageQuotaExceeded' });
    await strict.close();
  } finally {
    removeTemp(tmp);
  }
});

test('not enough free space: the transaction is rolled back and its segments removed', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'repo');
    const repo = await LocalRepository.create(path);
    await repo.put(MANIFEST_ID, Buffer.from('m1'));
    await repo.commit();
    await repo.close();
    const committed = segments(path);
    const ini = readConfig(path);
    ini.set(SECTION, 'additional_free_space', '1000P');
    saveConfig(path, ini, 0o600);
    const full = await LocalRepository.open(path, { exclusive: true });
    await full.put(MANIFEST_ID, Buffer.from('m2'));
    await assert.rejects(full.commit(), { code: 'InsufficientFreeSpaceError' });
    assert.equal((await full.get(MANIFEST_ID)).toString(), 'm1');
    await full.close();
    assert.deepEqual(segments(path), committed);

    // Only a repository created by the same session is removed on this error, never an existing one.
    const fresh = join(tmp, 'fresh');
    await (await LocalRepository.create(fresh)).close();
    const ini2 = readConfig(fresh);
    ini2.set(SECTION, 'additional_free_space', '1000P');
    saveConfig(fresh, ini2, 0o600);
    const again = await LocalRepository.open(fresh, { exclusive: true });
    await again.put(MANIFEST_ID, Buffer.from('m'));
    await assert.rejects(again.commit(), { code: 'InsufficientFreeSpaceError' });
    await again.close();
    assert.equal(existsSync(join(fresh, 'config')), true);
  } finally {
    removeTemp(tmp);
  }
});
