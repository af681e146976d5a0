// `borg-ts compact` (test/cli/prune.test.ts compares the freed space with borg's): an append-only
// repository keeps every segment, --threshold 100 leaves even fully freeable segments alone,
// --dry-run changes nothing, and real borg checks the repository after each step.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { Sandbox, treeDigest } from '../interop/tools.js';
import { borgBatch, runBorgTs } from './maintenance-tools.js';

/** Segment file -> size. */
function segments(repo: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const dir of readdirSync(join(repo, 'data'))) {
    for (const name of readdirSync(join(repo, 'data', dir))) result.set(`${dir}/${name}`, statSync(join(repo, 'data', dir, name)).size);
  }
  return result;
}

/** A repository with two archives of 200 kB each, the first one deleted again (by real borg). */
function repositoryWithGarbage(box: Sandbox, name: string, initArgs: string[]): string {
  const repo = box.path(name);
  const src = box.path(`${name}-src`);
  mkdirSync(src);
  writeFileSync(join(src, 'one'), randomBytes(200_000));
  const jobs = [
    { argv: ['init', ...initArgs, repo] },
    { argv: ['create', `${repo}::one`, `${name}-src`] },
  ];
  for (const r of borgBatch(jobs, box.env, box.dir)) assert.equal(r.rc, 0, r.stderr);
  writeFileSync(join(src, 'one'), randomBytes(200_000));
  const later = borgBatch([{ argv: ['create', `${repo}::two`, `${name}-src`] }, { argv: ['delete', `${repo}::one`] }], box.env, box.dir);
  for (const r of later) assert.equal(r.rc, 0, r.stderr);
  return repo;
}

function assertBorgCheck(box: Sandbox, repo: string): void {
  const [check] = borgBatch([{ argv: ['check', '--verify-data', repo] }], box.env, box.dir);
  assert.deepEqual([check!.rc, check!.stderr], [0, ''], 'borg check');
}

describe('borg-ts compact', () => {
  const box = new Sandbox({ BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' });
  after(() => box.cleanup());

  it('frees a deleted archive, but not below --threshold and not with --dry-run', async () => {
    const repo = repositoryWithGarbage(box, 'plain', ['-e', 'repokey']);
    const digest = treeDigest(repo);
    assert.deepEqual(await runBorgTs(['compact', '--dry-run', repo], box.env), { code: 0, stdout: '', stderr: '' });
    assert.equal(treeDigest(repo), digest, '--dry-run changes nothing');

    const before = segments(repo);
    assert.equal((await runBorgTs(['compact', '--threshold', '100', repo], box.env)).code, 0);
    const kept = segments(repo);
    for (const [name, size] of before) assert.equal(kept.get(name), size, `${name} stays with --threshold 100`);
    assertBorgCheck(box, repo);

    assert.equal((await runBorgTs(['compact', '--cleanup-commits', repo], box.env)).code, 0);
    const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    assert.ok(total(before) - total(segments(repo)) > 190_000, 'the deleted archive\'s data is gone');
    assertBorgCheck(box, repo);
  });

  it('never shrinks an append-only repository', async () => {
    const repo = repositoryWithGarbage(box, 'append-only', ['-e', 'none', '--append-only']);
    const before = segments(repo);
    const transactions = readFileSync(join(repo, 'transactions'), 'utf8');
    const r = await runBorgTs(['compact', '--cleanup-commits', '--threshold', '0', repo], box.env);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
    const afterwards = segments(repo);
    for (const [name, size] of before) assert.equal(afterwards.get(name), size, `${name} is untouched`);
    assert.ok(readFileSync(join(repo, 'transactions'), 'utf8').startsWith(transactions), 'the transaction log only grows');
    assertBorgCheck(box, repo);
  });

  it('fails with one line for a missing repository', async () => {
    const r = await runBorgTs(['compact', box.path('missing')], box.env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^[^\n]*does not exist\n$/);
  });
});
