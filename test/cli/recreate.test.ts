// `borg-ts recreate` on repositories real borg 1.2.4 wrote: recompression changes the codec of
// every stored chunk (read back from the repository objects), re-chunking follows the new params,
// exclusions drop exactly the excluded items (and compact then frees their data), --target keeps
// the original, --dry-run changes nothing; real borg extracts the same bytes afterwards and
// `borg check --verify-data` accepts the repository. --list lines and the items of a recreated
// archive (hard link masters promoted) are compared with real `borg recreate` on a copy.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { archiveItems, openArchive } from '../../src/archive/archive-reader.js';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { detectCompression } from '../../src/compress/index.js';
import { parseLocation } from '../../src/remote/location.js';
import { expectExit, runBorgTs, runRealBorg, type CliRun } from '../helpers/run-borg-ts.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';
import { treeDigest } from '../interop/tools.js';

describe('borg-ts recreate', () => {
  let work: string;
  let tree: string;
  let serial = 0;

  /** A fresh environment (own BORG_BASE_DIR) and a repository holding archive "a" of the tree, made by real borg. */
  const setup = (createArgs: string[] = []) => {
    const dir = join(work, `case-${++serial}`);
    mkdirSync(dir);
    const env = {
      PATH: process.env['PATH'], HOME: dir, LANG: 'C.UTF-8', TZ: 'UTC', BORG_PASSPHRASE: 'recreate',
      BORG_BASE_DIR: join(dir, 'base'), BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
    };
    const repo = join(dir, 'repo');
    const borg = (args: string[]) => runRealBorg(args, { env, cwd: work });
    const ours = (args: string[]) => runBorgTs(args, { env, cwd: work });
    expectExit(borg(['init', '-e', 'repokey-blake2', repo]), 0, 'init');
    expectExit(borg(['create', ...createArgs, `${repo}::a`, 'tree']), 0, 'create');
    return { dir, env, repo, borg, ours };
  };

  /** The archive's items as `borg list` prints them. */
  const listing = (borg: (a: string[]) => CliRun, archive: string): string[] => {
    const r = borg(['list', '--format', '{mode} {path} {source} {size}{NL}', archive]);
    expectExit(r, 0, 'list');
    return r.stdout.toString().trim().split('\n');
  };

  /** What real borg extracts from `archive`, as a digest of the tree. */
  const extracted = (setupResult: ReturnType<typeof setup>, archive: string): string => {
    const dest = join(setupResult.dir, `x-${++serial}`);
    mkdirSync(dest);
    expectExit(runRealBorg(['extract', `${setupResult.repo}::${archive}`], { env: setupResult.env, cwd: dest }), 0, 'extract');
    return treeDigest(join(dest, 'tree'));
  };

  /** For every content chunk of `archive`: its plaintext size and the codec of its stored object. */
  const contentChunks = async (env: Record<string, string | undefined>, repo: string, archive: string) => {
    const session = await RepositorySession.open(parseLocation(repo), { env, exclusive: false, operations: ['read'], confirm: () => false });
    try {
      const opened = await openArchive(session, archive);
      const chunks: { id: string; size: number; codec: string }[] = [];
      for await (const item of archiveItems(session, opened)) {
        for (const c of item.chunks ?? []) {
          const payload = session.key.open(await session.repository.get(c.id), c.id);
          chunks.push({ id: c.id.toString('hex'), size: c.size, codec: detectCompression(payload) });
        }
      }
      return { chunks, params: opened.meta.chunkerParams, meta: opened.meta, id: opened.id.toString('hex') };
    } finally {
      await session.close();
    }
  };

  const objectIds = async (env: Record<string, string | undefined>, repo: string): Promise<Set<string>> => {
    const session = await RepositorySession.open(parseLocation(repo), { env, exclusive: false, operations: ['read'], confirm: () => false });
    try {
      const ids = new Set<string>();
      for (let marker: Buffer | null = null; ;) {
        const page = await session.repository.list(1000, marker);
        if (page.length === 0) return ids;
        for (const id of page) ids.add(id.toString('hex'));
        marker = page[page.length - 1]!;
      }
    } finally {
      await session.close();
    }
  };

  before(() => {
    work = makeTempDir();
    tree = join(work, 'tree');
    mkdirSync(join(tree, 'docs'), { recursive: true });
    mkdirSync(join(tree, 'cache'), { recursive: true });
    mkdirSync(join(tree, 'tmp'), { recursive: true });
    writeFileSync(join(tree, 'docs', 'text.txt'), 'compressible line of text\n'.repeat(40000));
    writeFileSync(join(tree, 'docs', 'random.bin'), randomBytes(1_500_000));
    writeFileSync(join(tree, 'tmp', 'drop.log'), randomBytes(300_000));
    writeFileSync(join(tree, 'tmp', 'master'), 'hard linked content\n'.repeat(1000));
    execFileSync('ln', [join(tree, 'tmp', 'master'), join(tree, 'docs', 'slave1')]);
    execFileSync('ln', [join(tree, 'tmp', 'master'), join(tree, 'docs', 'slave2')]);
    writeFileSync(join(tree, 'cache', 'CACHEDIR.TAG'), 'Signature: 8a477f597d28d172789f06886806bc55\n');
    writeFileSync(join(tree, 'cache', 'blob'), randomBytes(10_000));
    execFileSync('ln', ['-s', 'docs/text.txt', join(tree, 'link')]);
    mkdirSync(join(tree, 'tagged'));
    writeFileSync(join(tree, 'tagged', '.nobackup'), '');
    writeFileSync(join(tree, 'tagged', 'data'), 'tagged data\n');
  });
  after(() => removeTemp(work));

  it('--recompress if-different / always re-stores every chunk with the new codec; borg reads it all', async () => {
    const s = setup(['-C', 'lz4']);
    const before = extracted(s, 'a');
    const original = await contentChunks(s.env, s.repo, 'a');
    assert.ok(original.chunks.length > 3 && original.chunks.every((c) => c.codec === 'lz4' || c.codec === 'none'), JSON.stringify(original.chunks));

    expectExit(await s.ours(['recreate', '--recompress', '-C', 'zlib,6', `${s.repo}::a`]), 0, 'recreate if-different');
    const zlib = await contentChunks(s.env, s.repo, 'a');
    assert.deepEqual(zlib.chunks.map((c) => c.id), original.chunks.map((c) => c.id));
    assert.ok(zlib.chunks.every((c) => c.codec === 'zlib'), JSON.stringify(zlib.chunks));
    assert.notEqual(zlib.id, original.id);
    // recreate_cmdline is this process's argv (the test runner's here), cmdline stays the original's.
    assert.deepEqual(zlib.meta.recreateCmdline, process.argv.slice(1));
    assert.deepEqual(zlib.meta.cmdline, original.meta.cmdline);
    assert.equal(zlib.meta.time, original.meta.time);

    expectExit(await s.ours(['recreate', '--recompress', 'always', '-C', 'zstd,5', `${s.repo}::a`]), 0, 'recreate always');
    const zstd = await contentChunks(s.env, s.repo, 'a');
    // zstd, like lz4, stores what it cannot shrink uncompressed (as borg's deciding compressors do).
    assert.deepEqual(zstd.chunks.map((c) => c.codec), original.chunks.map((c) => (c.codec === 'lz4' ? 'zstd' : 'none')));

    assert.equal(extracted(s, 'a'), before);
    expectExit(s.borg(['check', '--verify-data', s.repo]), 0, 'check --verify-data');
    assert.deepEqual(s.borg(['list', '--short', s.repo]).stdout.toString(), 'a\n');
  });

  it('-e drops exactly the excluded items; compact frees their data', async () => {
    const s = setup();
    const beforeList = listing(s.borg, `${s.repo}::a`);
    const dropped = (await contentChunks(s.env, s.repo, 'a')).chunks;
    expectExit(await s.ours(['recreate', '-e', 'tree/tmp/drop.log', `${s.repo}::a`]), 0, 'recreate -e');
    const afterList = listing(s.borg, `${s.repo}::a`);
    assert.deepEqual(afterList, beforeList.filter((line) => !line.includes(' tree/tmp/drop.log ')));
    const kept = new Set((await contentChunks(s.env, s.repo, 'a')).chunks.map((c) => c.id));
    const freed = dropped.filter((c) => !kept.has(c.id)).map((c) => c.id);
    assert.ok(freed.length > 0);
    expectExit(s.borg(['compact', s.repo]), 0, 'compact');
    const ids = await objectIds(s.env, s.repo);
    assert.deepEqual(freed.filter((id) => ids.has(id)), []);
    expectExit(s.borg(['check', '--verify-data', s.repo]), 0, 'check');
  });

  it('--target keeps the original archive', async () => {
    const s = setup();
    const original = await contentChunks(s.env, s.repo, 'a');
    const beforeList = listing(s.borg, `${s.repo}::a`);
    expectExit(await s.ours(['recreate', '--target', 'b', `${s.repo}::a`, 'tree/docs']), 0, 'recreate --target');
    assert.equal((await contentChunks(s.env, s.repo, 'a')).id, original.id);
    assert.deepEqual(listing(s.borg, `${s.repo}::a`), beforeList);
    const paths = listing(s.borg, `${s.repo}::b`).map((l) => l.split(' ')[1]);
    assert.deepEqual([...paths].sort(), ['tree/docs', 'tree/docs/random.bin', 'tree/docs/slave1', 'tree/docs/slave2', 'tree/docs/text.txt']);
    expectExit(s.borg(['check', '--verify-data', s.repo]), 0, 'check');
  });

  it('a NAME.recreate left by a run killed before the swap is released, and the next run succeeds', async () => {
    const s = setup();
    // The state a kill between "save NAME.recreate" and "replace NAME" leaves: both committed.
    expectExit(await s.ours(['recreate', '--target', 'a.recreate', `${s.repo}::a`, 'tree/docs']), 0, 'left-over');
    const r = await s.ours(['recreate', `${s.repo}::a`, 'tree/docs']);
    expectExit(r, 0, 'recreate after the interruption');
    assert.match(r.stderr.toString(), /Releasing a\.recreate, left over by an interrupted recreate of a/);
    const names = s.borg(['list', '--short', s.repo]).stdout.toString().trim().split('\n');
    assert.deepEqual(names, ['a']);
    assert.ok(listing(s.borg, `${s.repo}::a`).every((l) => l.split(' ')[1]!.startsWith('tree/docs')));
    expectExit(s.borg(['check', '--verify-data', s.repo]), 0, 'check');
    // An explicit --target that exists is still refused.
    expectExit(await s.ours(['recreate', '--target', 'a', `${s.repo}::a`, 'tree/docs']), 2, 'existing --target');
  });

  it('--chunker-params re-chunks with the new params; contents stay identical', async () => {
    const s = setup();
    const before = extracted(s, 'a');
    expectExit(await s.ours(['recreate', '--chunker-params', 'buzhash,10,14,12,4095', `${s.repo}::a`]), 0, 'recreate rechunk');
    const rechunked = await contentChunks(s.env, s.repo, 'a');
    assert.deepEqual(rechunked.params, { algorithm: 'buzhash', minExp: 10, maxExp: 14, maskBits: 12, windowSize: 4095 });
    assert.ok(rechunked.chunks.length > 100);
    assert.ok(rechunked.chunks.every((c) => c.size <= 2 ** 14));
    assert.equal(extracted(s, 'a'), before);
    // The same params again: nothing to re-chunk, nothing to do.
    const again = await s.ours(['recreate', '--chunker-params', 'buzhash,10,14,12,4095', `${s.repo}::a`]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /Nothing to do/);
    expectExit(s.borg(['check', '--verify-data', s.repo]), 0, 'check');
  });

  it('--dry-run changes nothing', async () => {
    const s = setup();
    const ids = await objectIds(s.env, s.repo);
    const original = await contentChunks(s.env, s.repo, 'a');
    expectExit(await s.ours(['recreate', '-n', '--recompress', 'always', '-C', 'zstd', '-e', 'tree/docs', `${s.repo}::a`]), 0, 'dry run');
    assert.deepEqual(await objectIds(s.env, s.repo), ids);
    assert.deepEqual(await contentChunks(s.env, s.repo, 'a'), original);
  });

  it('--list output and the recreated items match real borg recreate on a copy', async () => {
    const s = setup(['--exclude-caches']);
    // Add the cache directory (its tag included) in a second archive, then exclude it again.
    expectExit(s.borg(['create', `${s.repo}::b`, 'tree']), 0, 'create b');
    const copy = join(s.dir, 'copy');
    cpSync(s.repo, copy, { recursive: true });
    // Real borg works on the copy with its own base dir (no relocated-repository warning).
    const copyEnv = { ...s.env, BORG_BASE_DIR: join(s.dir, 'copy-base') };
    const borgOnCopy = (a: string[]) => runRealBorg(a, { env: copyEnv, cwd: work });
    const args = ['--list', '--exclude-caches', '-e', 'tree/docs/slave*', '--exclude-if-present', '.nobackup', '--keep-exclude-tags'];
    for (const dry of [['--dry-run'], []]) {
      const ours = await s.ours(['recreate', ...dry, ...args, `${s.repo}::b`]);
      const theirs = borgOnCopy(['recreate', ...dry, ...args, `${copy}::b`]);
      expectExit(ours, 0, 'ours');
      expectExit(theirs, 0, 'borg');
      assert.equal(ours.stderr, theirs.stderr);
    }
    assert.deepEqual(listing(s.borg, `${s.repo}::b`), listing(borgOnCopy, `${copy}::b`));
    // The hard link master was excluded: the kept link got its chunks.
    assert.ok(listing(s.borg, `${s.repo}::b`).some((l) => / tree\/tmp\/master  20000$/.test(l)), 'tree/tmp/master became the master');
    expectExit(s.borg(['check', '--verify-data', s.repo]), 0, 'check');
  });
});
