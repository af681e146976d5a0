// `borg-ts delete` of archives on a repository real borg made (three archives sharing data), next
// to real `borg delete` on an identical copy: the same --list and --stats output, a repository that
// `borg check --verify-data` accepts, the other archives' contents unchanged, and after `borg
// compact` the same size — smaller by what only the deleted archive held. Also dry runs, archive
// filters, and --force (once and twice) on a damaged archive.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { deleteArchives } from '../../src/archive/delete-archives.js';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { LocalCache } from '../../src/cache/local-cache.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import { parseLocation } from '../../src/remote/location.js';
import { treeDigest } from '../interop/tools.js';
import { deleteObject, repoLayout } from '../helpers/damage.js';
import { pseudoRandom } from '../helpers/tree-compare.js';
import { expectExit, runBorgTs, runRealBorg, type CliRun } from '../helpers/run-borg-ts.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';

/** Prompts answered by the environment: their text names the (different) copies. */
const NOISE = /previously located at|Do you want to continue/;

function messages(run: CliRun): string[] {
  return run.stderr.split('\n').filter((line) => line !== '' && !NOISE.test(line));
}

/** Bytes in the repository's segment files. */
function dataSize(repo: string): number {
  let total = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else total += statSync(path).size;
    }
  };
  walk(join(repo, 'data'));
  return total;
}

describe('borg-ts delete of archives, compared with borg delete', () => {
  let work: string;
  let baseEnv: Record<string, string | undefined>;
  let serial = 0;

  /** A fresh copy of the pristine repository and its client dirs: path and environment. */
  const copy = (): { repo: string; env: Record<string, string | undefined> } => {
    const dir = join(work, `case-${++serial}`);
    cpSync(join(work, 'pristine'), dir, { recursive: true });
    return { repo: join(dir, 'repo'), env: { ...baseEnv, BORG_BASE_DIR: join(dir, 'base') } };
  };
  const borg = (args: string[], env: Record<string, string | undefined>) => runRealBorg(args, { env, cwd: work });
  const ours = (args: string[], env: Record<string, string | undefined>) => runBorgTs(args, { env, cwd: work });

  before(() => {
    work = makeTempDir();
    baseEnv = {
      PATH: process.env['PATH'], HOME: work, LANG: 'C.UTF-8', TZ: 'UTC', BORG_PASSPHRASE: 'delete test',
      BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes', BORG_CHECK_I_KNOW_WHAT_I_AM_DOING: 'YES',
    };
    const env = { ...baseEnv, BORG_BASE_DIR: join(work, 'pristine', 'base') };
    mkdirSync(join(work, 'src', 'a'), { recursive: true });
    mkdirSync(join(work, 'src', 'b'));
    writeFileSync(join(work, 'src', 'a', 'shared'), pseudoRandom('shared', 300_000));
    writeFileSync(join(work, 'src', 'a', 'small'), 'small\n');
    writeFileSync(join(work, 'src', 'b', 'only-middle'), pseudoRandom('only-middle', 200_000));
    mkdirSync(join(work, 'pristine'));
    const repo = join(work, 'pristine', 'repo');
    expectExit(borg(['init', '-e', 'repokey-blake2', repo], env), 0, 'init');
    expectExit(borg(['create', `${repo}::first`, 'src/a'], env), 0, 'create first');
    expectExit(borg(['create', `${repo}::middle`, 'src'], env), 0, 'create middle');
    rmSync(join(work, 'src', 'b', 'only-middle'));
    writeFileSync(join(work, 'src', 'b', 'late'), 'late\n');
    expectExit(borg(['create', `${repo}::last`, 'src'], env), 0, 'create last');
  });
  after(() => removeTemp(work));

  it('deletes ::middle like borg: output, check, other archives, size after compact', async () => {
    const a = copy();
    const b = copy();
    const pristineSize = dataSize(a.repo);
    const mine = await ours(['delete', '--stats', '--list', `${a.repo}::middle`], a.env);
    const theirs = borg(['delete', '--stats', '--list', `${b.repo}::middle`], b.env);
    expectExit(mine, 0, 'borg-ts delete');
    expectExit(theirs, 0, 'borg delete');
    assert.deepEqual(messages(mine), messages(theirs));
    assert.match(mine.stderr, /^Deleted data: +-501\.\d\d kB/m);

    expectExit(borg(['check', '--verify-data', a.repo], a.env), 0, 'check after borg-ts delete');
    assert.equal(borg(['list', '--short', a.repo], a.env).stdout.toString(), 'first\nlast\n');
    for (const name of ['first', 'last']) {
      const left = borg(['export-tar', `${a.repo}::${name}`, '-'], a.env);
      const right = borg(['export-tar', `${b.repo}::${name}`, '-'], b.env);
      assert.ok(left.stdout.equals(right.stdout), `${name} has the same contents`);
    }
    expectExit(borg(['compact', a.repo], a.env), 0, 'compact ours');
    expectExit(borg(['compact', b.repo], b.env), 0, 'compact theirs');
    // The same objects remain; only the manifests (own timestamps, compressed) may differ by a few bytes.
    assert.ok(Math.abs(dataSize(a.repo) - dataSize(b.repo)) < 64, `${dataSize(a.repo)} vs ${dataSize(b.repo)} bytes`);
    assert.ok(pristineSize - dataSize(a.repo) >= 200_000, 'the data only middle held is gone');
  });

  it('--dry-run --list changes nothing and lists what borg lists', async () => {
    const a = copy();
    const before = treeDigest(a.repo);
    const mine = await ours(['delete', '--dry-run', '--list', `${a.repo}::middle`, 'nosuch'], a.env);
    expectExit(mine, 0, 'dry run');
    assert.equal(treeDigest(a.repo), before);
    const theirs = borg(['delete', '--dry-run', '--list', `${a.repo}::middle`, 'nosuch'], a.env);
    assert.deepEqual(messages(mine), messages(theirs));
    assert.match(mine.stderr, /^Would delete archive: middle +\w{3}, .* \[[0-9a-f]{64}\] \(1\/2\)$/m);
    assert.match(mine.stderr, /^Archive nosuch not found \(2\/2\)\.$/m);
  });

  it('selects archives with --glob-archives / --last and refuses mixing them with names', async () => {
    const a = copy();
    expectExit(await ours(['delete', '-a', 'f*', a.repo], a.env), 0, 'glob');
    expectExit(await ours(['delete', '--last', '1', a.repo], a.env), 0, 'last');
    assert.equal(borg(['list', '--short', a.repo], a.env).stdout.toString(), 'middle\n');
    const mixed = await ours(['delete', '-a', 'm*', `${a.repo}::middle`], a.env);
    expectExit(mixed, 2, 'mixed');
    assert.deepEqual(messages(mixed), ['Mixing archive filters and explicitly named archives is not supported.']);
    expectExit(borg(['check', '--verify-data', a.repo], a.env), 0, 'check');
  });

  it('commits after each archive when the checkpoint interval has passed, once at the end otherwise', async () => {
    for (const [interval, expected] of [[1e-9, 2], [1800, 1]] as const) {
      const a = copy();
      const session = await RepositorySession.open(parseLocation(a.repo, { env: a.env }), { env: a.env, exclusive: true, confirm: confirmFromEnv(a.env), operations: ['delete'] });
      try {
        const cache = await LocalCache.open(session, { env: a.env, confirm: confirmFromEnv(a.env) });
        let commits = 0;
        const commit = session.commit.bind(session);
        session.commit = async () => {
          commits += 1;
          await commit();
        };
        try {
          const result = await deleteArchives(session, cache, ['first', 'nosuch', 'last'], { checkpointInterval: interval });
          assert.equal(result.deleted, 2);
        } finally {
          await cache.close();
        }
        assert.equal(commits, expected, `interval ${interval}`);
      } finally {
        await session.close();
      }
      assert.equal(borg(['list', '--short', a.repo], a.env).stdout.toString(), 'middle\n');
      expectExit(borg(['check', a.repo], a.env), 0, 'check');
    }
  });

  it('--force deletes an archive with a missing chunk; --force --force only edits the manifest', async () => {
    const a = copy();
    const middle = (await repoLayout(a.repo, a.env)).archives.find((x) => x.name === 'middle')!;
    await deleteObject(a.repo, middle.files.get('src/b/only-middle')![0]!);
    const refused = await ours(['delete', `${a.repo}::middle`], a.env);
    expectExit(refused, 2, 'delete of a damaged archive without --force');
    assert.equal(borg(['list', '--short', a.repo], a.env).stdout.toString(), 'first\nmiddle\nlast\n');

    const forced = await ours(['delete', '--force', `${a.repo}::middle`], a.env);
    expectExit(forced, 0, '--force');
    assert.match(forced.stderr, /forced deletion succeeded, but the deleted archive was corrupted\./);
    expectExit(borg(['check', '--verify-data', a.repo], a.env), 0, 'check after --force');

    const twice = await ours(['delete', '--force', '--force', `${a.repo}::first`], a.env);
    expectExit(twice, 0, '--force --force');
    assert.deepEqual(messages(twice), ['Done. Run "borg check --repair" to clean up the mess.']);
    assert.equal(borg(['list', '--short', a.repo], a.env).stdout.toString(), 'last\n');
    assert.notEqual(borg(['check', a.repo], a.env).code, 0, 'the orphans of first are reported');
    expectExit(borg(['check', '--repair', a.repo], a.env), 0, 'repair');
    expectExit(borg(['check', '--verify-data', a.repo], a.env), 0, 'check after repair');
    const missing = await ours(['delete', '--force', '--force', `${a.repo}::first`], a.env);
    expectExit(missing, 1, 'a missing archive with --force --force is a warning');
    assert.deepEqual(messages(missing), ['Archive first not found (1/1).', 'Aborted.']);
  });
});
