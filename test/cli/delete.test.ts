// `borg-ts delete REPOSITORY`: borg's question (answered by BORG_DELETE_I_KNOW_WHAT_I_AM_DOING=YES
// only), then the repository, this client's security info and cache are gone — or, when refused,
// in append-only mode or in a dry run, nothing changed at all; --keep-security-info, --cache-only
// and --force as in borg.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { treeDigest } from '../interop/tools.js';
import { expectExit, runBorgTs, runRealBorg, type CliRun } from '../helpers/run-borg-ts.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';

describe('borg-ts delete of a whole repository', () => {
  let work: string;
  let repoId: string;
  let serial = 0;

  interface Case {
    dir: string;
    repo: string;
    env: Record<string, string | undefined>;
    cache: string;
    security: string;
  }

  /** A fresh copy of the pristine repository with its own base dir (cache and security dir included). */
  const copy = (answer?: string): Case => {
    const dir = join(work, `case-${++serial}`);
    cpSync(join(work, 'pristine'), dir, { recursive: true });
    const env: Record<string, string | undefined> = {
      PATH: process.env['PATH'], HOME: work, LANG: 'C.UTF-8', TZ: 'UTC', BORG_PASSPHRASE: 'whole repo',
      BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes', BORG_BASE_DIR: join(dir, 'base'), BORG_DELETE_I_KNOW_WHAT_I_AM_DOING: answer,
    };
    return {
      dir, repo: join(dir, 'repo'), env,
      cache: join(dir, 'base', '.cache', 'borg', repoId), security: join(dir, 'base', '.config', 'borg', 'security', repoId),
    };
  };
  const ours = (args: string[], c: Case, stdin?: string) => runBorgTs(args, { env: c.env, cwd: c.dir, ...(stdin !== undefined ? { stdin } : {}) });
  const borg = (args: string[], c: Case) => runRealBorg(args, { env: c.env, cwd: c.dir });
  /** stderr with the case's directory made neutral, without the relocation prompt. */
  const text = (run: CliRun, c: Case) => run.stderr.split(c.dir).join('<dir>').split('\n').filter((l) => !/previously located|Do you want to continue/.test(l));

  before(() => {
    work = makeTempDir();
    mkdirSync(join(work, 'pristine'));
    const repo = join(work, 'pristine', 'repo');
    const setup = { env: { PATH: process.env['PATH'], HOME: work, BORG_PASSPHRASE: 'whole repo', BORG_BASE_DIR: join(work, 'pristine', 'base') }, cwd: work };
    expectExit(runRealBorg(['init', '-e', 'repokey-blake2', repo], setup), 0, 'init');
    mkdirSync(join(work, 'src'));
    writeFileSync(join(work, 'src', 'file'), 'content\n');
    expectExit(runRealBorg(['create', `${repo}::one`, 'src'], setup), 0, 'create');
    repoId = runRealBorg(['config', repo, 'id'], setup).stdout.toString().trim();
  });
  after(() => removeTemp(work));

  it('refuses without the answer YES and changes nothing', async () => {
    for (const [answer, last] of [[undefined, 'Aborting.'], ['yes', 'Invalid answer, aborting.']] as const) {
      const c = copy(answer);
      const before = treeDigest(c.dir);
      const run = await ours(['delete', '--list', c.repo], c, '');
      expectExit(run, 2, `answer ${answer}`);
      assert.equal(treeDigest(c.dir), before);
      assert.deepEqual(text(run, c), text(borg(['delete', '--list', c.repo], c), c));
      assert.match(run.stderr, new RegExp(`^one +\\w{3}, .*\\n-{78}\\nType 'YES' if you understand this and want to continue: ${last === 'Aborting.' ? '' : 'yes \\(from BORG_DELETE_I_KNOW_WHAT_I_AM_DOING\\)\\n'}${last}\\n$`, 'm'));
    }
  });

  it('deletes repository, security info and cache with YES, like borg', async () => {
    const c = copy('YES');
    const run = await ours(['delete', '--info', c.repo], c);
    expectExit(run, 0, 'delete');
    assert.deepEqual([existsSync(c.repo), existsSync(c.security), existsSync(c.cache)], [false, false, false]);
    const d = copy('YES');
    const theirs = borg(['delete', '--info', d.repo], d);
    assert.deepEqual(text(run, c), text(theirs, d));
    assert.match(run.stderr, /Repository deleted\.\nCache deleted\.\n$/);
  });

  it('keeps the security info with --keep-security-info, deletes without asking with --force', async () => {
    const c = copy('YES');
    expectExit(await ours(['delete', '--keep-security-info', c.repo], c), 0, 'keep security info');
    assert.deepEqual([existsSync(c.repo), existsSync(c.security), existsSync(c.cache)], [false, true, false]);
    const f = copy();
    expectExit(await ours(['delete', '--force', f.repo], f), 0, '--force');
    assert.deepEqual([existsSync(f.repo), existsSync(f.security), existsSync(f.cache)], [false, false, false]);
  });

  it('--cache-only deletes only the cache; --dry-run nothing', async () => {
    const c = copy();
    expectExit(await ours(['delete', '--cache-only', c.repo], c), 0, 'cache only');
    assert.deepEqual([existsSync(c.repo), existsSync(c.security), existsSync(c.cache)], [true, true, false]);
    expectExit(borg(['check', c.repo], c), 0, 'the repository is intact');
    const d = copy('YES');
    const before = treeDigest(d.dir);
    const run = await ours(['delete', '--dry-run', '--info', d.repo], d);
    expectExit(run, 0, 'dry run');
    assert.equal(treeDigest(d.dir), before);
    assert.match(run.stderr, /Would delete repository\.\nWould delete security info\.\nWould delete cache\.\n$/);
  });

  it('refuses an append-only repository and removes nothing', async () => {
    const c = copy('YES');
    expectExit(borg(['config', c.repo, 'append_only', '1'], c), 0, 'config');
    const before = treeDigest(c.dir);
    const run = await ours(['delete', c.repo], c);
    expectExit(run, 2, 'append-only');
    assert.match(run.stderr, /append-only/);
    assert.equal(treeDigest(c.dir), before);
  });
});
