// Compaction: frees superseded data, keeps the bookkeeping exact (borg's own compaction and check
// run on the result), survives segment overflow with intermediate commits, cleans commit-only files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig, saveConfig, SECTION } from '../../src/repository/config.js';
import { decodeHints } from '../../src/repository/hints.js';
import { LocalRepository } from '../../src/repository/local-repository.js';
import { COMMIT_ENTRY } from '../../src/repository/segment-format.js';
import { borgCheck, borgEnv, copyVectorRepo, makeTempDir, removeTemp, runBorg, runBorgPython } from './repo-fixtures.js';

function segments(repo: string): number[] {
  return readdirSync(join(repo, 'data')).flatMap((d) => readdirSync(join(repo, 'data', d)).map(Number)).sort((a, b) => a - b);
}

function hintsOf(repo: string): { segments: Map<number, number>; compact: Map<number, number>; storageQuotaUse: number; shadowIndex: Map<string, number[]> } {
  const tid = Math.max(...readdirSync(repo).filter((n) => /^hints\.\d+$/.test(n)).map((n) => Number(n.slice(6))));
  const h = decodeHints(readFileSync(join(repo, `hints.${tid}`)));
  assert.ok(h.version === 2);
  return h.hints;
}

function pyCheckAndCompact(path: string): string {
  const r = runBorgPython(`
from borg.repository import Repository
with Repository(${JSON.stringify(path)}, exclusive=True) as r:
    ok = r.check()
    r.put(bytes(32), b'manifest from borg')
    r.commit(compact=True, threshold=0.0)
    print(ok, r.check(), len(r))
`);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('compaction with small segments: intermediate commits, exact counts, borg agrees', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'repo');
    await (await LocalRepository.create(path)).close();
    const ini = readConfig(path);
    ini.set(SECTION, 'max_segment_size', '20000');
    saveConfig(path, ini, 0o600);

    const repo = await LocalRepository.open(path, { exclusive: true });
    const kept = new Map<string, string>();
    const ids: Buffer[] = [];
    for (let i = 0; i < 60; i++) {
      const id = randomBytes(32);
      const data = randomBytes(3000 + i * 10);
      await repo.put(id, data);
      ids.push(id);
      kept.set(id.toString('hex'), createHash('sha256').update(data).digest('hex'));
    }
    await repo.put(Buffer.alloc(32), Buffer.from('manifest'));
    await repo.commit({ compact: false });
    for (const id of ids.filter((_, i) => i % 3 !== 0)) {
      await repo.delete(id);
      kept.delete(id.toString('hex'));
    }
    await repo.commit({ compact: false });
    const before = segments(path);
    const quotaBefore = hintsOf(path).storageQuotaUse;
    await repo.commit({ compact: true, threshold: 0.1 });
    const after = segments(path);
    assert.ok(after.length < before.length, `${before.length} -> ${after.length} segments`);
    // Copies overflowed the 20 kB segments: intermediate commits end segments that also hold data.
    const intermediate = after.filter((seg) => {
      const bytes = readFileSync(join(path, 'data', '0', String(seg)));
      return bytes.length > 17 && bytes.subarray(-9).equals(COMMIT_ENTRY);
    });
    assert.ok(intermediate.length >= 2, `segments with intermediate commits: ${intermediate}`);
    const h = hintsOf(path);
    assert.ok(h.storageQuotaUse < quotaBefore / 2);
    for (const [id, digest] of kept) {
      assert.equal(createHash('sha256').update(await repo.get(Buffer.from(id, 'hex'))).digest('hex'), digest);
    }
    assert.equal(await repo.len(), kept.size + 1);
    assert.equal(await repo.check(), true);
    await repo.close();
    // Live counts per segment must equal what a replay finds, or borg's compaction asserts.
    for (const [seg, count] of h.segments) assert.ok(count >= 0 && after.includes(seg), `segment ${seg}: ${count}`);
    assert.equal(pyCheckAndCompact(path), `True True ${kept.size + 1}`);
  } finally {
    removeTemp(tmp);
  }
});

test('cleanupCommits removes the commit-only segments left by many commits', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'repo');
    const repo = await LocalRepository.create(path);
    for (let i = 0; i < 5; i++) {
      await repo.put(Buffer.alloc(32), Buffer.from(`manifest ${i}`));
      await repo.commit({ compact: false });
    }
    const small = (): number => segments(path).filter((s) => statSync(join(path, 'data', '0', String(s))).size === 17).length;
    assert.equal(small(), 5);
    await repo.commit({ compact: true, cleanupCommits: true });
    assert.equal(small(), 1);
    assert.equal((await repo.get(Buffer.alloc(32))).toString(), 'manifest 4');
    await repo.close();
    assert.equal(pyCheckAndCompact(path), 'True True 1');
  } finally {
    removeTemp(tmp);
  }
});

test('compacting borg\'s repo-extra (deleted archive, renamed one) keeps it valid for borg', async () => {
  const tmp = makeTempDir();
  try {
    const path = copyVectorRepo('repo-extra', tmp);
    const env = borgEnv(tmp, 'repo-extra');
    const archives = runBorg(['list', '--short', path], env).stdout;
    const quotaBefore = hintsOf(path).storageQuotaUse;
    const before = segments(path).length;
    const repo = await LocalRepository.open(path, { exclusive: true });
    await repo.commit({ compact: true });
    await repo.close();
    assert.ok(segments(path).length < before);
    const h = hintsOf(path);
    assert.ok(h.storageQuotaUse < quotaBefore);
    // Shadow entries may only name segments that still exist (the PUTs they hide).
    const left = segments(path);
    for (const segs of h.shadowIndex.values()) for (const s of segs) assert.ok(left.includes(s), `shadowed segment ${s} is gone`);
    assert.equal(borgCheck(path, env, ['--verify-data']), '');
    assert.equal(runBorg(['list', '--short', path], env).stdout, archives);
    const compact = runBorg(['compact', path], env);
    assert.equal(compact.status, 0, compact.stderr);
  } finally {
    removeTemp(tmp);
  }
});
