// Writing through LocalRepository, checked by real borg: re-putting the objects of borg's own
// repositories keeps every archive intact, and repositories we create are read by borg's Repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LocalRepository } from '../../src/repository/local-repository.js';
import {
  borgCheck, borgEnv, copyVectorRepo, makeTempDir, removeTemp, runBorg, runBorgPython, type VectorRepo,
} from './repo-fixtures.js';

const MANIFEST_ID = Buffer.alloc(32);

function segmentFiles(repo: string): number[] {
  return readdirSync(join(repo, 'data')).flatMap((d) => readdirSync(join(repo, 'data', d)).map(Number)).sort((a, b) => a - b);
}

for (const name of ['repo-repokey-blake2', 'repo-keyfile-blake2'] as VectorRepo[]) {
  test(`${name}: re-put every object and the manifest, commit, compact: borg still verifies and extracts`, async () => {
    const tmp = makeTempDir();
    try {
      const path = copyVectorRepo(name, tmp);
      const env = borgEnv(tmp, name);
      const repo = await LocalRepository.open(path, { exclusive: true });
      const ids = await repo.list();
      for (const id of ids) await repo.put(id, await repo.get(id));
      const manifest = await repo.get(MANIFEST_ID);
      await repo.delete(MANIFEST_ID);
      await repo.put(MANIFEST_ID, manifest);
      await repo.commit({ compact: false });
      assert.equal(await repo.len(), ids.length);
      await repo.close();
      assert.equal(borgCheck(path, env, ['--verify-data']), '');

      // Now everything old is superseded: compaction must free segment 2 and friends.
      const before = segmentFiles(path);
      const again = await LocalRepository.open(path, { exclusive: true });
      await again.commit({ compact: true });
      await again.close();
      const after = segmentFiles(path);
      assert.ok(!after.includes(2) && after.length < before.length, `${before} -> ${after}`);
      assert.equal(borgCheck(path, env, ['--verify-data']), '');
      const list = runBorg(['list', '--short', path], env);
      assert.equal(list.stdout, 'vector-archive\n', list.stderr);
      const out = join(tmp, 'extract');
      mkdirSync(out);
      const ex = runBorg(['extract', `${path}::vector-archive`], env, out);
      assert.equal(ex.status, 0, ex.stderr);
      assert.equal(readFileSync(join(out, 'tree', 'small.txt'), 'utf8'), 'Hello, Borg!\n');
      assert.equal(statSync(join(out, 'tree', 'big-9m.bin')).size, 9449529);
    } finally {
      removeTemp(tmp);
    }
  });
}

const PY_READ = `
import sys, hashlib, json
from borg.repository import Repository
with Repository(sys.argv[1], exclusive=True) as r:
    objs = {bytes(i).hex(): hashlib.sha256(r.get(i)).hexdigest() for i in r.list()}
    print(json.dumps({'objects': objs, 'check': r.check(), 'len': len(r)}))
`;

function pyRead(path: string): { objects: Record<string, string>; check: boolean; len: number } {
  const r = runBorgPython(`import sys; sys.argv=['x', ${JSON.stringify(path)}]\n${PY_READ}`);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { objects: Record<string, string>; check: boolean; len: number };
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('a repository we create is read and checked by borg\'s Repository, and borg\'s writes by us', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'new-repo');
    const repo = await LocalRepository.create(path);
    const expected: Record<string, string> = {};
    for (let i = 0; i < 40; i++) {
      const id = randomBytes(32);
      const data = randomBytes(i * 997);
      await repo.put(id, data);
      expected[id.toString('hex')] = sha(data);
    }
    await repo.put(MANIFEST_ID, Buffer.from('manifest v1'));
    expected[MANIFEST_ID.toString('hex')] = sha(Buffer.from('manifest v1'));
    await repo.commit({ compact: false });
    const gone = Object.keys(expected).slice(0, 5);
    for (const id of gone) {
      await repo.delete(Buffer.from(id, 'hex'));
      delete expected[id];
    }
    await repo.commit({ compact: false });
    const id = repo.id.toString('hex');
    await repo.close();
    assert.match(readFileSync(join(path, 'config'), 'utf8'), new RegExp(`^id = ${id}$`, 'm'));

    const seen = pyRead(path);
    assert.deepEqual(seen.objects, expected);
    assert.equal(seen.check, true);

    // borg writes (and compacts, which asserts that our segment counts are right); we read it back.
    const py = runBorgPython(`
import sys
from borg.repository import Repository
with Repository(${JSON.stringify(path)}, exclusive=True) as r:
    r.put(bytes(32), b'manifest v2')
    r.put(bytes([7]) * 32, b'from borg')
    r.delete(bytes.fromhex(${JSON.stringify(Object.keys(expected)[1])}))
    r.commit(compact=True, threshold=0.0)
    print(r.check())
`);
    assert.equal(py.status, 0, py.stderr);
    assert.equal(py.stdout.trim(), 'True');
    const reopened = await LocalRepository.open(path, { exclusive: true });
    assert.equal((await reopened.get(MANIFEST_ID)).toString(), 'manifest v2');
    assert.equal((await reopened.get(Buffer.alloc(32, 7))).toString(), 'from borg');
    assert.equal(await reopened.len(), Object.keys(expected).length);
    assert.equal(await reopened.check(), true);
    await reopened.close();
  } finally {
    removeTemp(tmp);
  }
});

test('objects of the open segment read back while a flush is still writing come back whole', async () => {
  // getMany reads several objects at once; the first read flushes what the writer buffered, and
  // the others must wait for that write rather than see a short segment. (A race: without the
  // protection this failed in 2 of 3 runs here; rounds make it likely.)
  const tmp = makeTempDir();
  try {
    const repo = await LocalRepository.create(join(tmp, 'repo'));
    for (let round = 0; round < 60; round++) {
      const objects: Buffer[] = [];
      const ids: Buffer[] = [];
      // Less than the writer's flush threshold, so all of it is still buffered.
      for (let i = 0; i < 12; i++) {
        const data = randomBytes(60_000 + i * 1000);
        objects.push(data);
        ids.push(createHash('sha256').update(data).digest());
        await repo.put(ids[i]!, data);
      }
      let i = 0;
      for await (const got of repo.getMany([...ids].reverse())) assert.ok(got.equals(objects[objects.length - 1 - i++]!), `round ${round}: same bytes`);
    }
    await repo.commit({ compact: false });
    await repo.close();
  } finally {
    removeTemp(tmp);
  }
});
