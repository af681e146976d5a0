// LocalRepository basics: create/open refusals, file modes, keys, nonces, destroy, queued calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRepository } from '../../src/repository/local-repository.js';
import { ATTIC_MAGIC } from '../../src/repository/segment-format.js';
import { borgEnv, copyVectorRepo, makeTempDir, removeTemp, runBorg, runBorgPython } from './repo-fixtures.js';

test('create refuses existing repositories, non-empty paths, nesting and missing parents', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'repo');
    await (await LocalRepository.create(path)).close();
    assert.equal(readFileSync(join(path, 'README'), 'utf8'), 'This is a Borg Backup repository.\nSee https://borgbackup.readthedocs.io/\n');
    await assert.rejects(LocalRepository.create(path), { code: 'AlreadyExists' });
    await assert.rejects(LocalRepository.create(join(path, 'data', 'inner')), { code: 'AlreadyExists' });
    mkdirSync(join(tmp, 'full'));
    writeFileSync(join(tmp, 'full', 'x'), '');
    await assert.rejects(LocalRepository.create(join(tmp, 'full')), { code: 'PathAlreadyExists' });
    await assert.rejects(LocalRepository.create(join(tmp, 'full', 'x')), { code: 'PathAlreadyExists' });
    await assert.rejects(LocalRepository.create(join(tmp, 'no', 'such', 'repo')), { code: 'ParentPathDoesNotExist' });
    await (await LocalRepository.create(join(tmp, 'made', 'parents', 'repo'), { makeParentDirs: true })).close();
    mkdirSync(join(tmp, 'empty'));
    await (await LocalRepository.create(join(tmp, 'empty'))).close();
  } finally {
    removeTemp(tmp);
  }
});

test('open refuses missing paths, non-repositories and Attic repositories', async () => {
  const tmp = makeTempDir();
  try {
    await assert.rejects(LocalRepository.open(join(tmp, 'nothing')), { code: 'DoesNotExist' });
    mkdirSync(join(tmp, 'plain'));
    await assert.rejects(LocalRepository.open(join(tmp, 'plain')), { code: 'InvalidRepository' });
    assert.equal(existsSync(join(tmp, 'plain', 'lock.exclusive')), false, 'the lock is released again');
    const path = copyVectorRepo('repo-none', tmp);
    const seg = join(path, 'data', '0', '5');
    writeFileSync(seg, Buffer.concat([ATTIC_MAGIC, readFileSync(seg).subarray(8)]));
    await assert.rejects(LocalRepository.open(path), { code: 'AtticRepository' });
  } finally {
    removeTemp(tmp);
  }
});

test('created files follow the umask (default 0o077)', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'repo');
    const repo = await LocalRepository.create(path, { umask: 0o027 });
    await repo.put(Buffer.alloc(32), Buffer.from('m'));
    await repo.commit();
    await repo.close();
    assert.equal(statSync(path).mode & 0o777, 0o750);
    assert.equal(statSync(join(path, 'data', '0')).mode & 0o777, 0o750);
    assert.equal(statSync(join(path, 'config')).mode & 0o777, 0o640);
    assert.equal(statSync(join(path, 'data', '0', '0')).mode & 0o777, 0o640);
    const other = join(tmp, 'other');
    await (await LocalRepository.create(other)).close();
    assert.equal(statSync(join(other, 'config')).mode & 0o777, 0o600);
  } finally {
    removeTemp(tmp);
  }
});

test('loadKey and saveKey keep borg\'s config format; borg still opens the repository', async () => {
  const tmp = makeTempDir();
  try {
    const path = copyVectorRepo('repo-repokey', tmp);
    const before = readFileSync(join(path, 'config'), 'utf8');
    const repo = await LocalRepository.open(path, { exclusive: true });
    const key = await repo.loadKey();
    assert.match(key.toString(), /^hqlhbGdvcml0aG2m[A-Za-z0-9+/=\n]+$/);
    await repo.saveKey(key);
    await repo.close();
    assert.equal(readFileSync(join(path, 'config'), 'utf8'), before);
    assert.equal(runBorg(['list', '--short', path], borgEnv(tmp, 'repo-repokey')).stdout, 'vector-archive\n');
    const none = await LocalRepository.open(copyVectorRepo('repo-none', tmp));
    assert.equal((await none.loadKey()).length, 0);
    await none.close();
  } finally {
    removeTemp(tmp);
  }
});

test('nonce reservation is a compare-and-swap on the nonce file and needs the exclusive lock', async () => {
  const tmp = makeTempDir();
  try {
    const path = copyVectorRepo('repo-repokey', tmp);
    const stored = BigInt(`0x${readFileSync(join(path, 'nonce'), 'latin1')}`);
    const shared = await LocalRepository.open(path);
    await assert.rejects(shared.getFreeNonce());
    await shared.close();
    const repo = await LocalRepository.open(path, { exclusive: true });
    assert.equal(await repo.getFreeNonce(), stored);
    await assert.rejects(repo.commitNonceReservation(stored + 10n, stored - 1n), { code: 'NonceReservationMismatch' });
    await repo.commitNonceReservation(stored + 0x1000n, stored);
    assert.equal(readFileSync(join(path, 'nonce'), 'latin1'), (stored + 0x1000n).toString(16).padStart(16, '0'));
    await repo.close();
    const py = runBorgPython(`
from borg.repository import Repository
with Repository(${JSON.stringify(path)}, exclusive=True) as r:
    print(r.get_free_nonce())
`);
    assert.equal(py.stdout.trim(), String(stored + 0x1000n), py.stderr);
    const fresh = await LocalRepository.create(join(tmp, 'fresh'));
    assert.equal(await fresh.getFreeNonce(), null);
    await fresh.commitNonceReservation(5n, null);
    assert.equal(await fresh.getFreeNonce(), 5n);
    await fresh.close();
  } finally {
    removeTemp(tmp);
  }
});

test('calls fired without awaiting run in order; getMany keeps the order of ids', async () => {
  const tmp = makeTempDir();
  try {
    const repo = await LocalRepository.create(join(tmp, 'repo'));
    const objects = Array.from({ length: 30 }, (_, i) => [randomBytes(32), randomBytes(100 + i)] as const);
    await Promise.all(objects.map(([id, data]) => repo.put(id, data)));
    const ids = objects.map(([id]) => id);
    const got: Buffer[] = [];
    for await (const d of repo.getMany(ids)) got.push(d);
    assert.deepEqual(got, objects.map(([, d]) => d));
    await Promise.all([repo.delete(ids[0]!), repo.commit({ compact: false }), repo.len().then((n) => assert.equal(n, 29))]);
    assert.deepEqual((await repo.scan()).map((b) => b.toString('hex')), ids.slice(1).map((b) => b.toString('hex')));
    await repo.close();
    await repo.close();
    await assert.rejects(repo.len(), /closed/);
  } finally {
    removeTemp(tmp);
  }
});

test('destroy removes the repository; breakLock removes foreign locks', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'repo');
    const repo = await LocalRepository.create(path);
    await repo.destroy();
    assert.equal(existsSync(path), false);
    const locked = copyVectorRepo('repo-none', tmp);
    mkdirSync(join(locked, 'lock.exclusive'));
    writeFileSync(join(locked, 'lock.exclusive', 'elsewhere@1.123-0'), '');
    await assert.rejects(LocalRepository.open(locked, { lockWait: 0.2 }), { code: 'LockTimeout' });
    const unlocked = await LocalRepository.open(locked, { lock: false });
    await unlocked.breakLock();
    await unlocked.close();
    await (await LocalRepository.open(locked, { lockWait: 0.2 })).close();
  } finally {
    removeTemp(tmp);
  }
});

test('exclusive: null opens shared and upgrades when a write starts (borg\'s old-client mode)', async () => {
  const tmp = makeTempDir();
  try {
    const path = copyVectorRepo('repo-none', tmp);
    const repo = await LocalRepository.open(path, { exclusive: null });
    assert.ok(readFileSync(join(path, 'lock.roster'), 'utf8').includes('"shared"'));
    await repo.put(Buffer.alloc(32), await repo.get(Buffer.alloc(32)));
    assert.equal(existsSync(join(path, 'lock.exclusive')), true);
    await repo.commit({ compact: false });
    await repo.close();
    assert.equal(existsSync(join(path, 'lock.roster')), false);
    const reader = await LocalRepository.open(path, { exclusive: false });
    await assert.rejects(reader.put(Buffer.alloc(32), Buffer.from('x')), /shared lock/);
    await reader.close();
  } finally {
    removeTemp(tmp);
  }
});
