// The repository part of check: CRCs, index against replay, repair, partial checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NSIndex } from '../../src/format/hashindex.js';
import { readConfig, SECTION } from '../../src/repository/config.js';
import { LocalRepository } from '../../src/repository/local-repository.js';
import type { CheckFinding } from '../../src/repository/repository.js';
import { borgEnv, copyVectorRepo, makeTempDir, removeTemp, runBorg, runBorgPython } from './repo-fixtures.js';

async function check(path: string, options: { repair?: boolean; maxDuration?: number } = {}): Promise<{ ok: boolean; errors: string[] }> {
  const findings: CheckFinding[] = [];
  const repo = await LocalRepository.open(path, { exclusive: true });
  try {
    const ok = await repo.check({ ...options, onFinding: (f) => findings.push(f) });
    return { ok, errors: findings.filter((f) => f.level === 'error').map((f) => f.message) };
  } finally {
    await repo.close();
  }
}

function pyCheck(path: string): string {
  const r = runBorgPython(`
from borg.repository import Repository
with Repository(${JSON.stringify(path)}, exclusive=True) as r:
    print(r.check(), len(r))
`);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/** A repository of our own with `n` objects in segment 0, committed in segment 1. */
async function smallRepo(path: string, n: number): Promise<void> {
  const repo = await LocalRepository.create(path);
  for (let i = 0; i < n; i++) await repo.put(randomBytes(32), randomBytes(2000));
  await repo.commit({ compact: false });
  await repo.close();
}

test('check passes on borg\'s repositories, like borg check --repository-only', async () => {
  const tmp = makeTempDir();
  try {
    for (const name of ['repo-extra', 'repo-none'] as const) {
      const path = copyVectorRepo(name, tmp);
      assert.deepEqual(await check(path), { ok: true, errors: [] });
      const r = runBorg(['check', '--repository-only', path], borgEnv(tmp, name));
      assert.equal(r.status, 0, r.stderr);
    }
  } finally {
    removeTemp(tmp);
  }
});

test('a damaged entry is found, and repair drops it so that borg finds the repository consistent', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'repo');
    await smallRepo(path, 10);
    const seg = join(path, 'data', '0', '0');
    const bytes = readFileSync(seg);
    bytes[8 + 2041 * 4 + 100] ^= 0x55; // inside the fifth entry's data
    writeFileSync(seg, bytes);
    const found = await check(path);
    assert.equal(found.ok, false);
    assert.match(found.errors.join('\n'), /checksum mismatch/);
    const repaired = await check(path, { repair: true });
    assert.equal(repaired.ok, true);
    assert.deepEqual(await check(path), { ok: true, errors: [] });
    assert.equal(statSync(seg).size, bytes.length - 2041);
    assert.equal(pyCheck(path), 'True 9');
  } finally {
    removeTemp(tmp);
  }
});

test('an index that disagrees with the segments is an error; repair rewrites it', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'repo');
    await smallRepo(path, 5);
    const index = NSIndex.fromBytes(readFileSync(join(path, 'index.1')));
    index.delete([...index.entries()][0]![0]);
    writeFileSync(join(path, 'index.1'), index.toBytes());
    unlinkSync(join(path, 'integrity.1')); // unverifiable, so it is read as it is
    const found = await check(path);
    assert.equal(found.ok, false);
    assert.match(found.errors.join('\n'), /count mismatch/);
    assert.equal((await check(path, { repair: true })).ok, true);
    assert.equal(NSIndex.fromBytes(readFileSync(join(path, 'index.1'))).count, 5);
    assert.equal(pyCheck(path), 'True 5');
  } finally {
    removeTemp(tmp);
  }
});

test('entries the indexes place differently, or only one of them has, are listed as warnings', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'repo');
    await smallRepo(path, 5);
    const index = NSIndex.fromBytes(readFileSync(join(path, 'index.1')));
    const [[moved, segment, offset], [dropped, droppedSegment, droppedOffset]] = [...index.entries()] as [[Buffer, number, number], [Buffer, number, number]];
    const extra = randomBytes(32);
    index.set(moved, segment, offset + 8);
    index.delete(dropped);
    index.set(extra, 7, 99);
    writeFileSync(join(path, 'index.1'), index.toBytes());
    unlinkSync(join(path, 'integrity.1'));
    const findings: CheckFinding[] = [];
    const repo = await LocalRepository.open(path, { exclusive: true });
    try {
      await repo.check({ onFinding: (f) => findings.push(f) });
    } finally {
      await repo.close();
    }
    const warnings = findings.filter((f) => f.level === 'warning').map((f) => f.message).sort();
    assert.deepEqual(warnings, [
      `ID: ${moved.toString('hex')} rebuilt index: (${segment}, ${offset}) committed index: (${segment}, ${offset + 8})`,
      `ID: ${dropped.toString('hex')} rebuilt index: (${droppedSegment}, ${droppedOffset}) committed index: <not found>`,
      `ID: ${extra.toString('hex')} rebuilt index: <not found> committed index: (7, 99)`,
    ].sort());
    // Same count (one dropped, one added): no count mismatch error.
    assert.deepEqual(findings.filter((f) => f.level === 'error'), []);
  } finally {
    removeTemp(tmp);
  }
});

test('repair adds a COMMIT when none is left', async () => {
  const tmp = makeTempDir();
  try {
    const path = join(tmp, 'repo');
    await smallRepo(path, 3);
    unlinkSync(join(path, 'data', '0', '1'));
    const repo = await LocalRepository.open(path);
    await assert.rejects(repo.len(), { code: 'CheckNeeded' });
    await repo.close();
    const repaired = await check(path, { repair: true });
    assert.equal(repaired.ok, true);
    assert.match(repaired.errors.join('\n'), /Adding commit tag/);
    assert.equal(pyCheck(path), 'True 3');
  } finally {
    removeTemp(tmp);
  }
});

test('a partial check remembers the last segment checked, a full one forgets it', async () => {
  const tmp = makeTempDir();
  try {
    const path = copyVectorRepo('repo-extra', tmp);
    const last = (): string | undefined => readConfig(path).get(SECTION, 'last_segment_checked');
    assert.equal((await check(path, { maxDuration: 1e-9 })).ok, true);
    assert.equal(last(), '0');
    await check(path, { maxDuration: 1e-9 });
    assert.equal(last(), '1');
    await check(path);
    assert.equal(last(), undefined);
    assert.ok(!readdirSync(path).includes('config.old'));
  } finally {
    removeTemp(tmp);
  }
});
