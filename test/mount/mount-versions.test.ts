// `borg-ts mount -o versions` beside real `borg mount -o versions` on one repository: the same
// names (numbered contents, extensions kept, dot files, symlinks, hard links across archives),
// link counts, sizes and file contents.
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';
import { borg, borgTs, checksums, type Env, listing, MountPoints, ok } from './mount-helpers.js';

describe('borg-ts mount -o versions', { timeout: 180_000 }, () => {
  let work: string;
  let repo: string;
  let env: Env;
  const mounts = new MountPoints(() => work);
  const mountpoint = () => mounts.next();

  before(() => {
    work = makeTempDir();
    repo = join(work, 'repo');
    env = { ...process.env, BORG_BASE_DIR: join(work, 'base'), BORG_PASSPHRASE: 'versions', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
    const src = join(work, 'data');
    mkdirSync(join(src, 'docs', 'deep'), { recursive: true });
    const write = (path: string, text: string) => writeFileSync(join(src, path), text);
    write('docs/report.txt', 'draft\n');
    write('docs/archive.tar.gz', 'tarball\n');
    write('.profile', 'export A=1\n');
    write('..weird', 'dots\n');
    write('Makefile', 'all:\n');
    write('docs/deep/empty', '');
    write('docs/link-master', 'linked\n');
    linkSync(join(src, 'docs/link-master'), join(src, 'docs/link-second'));
    symlinkSync('report.txt', join(src, 'docs/latest'));
    ok(borg(['init', '-e', 'repokey', repo], work, env), 'borg init');
    ok(borg(['create', `${repo}::day-1`, 'data'], work, env), 'borg create 1');
    write('docs/report.txt', 'final\n');
    write('docs/link-master', 'linked, changed\n');
    ok(borgTs(['create', `${repo}::day-2`, 'data'], work, env), 'borg-ts create 2');
    write('docs/report.txt', 'draft\n'); // an old content again: a new version after "final"
    rmSync(join(src, 'Makefile'));
    write('docs/new.md', '# new\n');
    ok(borg(['create', `${repo}::day-3`, 'data'], work, env), 'borg create 3');
    write('.profile', 'export A=2\n');
    ok(borgTs(['create', `${repo}::other-4`, 'data'], work, env), 'borg-ts create 4');
  });

  after(() => {
    mounts.unmountAll();
    removeTemp(work);
  });

  const compare = (options: string[]) => {
    const ours = mountpoint();
    const theirs = mountpoint();
    ok(borgTs(['mount', '-o', 'versions', ...options, repo, ours], work, env), 'borg-ts mount');
    try {
      ok(borg(['mount', '-o', 'versions', ...options, repo, theirs], work, env), 'borg mount');
      try {
        const names = listing(ours, work);
        assert.deepEqual(names, listing(theirs, work));
        assert.deepEqual(checksums(ours, work), checksums(theirs, work));
        return names;
      } finally {
        ok(borg(['umount', theirs], work, env), 'borg umount');
      }
    } finally {
      ok(borgTs(['umount', ours], work, env), 'borg-ts umount');
    }
  };

  it('lists the same names, link counts, sizes and contents as borg', () => {
    const names = compare([]);
    for (const expected of ['./data/docs/report.txt/report.00003.txt f', './data/docs/archive.tar.gz/archive.tar.00001.gz f', './data/.profile/.profile.00002 f', './data/docs/latest/latest l']) {
      assert.ok(names.some((line) => line.startsWith(expected)), `${expected} in\n${names.join('\n')}`);
    }
  });

  it('does the same over the archives an archive filter selects', () => {
    compare(['-a', 'day-*', '--last', '2']);
  });
});
