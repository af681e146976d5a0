// Crash safety: garbage after the last COMMIT is ignored and later cleaned up, and a writer that dies
// before committing leaves the last committed state readable, for us and for real borg.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalRepository } from '../../src/repository/local-repository.js';
import { encodeDelete, MAGIC } from '../../src/repository/segment-format.js';
import { borgCheck, borgEnv, copyVectorRepo, hexId, loadDump, makeTempDir, removeTemp, runBorg } from './repo-fixtures.js';

const CHILD = fileURLToPath(new URL('./writer-child.ts', import.meta.url));
const MANIFEST_ID = Buffer.alloc(32);

async function listHex(path: string, exclusive = false): Promise<string[]> {
  const repo = await LocalRepository.open(path, { exclusive });
  try {
    return (await repo.list()).map((b) => b.toString('hex')).sort();
  } finally {
    await repo.close();
  }
}

test('garbage segments after the last COMMIT are ignored, then removed by the next write', async () => {
  const tmp = makeTempDir();
  try {
    const dump = loadDump('repo-none');
    const path = copyVectorRepo('repo-none', tmp);
    const expected = dump.index.entries.map((e) => e.id.slice(4)).sort();
    // An interrupted transaction: a lone DELETE of a live object, then half an entry.
    writeFileSync(join(path, 'data', '0', '6'), Buffer.concat([MAGIC, encodeDelete(hexId(dump.index.entries[3]!.id))]));
    writeFileSync(join(path, 'data', '0', '7'), Buffer.concat([MAGIC, randomBytes(30)]));
    assert.deepEqual(await listHex(path), expected);
    assert.equal(borgCheck(path, borgEnv(tmp, 'repo-none')), '');

    const repo = await LocalRepository.open(path, { exclusive: true });
    await repo.put(MANIFEST_ID, await repo.get(MANIFEST_ID));
    await repo.commit({ compact: false });
    await repo.close();
    // 6 and 7 were replaced: DELETE and PUT of the manifest, then the COMMIT in 8.
    assert.deepEqual(readdirSync(join(path, 'data', '0')).map(Number).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(readFileSync(join(path, 'data', '0', '6')), Buffer.concat([MAGIC, encodeDelete(MANIFEST_ID)]));
    assert.deepEqual(await listHex(path), expected);
    assert.equal(borgCheck(path, borgEnv(tmp, 'repo-none'), ['--verify-data']), '');
  } finally {
    removeTemp(tmp);
  }
});

test('closing without commit keeps the committed state', async () => {
  const tmp = makeTempDir();
  try {
    const path = copyVectorRepo('repo-repokey', tmp);
    const before = await listHex(path);
    const repo = await LocalRepository.open(path, { exclusive: true });
    await repo.put(randomBytes(32), randomBytes(1000));
    await repo.delete(MANIFEST_ID);
    await assert.rejects(repo.get(MANIFEST_ID), { code: 'ObjectNotFound' });
    await repo.close();
    assert.deepEqual(await listHex(path), before);
    assert.equal(borgCheck(path, borgEnv(tmp, 'repo-repokey')), '');
  } finally {
    removeTemp(tmp);
  }
});

test('a writer killed before commit: stale lock broken, committed state intact for borg and us', async () => {
  const tmp = makeTempDir();
  try {
    const path = copyVectorRepo('repo-repokey-blake2', tmp);
    const before = await listHex(path);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.ok(existsSync(join(path, 'lock.exclusive')), 'the dead writer left its lock');
    assert.ok(readdirSync(join(path, 'data', '0')).includes('6'), 'the dead writer left segment 6');

    // borg breaks the stale lock of a dead process on this host, as we do.
    const env = borgEnv(tmp, 'repo-repokey-blake2');
    assert.equal(borgCheck(path, env), '');
    assert.equal(runBorg(['list', '--short', path], env).stdout, 'vector-archive\n');
    assert.deepEqual(await listHex(path, true), before);
    assert.equal(existsSync(join(path, 'lock.exclusive')), false);
  } finally {
    removeTemp(tmp);
  }
});

test('a dead writer\'s lock is broken by us too', async () => {
  const tmp = makeTempDir();
  try {
    const path = copyVectorRepo('repo-none', tmp);
    const before = await listHex(path);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await assert.rejects(LocalRepository.open(path, { exclusive: true, lockWait: 0.3 }), { code: 'LockTimeout' });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const repo = await LocalRepository.open(path, { exclusive: true, lockWait: 1 });
    assert.deepEqual((await repo.list()).map((b) => b.toString('hex')).sort(), before);
    await repo.put(MANIFEST_ID, await repo.get(MANIFEST_ID)); // starts a transaction: cleans up segment 6
    await repo.commit({ compact: false });
    await repo.close();
    assert.equal(borgCheck(path, borgEnv(tmp, 'repo-none'), ['--verify-data']), '');
  } finally {
    removeTemp(tmp);
  }
});
