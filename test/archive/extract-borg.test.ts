// extract against the oracle: real borg 1.2.4 archives a tree with every kind of entry, then
// `borg extract` and borg-ts's extractArchive restore it into two directories that must agree in
// every byte and every bit of metadata (tree-compare.ts lists what is compared).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { openArchive } from '../../src/archive/archive-reader.js';
import { extractArchive, type ExtractOptions, type ExtractResult } from '../../src/archive/extract/index.js';
import { isHardlinkSlave } from '../../src/archive/item.js';
import { iterItems } from '../../src/archive/item-stream.js';
import { buildMatcher, parseExcludePattern } from '../../src/archive/patterns/index.js';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import { inodeFlagBits } from '../../src/platform/native.js';
import type { WarningRecord } from '../../src/progress.js';
import { parseLocation } from '../../src/remote/location.js';
import { buildSampleTree, diffTrees, snapshotTree, writeSparseFile } from '../helpers/tree-compare.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';

const isRoot = process.getuid?.() === 0;
const BSD_MAPPED_FLAGS = isRoot ? inodeFlagBits().nodump | inodeFlagBits().immutable | inodeFlagBits().append : 0;

interface Fixture {
  work: string;
  env: NodeJS.ProcessEnv;
  repo: string;
}

function borg(fixture: Fixture, args: string[], cwd = fixture.work): void {
  execFileSync('borg', args, { cwd, env: fixture.env, stdio: 'pipe' });
}

function newFixture(): Fixture {
  const work = makeTempDir();
  const env = { ...process.env, BORG_BASE_DIR: join(work, 'base'), BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', LANG: 'C.UTF-8' };
  const fixture = { work, env, repo: join(work, 'repo') };
  borg(fixture, ['init', '-e', 'none', fixture.repo]);
  return fixture;
}

/** `borg extract ARGS` into a new directory. */
function borgExtract(fixture: Fixture, name: string, args: string[]): string {
  const dest = join(fixture.work, name);
  mkdirSync(dest);
  borg(fixture, ['extract', ...args], dest);
  return dest;
}

/** extractArchive into `dest` (created if missing), with borg's default umask. */
async function ourExtract(fixture: Fixture, archiveName: string, dest: string, options: ExtractOptions = {}): Promise<{ result: ExtractResult; warnings: WarningRecord[] }> {
  mkdirSync(dest, { recursive: true });
  const warnings: WarningRecord[] = [];
  const env = fixture.env as Record<string, string | undefined>;
  const session = await RepositorySession.open(parseLocation(fixture.repo, { env }), { env, confirm: confirmFromEnv(env) });
  const umask = process.umask(0o077);
  try {
    const archive = await openArchive(session, archiveName);
    const result = await extractArchive(session, archive, { destination: dest, warnings: { warn: (w) => warnings.push(w) }, ...options });
    return { result, warnings };
  } finally {
    process.umask(umask);
    await session.close();
  }
}

describe('extract compared with borg 1.2.4', { skip: !isRoot && 'needs root (devices, owners, flags)' }, () => {
  let fixture: Fixture;
  let hardlinks: string[];

  before(() => {
    fixture = newFixture();
    ({ hardlinks } = buildSampleTree(join(fixture.work, 'tree')));
    borg(fixture, ['create', '--atime', `${fixture.repo}::full`, 'tree']);
  });
  after(() => removeTemp(fixture.work));

  it('restores everything exactly as borg does', async () => {
    const expected = borgExtract(fixture, 'borg-full', [`${fixture.repo}::full`]);
    const dest = join(fixture.work, 'ts-full');
    const { result, warnings } = await ourExtract(fixture, 'full', dest);
    assert.deepEqual(warnings, []);
    assert.equal(result.warnings, 0);
    // borg 1.2.4 writes back all inode flags and so clears ext4's extents flag (borg #9039); we
    // change only the flags borg archives.
    assert.deepEqual(diffTrees(expected, dest, { flags: true, flagMask: BSD_MAPPED_FLAGS }), []);
    assert.ok(snapshotTree(dest, { flags: true }).get('tree/nodump')!.flags! & inodeFlagBits().nodump);
    // The oracle itself restored the interesting parts (a broken borg would make this test moot).
    const tree = snapshotTree(join(expected, 'tree'));
    assert.equal(tree.get('hl-1')!.nlink, 3);
    assert.equal(tree.get('suid')!.mode, 0o104755);
    assert.equal(tree.get('owned-unknown')!.uid, 4321);
    assert.equal(tree.get('dev-null')!.rdev, 259);
    assert.match(tree.get('acl-file')!.acl!, /user:1234:rwx/);
    assert.equal(tree.get('xattrs.txt')!.xattrs['user.binary'], '00ff1080');
    assert.ok(tree.get('dir-acl')!.acl!.includes('default:user:1234:r-x'));
  });

  it('restores the same with chunks opened by two worker threads and read ahead across files', async () => {
    // A fresh borg extraction: comparing reads the other one's directories and so changes their atimes.
    const expected = borgExtract(fixture, 'borg-full-again', [`${fixture.repo}::full`]);
    const dest = join(fixture.work, 'ts-full-workers');
    const { result, warnings } = await ourExtract(fixture, 'full', dest, { workers: 2 });
    assert.deepEqual(warnings, []);
    assert.equal(result.warnings, 0);
    assert.deepEqual(diffTrees(expected, dest, { flags: true, flagMask: BSD_MAPPED_FLAGS }), []);
  });

  it('honours --numeric-ids, --noacls, --noxattrs and --noflags like borg', async () => {
    const expected = borgExtract(fixture, 'borg-bare', ['--numeric-ids', '--noacls', '--noxattrs', '--noflags', `${fixture.repo}::full`]);
    const dest = join(fixture.work, 'ts-bare');
    const { warnings } = await ourExtract(fixture, 'full', dest, { numericIds: true, noAcls: true, noXattrs: true, noFlags: true });
    assert.deepEqual(warnings, []);
    assert.deepEqual(diffTrees(expected, dest, { flags: true, flagMask: BSD_MAPPED_FLAGS }), []);
    const tree = snapshotTree(join(dest, 'tree'), { flags: true });
    assert.equal(tree.get('nodump')!.flags! & inodeFlagBits().nodump, 0);
    assert.equal(tree.get('acl-file')!.acl, undefined);
    assert.deepEqual(tree.get('xattrs.txt')!.xattrs, {});
  });

  it('gives the master content to the first extracted slave when the master is excluded', async () => {
    // Which link is the master depends on the inode order borg walked in.
    const env = fixture.env as Record<string, string | undefined>;
    const session = await RepositorySession.open(parseLocation(fixture.repo, { env }), { env, confirm: confirmFromEnv(env) });
    let master = '';
    try {
      const archive = await openArchive(session, 'full');
      for await (const item of iterItems(session.repository, session.codec, archive.meta.items)) {
        if (hardlinks.some((h) => item.path === `tree/${h}`) && !isHardlinkSlave(item)) master = item.path;
      }
    } finally {
      await session.close();
    }
    assert.notEqual(master, '');
    const expected = borgExtract(fixture, 'borg-nomaster', ['-e', master, `${fixture.repo}::full`]);
    const dest = join(fixture.work, 'ts-nomaster');
    const { warnings } = await ourExtract(fixture, 'full', dest, { matcher: buildMatcher([parseExcludePattern(master)], []) });
    assert.deepEqual(warnings, []);
    assert.deepEqual(diffTrees(expected, dest), []);
    assert.equal(existsSync(join(dest, master)), false);
    const remaining = hardlinks.map((h) => `tree/${h}`).filter((h) => h !== master);
    for (const path of remaining) assert.equal(readFileSync(join(dest, path), 'utf8'), 'hard linked content\n');
    assert.equal(snapshotTree(dest).get(remaining[0]!)!.nlink, 2);
  });

  it('extracts a PATH below unextracted parents like borg (parents made with the umask)', async () => {
    const expected = borgExtract(fixture, 'borg-sub', [`${fixture.repo}::full`, 'tree/sub']);
    const dest = join(fixture.work, 'ts-sub');
    const { warnings } = await ourExtract(fixture, 'full', dest, { matcher: buildMatcher([], ['tree/sub']) });
    assert.deepEqual(warnings, []);
    // 'tree' itself was made on the way, so its times are those of the extraction.
    assert.deepEqual(diffTrees(expected, dest, { skip: (path) => path === 'tree', ignore: [] }), []);
    assert.deepEqual(diffTrees(expected, dest, { ignore: ['mtimeNs', 'atimeNs'] }), []);
  });

  it('replaces what is in the way, never writing through an old symlink', async () => {
    const expected = borgExtract(fixture, 'borg-again', [`${fixture.repo}::full`]);
    const dest = join(fixture.work, 'ts-again');
    const outside = join(fixture.work, 'outside.txt');
    writeFileSync(outside, 'must stay\n');
    mkdirSync(join(dest, 'tree', 'dir-odd'), { recursive: true });
    symlinkSync(outside, join(dest, 'tree', 'small.txt'));
    writeFileSync(join(dest, 'tree', 'hl-2'), 'old content');
    mkdirSync(join(dest, 'tree', 'empty')); // an empty directory where a file belongs
    const first = await ourExtract(fixture, 'full', dest);
    assert.deepEqual(first.warnings, []);
    const second = await ourExtract(fixture, 'full', dest); // everything exists now
    assert.deepEqual(second.warnings, []);
    assert.equal(readFileSync(outside, 'utf8'), 'must stay\n');
    assert.deepEqual(diffTrees(expected, dest), []);
  });
});

describe('extract --sparse compared with borg 1.2.4', () => {
  let fixture: Fixture;

  before(() => {
    fixture = newFixture();
    mkdirSync(join(fixture.work, 'sp'));
    // Fixed 64 KiB chunks: the holes become runs of all-zero chunks.
    writeSparseFile(join(fixture.work, 'sp', 'sparse.bin'), 3 * 1024 * 1024, [[0, 65536], [1024 * 1024, 131072]]);
    borg(fixture, ['create', '--chunker-params', 'fixed,65536', `${fixture.repo}::sparse`, 'sp']);
  });
  after(() => removeTemp(fixture.work));

  it('makes the same holes as borg extract --sparse', async () => {
    const expected = borgExtract(fixture, 'borg-sparse', ['--sparse', `${fixture.repo}::sparse`]);
    const dest = join(fixture.work, 'ts-sparse');
    const { warnings } = await ourExtract(fixture, 'sparse', dest, { sparse: true });
    assert.deepEqual(warnings, []);
    assert.deepEqual(diffTrees(expected, dest), []);
    const entry = snapshotTree(dest).get('sp/sparse.bin')!;
    assert.equal(entry.size, 3 * 1024 * 1024);
    assert.ok(entry.blocks * 512 <= 256 * 1024, `only the data is allocated (${entry.blocks} blocks)`);
  });

  it('writes the zeros without --sparse, like borg', async () => {
    const expected = borgExtract(fixture, 'borg-dense', [`${fixture.repo}::sparse`]);
    const dest = join(fixture.work, 'ts-dense');
    await ourExtract(fixture, 'sparse', dest);
    assert.deepEqual(diffTrees(expected, dest), []);
    assert.ok(snapshotTree(dest).get('sp/sparse.bin')!.blocks * 512 >= 3 * 1024 * 1024);
  });
});
