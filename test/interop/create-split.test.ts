// A big file read by two workers at once (split into parts, src/archive/create/split-file.ts) is
// stored exactly as one sequential read stores it: real borg backing up the same file afterwards
// adds no data (same cut points, same ids), `borg check --verify-data` passes, `borg extract`
// gives the file back byte for byte, and no IV is used twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import { parseLocation } from '../../src/remote/location.js';
import { assertExit, Sandbox } from './tools.js';

/** 72 MiB (above two 32 MiB parts): random data, zero runs with a marker per MiB, then log text. */
function bigFile(path: string): Buffer {
  const part = 24 << 20;
  const random = createCipheriv('aes-256-ctr', Buffer.alloc(32, 3), Buffer.alloc(16)).update(Buffer.alloc(part));
  const zeros = Buffer.alloc(part);
  for (let mib = 0; mib < 24; mib++) zeros.write(`marker ${mib}`, (mib << 20) + ((mib * 7919) % 4096));
  const lines: string[] = [];
  for (let bytes = 0, i = 0; bytes < part; i++) {
    const line = `2026-11-22 07:${String(i % 60).padStart(2, '0')} host job[${i % 997}]: step ${i} done in ${(i * 37) % 1000} ms\n`;
    lines.push(line);
    bytes += line.length;
  }
  const text = Buffer.from(lines.join('')).subarray(0, part);
  const data = Buffer.concat([random, zeros, text]);
  writeFileSync(path, data);
  return data;
}

describe('a big file split among workers, judged by real borg', () => {
  let box: Sandbox;
  let data: Buffer;

  before(() => {
    box = new Sandbox({ TZ: 'UTC' });
    mkdirSync(box.path('tree'));
    data = bigFile(box.path('tree', 'big.img'));
    assertExit(box.borgTs(['init', '-e', 'repokey', 'repo']), 0, 'init');
    for (const workers of [1, 2]) cpSync(box.path('repo'), box.path(`repo-w${workers}`), { recursive: true });
    assertExit(box.borgTs(['create', '--workers', '2', 'repo::ts', 'tree']), 0, 'create');
  });
  after(() => box.cleanup());

  it('cuts where borg cuts: borg backing up the same file adds no data', () => {
    const env = box.with({ BORG_BASE_DIR: box.path('base-borg') });
    const run = box.borg(['create', '--json', 'repo::borg', 'tree'], { env });
    assertExit(run, 0, 'borg create');
    const stats = (JSON.parse(run.stdout) as { archive: { stats: { deduplicated_size: number; original_size: number } } }).archive.stats;
    // Original size counts the archive metadata object too.
    assert.ok(stats.original_size >= data.length && stats.original_size < data.length + 4096, `${stats.original_size}`);
    assert.ok(stats.deduplicated_size < 2000, `borg added ${stats.deduplicated_size} bytes: only its archive metadata is new`);
  });

  it('passes borg check --verify-data, and borg extract restores the file', () => {
    assertExit(box.borg(['check', '--verify-data', 'repo']), 0, 'borg check --verify-data');
    mkdirSync(box.path('out'));
    assertExit(box.borg(['extract', `${box.path('repo')}::ts`], { cwd: box.path('out') }), 0, 'borg extract');
    assert.ok(readFileSync(box.path('out', 'tree', 'big.img')).equals(data));
  });

  it('reports the same numbers as one worker (fresh copies of the same empty repository)', () => {
    const stats = (workers: number) => {
      const env = box.with({ BORG_BASE_DIR: box.path(`base-w${workers}`), BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' });
      const run = box.borgTs(['create', '--json', '--workers', String(workers), `repo-w${workers}::a`, 'tree'], { env });
      assertExit(run, 0, `create --workers ${workers}`);
      const out = JSON.parse(run.stdout) as { archive: { stats: Record<string, number> }; cache: { stats: Record<string, number> } };
      const { nfiles, original_size: originalSize } = out.archive.stats;
      const { total_chunks: chunks, total_unique_chunks: unique } = out.cache.stats;
      return { nfiles, originalSize, chunks, unique };
    };
    const two = stats(2);
    assert.equal(two.nfiles, 1);
    assert.deepEqual(two, stats(1));
  });

  it('uses no IV twice', async () => {
    const session = await RepositorySession.open(parseLocation(box.path('repo'), { env: box.env }), { env: box.env, confirm: confirmFromEnv(box.env), exclusive: false, operations: ['read'] });
    try {
      const seen = new Set<string>();
      for await (const envelope of session.repository.getMany(await session.repository.list())) {
        const iv = session.key.ivOf(envelope)!.toString();
        assert.ok(!seen.has(iv), `IV ${iv} used twice`);
        seen.add(iv);
      }
      assert.ok(seen.size > 20, `${seen.size} objects`);
    } finally {
      await session.close();
    }
  });
});
