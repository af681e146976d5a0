// `borg-ts import-tar` of tar files GNU tar made (pax and gnu formats, with hard links, symlinks,
// devices, long and non-UTF-8 names): the items are exactly those real `borg import-tar` makes
// from the same file, `borg check --verify-data` accepts the repository, and real `borg extract`
// restores what `tar -x` restores. Also stdin and compressed input, --list/--json output, and
// the round trip export-tar -> import-tar -> export-tar.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { buildSampleTree, compareTrees, snapshotTree } from '../helpers/tree-compare.js';
import { expectExit, runBorgTs, runRealBorg } from '../helpers/run-borg-ts.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';

describe('borg-ts import-tar compared with borg import-tar and tar -x', () => {
  let work: string;
  let repo: string;
  let env: Record<string, string | undefined>;
  let serial = 0;
  const ours = (args: string[], stdin?: Buffer) => runBorgTs(args, { env, cwd: work, ...(stdin ? { stdin } : {}) });
  const borg = (args: string[]) => runRealBorg(args, { env, cwd: work });
  const fresh = (name: string) => {
    const dir = join(work, `${name}-${++serial}`);
    mkdirSync(dir);
    return dir;
  };

  /** The items of an archive as borg itself decodes them. */
  const items = (archive: string): unknown => {
    const file = join(work, `dump-${++serial}.json`);
    expectExit(borg(['debug', 'dump-archive', `${repo}::${archive}`, file]), 0, 'dump-archive');
    return (JSON.parse(readFileSync(file, 'utf8')) as { _items: unknown })._items;
  };

  before(() => {
    work = makeTempDir();
    env = { PATH: process.env['PATH'], HOME: work, LANG: 'C.UTF-8', TZ: 'UTC', BORG_PASSPHRASE: 'import', BORG_BASE_DIR: join(work, 'base') };
    const tree = join(work, 'tree');
    buildSampleTree(tree, { big: false });
    const deep = join(tree, 'long', 'd'.repeat(90), 'e'.repeat(90));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, `${'f'.repeat(120)}.txt`), 'at the end of a long path\n');
    execFileSync('ln', [join(deep, `${'f'.repeat(120)}.txt`), join(tree, 'long', 'hardlink-to-long')]);
    execFileSync('ln', ['-s', `${'../'.repeat(50)}target`, join(tree, 'long', 'long-symlink')]);
    for (const format of ['pax', 'gnu']) execFileSync('tar', [`--format=${format}`, '-cf', join(work, `${format}.tar`), '-C', work, 'tree']);
    repo = join(work, 'repo');
    expectExit(borg(['init', '-e', 'repokey-blake2', repo]), 0, 'init');
  });
  after(() => removeTemp(work));

  for (const format of ['pax', 'gnu']) {
    it(`imports a ${format} tar like borg; borg extract equals tar -x`, async () => {
      const tar = join(work, `${format}.tar`);
      const run = await ours(['import-tar', '--list', `${repo}::ours-${format}`, tar]);
      expectExit(run, 0, 'import-tar');
      const reference = borg(['import-tar', '--list', `${repo}::borg-${format}`, tar]);
      assert.equal(run.stderr, reference.stderr);
      assert.deepEqual(items(`ours-${format}`), items(`borg-${format}`));
      expectExit(borg(['check', '--verify-data', repo]), 0, 'check');

      const extracted = fresh('borg-extract');
      expectExit(runRealBorg(['extract', `${repo}::ours-${format}`], { env, cwd: extracted }), 0, 'borg extract');
      const untarred = fresh('tar-x');
      execFileSync('tar', ['-xpf', tar, '-C', untarred]);
      // tar -x restores pax mtimes to the nanosecond; borg 1.2 reads them as floats (sub-microsecond loss).
      const expected = snapshotTree(untarred, { acls: false });
      const actual = snapshotTree(extracted, { acls: false });
      assert.deepEqual(compareTrees(expected, actual, { ignore: ['atimeNs', 'mtimeNs'] }), []);
      for (const [path, entry] of expected) {
        const delta = entry.mtimeNs - actual.get(path)!.mtimeNs;
        assert.ok(delta >= -1000n && delta <= 1000n, `${path}: mtime ${entry.mtimeNs} vs ${actual.get(path)!.mtimeNs}`);
      }
    });
  }

  it('reads stdin and compressed files, reports like borg, and round-trips with export-tar', async () => {
    const gnu = readFileSync(join(work, 'gnu.tar'));
    expectExit(await ours(['import-tar', `${repo}::stdin`, '-'], gnu), 0, 'stdin');
    assert.deepEqual(items('stdin'), items('ours-gnu'));
    execFileSync('xz', ['-k', '-1', join(work, 'gnu.tar')]);
    const json = await ours(['import-tar', '--json', `${repo}::xz`, join(work, 'gnu.tar.xz')]);
    expectExit(json, 0, 'xz');
    const stats = (JSON.parse(json.stdout.toString()) as { archive: { stats: { nfiles: number } } }).archive.stats;
    const theirs = JSON.parse(borg(['import-tar', '--json', `${repo}::xz-borg`, join(work, 'gnu.tar.xz')]).stdout.toString()) as { archive: { stats: { nfiles: number } } };
    assert.equal(stats.nfiles, theirs.archive.stats.nfiles); // borg 1.2 counts each file twice; so do we
    assert.deepEqual(items('xz'), items('ours-gnu'));

    const first = join(work, 'round-1.tar');
    expectExit(await ours(['export-tar', `${repo}::borg-gnu`, first]), 0, 'export');
    expectExit(await ours(['import-tar', `${repo}::round`, first]), 0, 'import the export');
    const second = join(work, 'round-2.tar');
    expectExit(await ours(['export-tar', `${repo}::round`, second]), 0, 'export again');
    assert.ok(readFileSync(first).equals(readFileSync(second)), 'the round trip keeps the tar file');
    expectExit(borg(['check', '--verify-data', repo]), 0, 'check');

    // A checkpoint while a file is read: part items; deleting the archive counts them as borg does.
    const slow = `sh -c 'head -c 800000; sleep 1.3; cat'`;
    mkdirSync(join(work, 'cp'));
    writeFileSync(join(work, 'cp', 'big'), Buffer.concat(Array.from({ length: 40 }, (_, i) => Buffer.alloc(40_000, i))));
    execFileSync('tar', ['-cf', join(work, 'cp.tar'), '-C', work, 'cp']);
    const cp = await ours(['import-tar', '-c', '1', '--chunker-params', 'buzhash,10,14,12,4095', '--tar-filter', slow, `${repo}::parts`, join(work, 'cp.tar')]);
    expectExit(cp, 0, 'import with a checkpoint');
    assert.match(borg(['list', '--consider-part-files', '--short', `${repo}::parts`]).stdout.toString(), /^cp\/big\.borg_part_1$/m);
    const copies = ['a', 'b'].map((name) => {
      const dir = join(work, `copy-${name}`);
      cpSync(repo, join(dir, 'repo'), { recursive: true });
      cpSync(join(work, 'base'), join(dir, 'base'), { recursive: true });
      return { repo: join(dir, 'repo'), env: { ...env, BORG_BASE_DIR: join(dir, 'base'), BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' } };
    });
    const noise = (text: string) => text.split('\n').filter((l) => !/previously located|Do you want to continue/.test(l));
    const mine = await runBorgTs(['delete', '--stats', `${copies[0]!.repo}::parts`], { env: copies[0]!.env, cwd: work });
    const reference = runRealBorg(['delete', '--stats', `${copies[1]!.repo}::parts`], { env: copies[1]!.env, cwd: work });
    expectExit(mine, 0, 'delete parts');
    assert.deepEqual(noise(mine.stderr), noise(reference.stderr));

    writeFileSync(join(work, 'junk.tar'), Buffer.alloc(3000, 0x41));
    const bad = await ours(['import-tar', `${repo}::bad`, join(work, 'junk.tar')]);
    expectExit(bad, 2, 'not a tar file');
    assert.equal(bad.stderr, 'Cannot read the tar file: invalid header\n');
    assert.equal(borg(['list', '--short', '-a', 'bad*', repo]).stdout.toString(), '');
  });
});
