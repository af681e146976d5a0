// `borg-ts mount` on a real FUSE mount: `cp -a` out of the mounted archive must give what a real
// `borg extract` of the same archive gives (contents, modes, owners, ns times, symlinks, hard
// links, devices, xattrs), for an archive made by borg and one made by borg-ts. Also: the
// repository layout, the foreground mode (Ctrl-C unmounts and releases the lock) and umount.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { buildSampleTree, diffTrees } from '../helpers/tree-compare.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';
import { borg, borgTs, type Env, isMounted, listing, MountPoints, ok, sh, startForeground, waitFor } from './mount-helpers.js';

describe('borg-ts mount', { timeout: 240_000 }, () => {
  let work: string;
  let repo: string;
  let env: Env;
  const mounts = new MountPoints(() => work);
  const mountpoint = () => mounts.next();

  before(() => {
    work = makeTempDir();
    repo = join(work, 'repo');
    env = { ...process.env, BORG_BASE_DIR: join(work, 'base'), BORG_PASSPHRASE: 'mount test', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
    buildSampleTree(join(work, 'src'));
    ok(borg(['init', '-e', 'repokey', repo], work, env), 'borg init');
    ok(borg(['create', `${repo}::by-borg`, 'src'], work, env), 'borg create');
    ok(borgTs(['create', `${repo}::by-borg-ts`, 'src'], work, env), 'borg-ts create');
  });

  after(() => {
    mounts.unmountAll();
    removeTemp(work);
  });

  for (const archive of ['by-borg', 'by-borg-ts']) {
    it(`cp -a of the mounted archive ${archive} equals borg extract`, () => {
      const extracted = join(work, `extract-${archive}`);
      mkdirSync(extracted);
      ok(borg(['extract', `${repo}::${archive}`], extracted, env), 'borg extract');
      const mnt = mountpoint();
      ok(borgTs(['mount', `${repo}::${archive}`, mnt], work, env), 'borg-ts mount');
      assert.ok(isMounted(mnt), 'mounted when the command returns');
      const copy = join(work, `copy-${archive}`);
      mkdirSync(copy);
      try {
        ok(sh('cp', ['-a', `${mnt}/src`, copy], work), 'cp -a');
      } finally {
        ok(borgTs(['umount', mnt], work, env), 'borg-ts umount');
      }
      // ACLs are not shown by the mount (nor by borg's); everything else must match.
      assert.deepEqual(diffTrees(join(extracted, 'src'), join(copy, 'src'), { acls: false }), []);
      assert.ok(!isMounted(mnt));
    });
  }

  it('shows a repository as one directory per archive, like borg mount', () => {
    const ours = mountpoint();
    const theirs = mountpoint();
    ok(borgTs(['mount', repo, ours], work, env), 'borg-ts mount');
    ok(borg(['mount', repo, theirs], work, env), 'borg mount');
    try {
      assert.deepEqual(readdirSync(ours).sort(), ['by-borg', 'by-borg-ts']);
      assert.deepEqual(listing(ours, work), listing(theirs, work));
    } finally {
      ok(borgTs(['umount', ours], work, env), 'borg-ts umount');
      ok(borg(['umount', theirs], work, env), 'borg umount');
    }
  });

  it('selects archives with --last and paths with PATH and --strip-components like borg', () => {
    const ours = mountpoint();
    const theirs = mountpoint();
    const options = ['--last', '1', '--strip-components', '1', '-e', '*.bin'];
    const paths = ['src/sub', 'src/links', 'src/hl-1', 'src/small.txt'];
    ok(borgTs(['mount', ...options, repo, ours, ...paths], work, env), 'borg-ts mount');
    ok(borg(['mount', ...options, repo, theirs, ...paths], work, env), 'borg mount');
    try {
      const lines = listing(ours, work);
      assert.ok(lines.some((l) => l.startsWith('./by-borg-ts/links/rel l')), lines.join('\n'));
      assert.deepEqual(lines, listing(theirs, work));
    } finally {
      ok(borgTs(['umount', ours], work, env), 'borg-ts umount');
      ok(borg(['umount', theirs], work, env), 'borg umount');
    }
  });

  it('in the foreground, Ctrl-C unmounts and releases the repository lock', async () => {
    const mnt = mountpoint();
    // Background mounts of the tests before end (and drop their locks) shortly after their umount.
    const unlocked = () => !existsSync(join(repo, 'lock.roster')) && !existsSync(join(repo, 'lock.exclusive'));
    await waitFor(unlocked, 'earlier mounts to release the lock');
    const fg = startForeground([`${repo}::by-borg`, mnt], work, env);
    try {
      await waitFor(() => isMounted(mnt), 'the mount');
      assert.ok(existsSync(join(repo, 'lock.roster')), 'the serving process holds a lock');
      fg.child.kill('SIGINT');
      assert.equal(await fg.exit, 0, fg.stderr());
    } finally {
      fg.child.kill('SIGKILL');
    }
    assert.ok(!isMounted(mnt));
    assert.ok(unlocked(), 'lock released');
    ok(borg(['with-lock', repo, 'true'], work, env), 'borg can lock the repository');
  });

  it('umount of a path that is not mounted fails with exit code 1', () => {
    const r = borgTs(['umount', mountpoint()], work, env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unmount/);
  });

  it('refuses unknown -o options and versions with an archive', () => {
    const mnt = mountpoint();
    const unknown = borgTs(['mount', '-o', 'nonsense', `${repo}::by-borg`, mnt], work, env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option/);
    const versions = borgTs(['mount', '-o', 'versions', `${repo}::by-borg`, mnt], work, env);
    assert.equal(versions.code, 2);
    assert.match(versions.stderr, /versions view/);
    assert.ok(!isMounted(mnt));
  });
});
