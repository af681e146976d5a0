// --workers: the same results with one thread as with several. create's --stats and --json give
// the same numbers for a 1-worker and a 2-worker run of the same data into the same repository
// state (same key); the 2-worker run never uses an IV twice; extract and check --verify-data with
// 2 workers restore and verify what 1 worker does, and find the same damage.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { runCli } from '../../src/cli/main.js';
import { pseudoRandom } from '../helpers/tree-compare.js';
import { newTestRepo, openSession, type TestEnv, type TestRepo } from '../helpers/create-run.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: TestEnv, cwd: string): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { env, cwd, stdout: { write: (c) => (out.push(String(c)), true) }, stderr: { write: (c) => (err.push(String(c)), true) } });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Files of 1–30 KB (some repeated: workers race on the same new chunk), a 3 MB one, an empty one. */
function buildTree(root: string): void {
  for (let d = 0; d < 4; d++) mkdirSync(join(root, `d${d}`), { recursive: true });
  for (let i = 0; i < 400; i++) {
    const body = i % 7 === 0 ? pseudoRandom('shared', 12_000) : pseudoRandom(`f${i}`, 1000 + ((i * 7919) % 29_000));
    writeFileSync(join(root, `d${i % 4}`, `f${i}`), body);
  }
  writeFileSync(join(root, 'big'), Buffer.concat([pseudoRandom('big', 2_000_000), Buffer.alloc(1_000_000)]));
  writeFileSync(join(root, 'empty'), '');
}

function files(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(root, p), readFileSync(p));
    }
  };
  walk(root);
  return out;
}

/**
 * The --stats lines whose numbers do not depend on the archive metadata object (its TAM salt and
 * times make its compressed size differ between any two runs): file count and chunk counts.
 */
function statsLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^(Number of files:|\s*Unique chunks|Chunk index:)/.test(l));
}

/** Plaintext and stored size of an archive's metadata object. */
async function metadataObject(repo: TestRepo, archiveId: string): Promise<{ size: number; csize: number }> {
  const session = await openSession(repo);
  try {
    const id = Buffer.from(archiveId, 'hex');
    const envelope = await session.repository.get(id);
    return { size: session.codec.unpack(id, envelope).length, csize: envelope.length };
  } finally {
    await session.close();
  }
}

describe('--workers N gives the results of --workers 1', () => {
  let repo: TestRepo;
  const runs = new Map<number, { env: TestEnv; path: string; json: Record<string, any>; stats: string[]; metadata: { size: number; csize: number } }>();

  before(async () => {
    repo = await newTestRepo('repokey-blake2');
    buildTree(join(repo.dir, 'tree'));
    // One repository state (same id and key) for both worker counts, each with its own cache. The
    // paths have the same length: the command line is part of the archive metadata, which counts.
    for (const workers of [1, 2]) cpSync(repo.path, join(repo.dir, `repo-w${workers}`), { recursive: true });
    for (const workers of [1, 2]) {
      const path = join(repo.dir, `repo-w${workers}`);
      const env = { ...repo.env, BORG_BASE_DIR: join(repo.dir, `base-w${workers}`), BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
      const json = await cli(['create', '--json', '--workers', String(workers), `${path}::a`, 'tree'], env, repo.dir);
      assert.equal(json.code, 0, json.stderr);
      const stats = await cli(['create', '--stats', '--workers', String(workers), `${path}::b`, 'tree'], env, repo.dir);
      assert.equal(stats.code, 0, stats.stderr);
      const parsed = JSON.parse(json.stdout);
      runs.set(workers, { env, path, json: parsed, stats: statsLines(stats.stderr), metadata: await metadataObject({ ...repo, path, env }, parsed['archive'].id) });
    }
  });
  after(() => repo.cleanup());

  it('create --json and --stats report the same numbers', () => {
    const one = runs.get(1)!;
    const two = runs.get(2)!;
    assert.equal(one.json['archive'].stats.nfiles, 402);
    const data = (run: typeof one) => {
      const s = run.json['archive'].stats;
      return { ...s, original_size: s.original_size - run.metadata.size, compressed_size: s.compressed_size - run.metadata.csize, deduplicated_size: s.deduplicated_size - run.metadata.csize };
    };
    assert.deepEqual(data(two), data(one));
    const counts = (s: Record<string, number>) => ({ total_chunks: s['total_chunks'], total_unique_chunks: s['total_unique_chunks'] });
    assert.deepEqual(counts(two.json['cache'].stats), counts(one.json['cache'].stats));
    assert.equal(one.stats.length, 3, one.stats.join('\n'));
    assert.deepEqual(two.stats, one.stats);
  });

  it('a 2-worker create never uses an IV twice', async () => {
    const two = runs.get(2)!;
    const session = await openSession({ ...repo, path: two.path, env: two.env });
    try {
      const ids = await session.repository.list();
      const seen = new Set<string>();
      let sealed = 0;
      for await (const envelope of session.repository.getMany(ids)) {
        const iv = session.key.ivOf(envelope);
        assert.notEqual(iv, null);
        assert.ok(!seen.has(iv!.toString()), `IV ${iv} used twice`);
        seen.add(iv!.toString());
        sealed += 1;
      }
      assert.ok(sealed > 300, `${sealed} objects`);
    } finally {
      await session.close();
    }
  });

  it('extract and check --verify-data agree for 1 and 2 workers', async () => {
    const { env, path } = runs.get(1)!;
    const source = files(join(repo.dir, 'tree'));
    for (const workers of [1, 2]) {
      const dest = join(repo.dir, `x${workers}`);
      mkdirSync(dest);
      const run = await cli(['extract', '--workers', String(workers), `${path}::a`], env, dest);
      assert.equal(run.code, 0, run.stderr);
      const got = files(join(dest, 'tree'));
      assert.deepEqual([...got.keys()].sort(), [...source.keys()].sort());
      for (const [name, data] of source) assert.ok(got.get(name)!.equals(data), name);
      const check = await cli(['check', '--verify-data', '--workers', String(workers), path], env, repo.dir);
      assert.equal(check.code, 0, check.stderr);
    }
  });

  it('extract with 2 workers stops at a damaged chunk like 1 worker does', async () => {
    const { env } = runs.get(1)!;
    const path = join(repo.dir, 'damaged');
    cpSync(runs.get(1)!.path, path, { recursive: true });
    // Flip a byte in the middle of the largest segment: inside some object's encrypted data.
    const data = join(path, 'data', '0');
    const segment = readdirSync(data).map((n) => join(data, n)).sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
    const bytes = readFileSync(segment);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(segment, bytes);
    const outcomes: Run[] = [];
    for (const workers of [1, 2]) {
      const dest = join(repo.dir, `damaged-x${workers}`);
      mkdirSync(dest);
      outcomes.push(await cli(['extract', '--workers', String(workers), `${path}::a`], env, dest));
    }
    assert.notEqual(outcomes[0]!.code, 0);
    assert.equal(outcomes[1]!.code, outcomes[0]!.code);
    const firstLine = (r: Run) => r.stderr.split('\n').find((l) => /integrity|checksum|mismatch/i.test(l));
    assert.ok(firstLine(outcomes[0]!), outcomes[0]!.stderr);
    assert.equal(firstLine(outcomes[1]!), firstLine(outcomes[0]!));
  });
});
