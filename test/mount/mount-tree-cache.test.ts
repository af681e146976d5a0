// `borg-ts mount` keeps the tree of a whole archive in the cache (archive-trees/<repo>/<archive>.tree,
// the same file `borg-ts web` uses) and loads it on the next mount; a mount with PATHs builds its
// own tree and saves nothing; a damaged file is rebuilt. Every mount matches real borg's.
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';
import { borg, borgTs, checksums, type Env, listing, MountPoints, ok } from './mount-helpers.js';

describe('borg-ts mount with saved archive trees', { timeout: 180_000 }, () => {
  let work: string;
  let repo: string;
  let env: Env;
  let expected: { names: string[]; sums: string[] };
  const mounts = new MountPoints(() => work);
  const mountpoint = () => mounts.next();

  /** The tree files of the repository's archives: name -> modification time (ms). */
  const treeFiles = (): Map<string, number> => {
    const root = join(env['BORG_BASE_DIR']!, '.cache/borg/archive-trees');
    const files = new Map<string, number>();
    for (const repoDir of readdirSync(root)) {
      for (const f of readdirSync(join(root, repoDir))) files.set(join(root, repoDir, f), statSync(join(root, repoDir, f)).mtimeMs);
    }
    return files;
  };

  const mountAndList = (location: string, paths: string[] = []) => {
    const mnt = mountpoint();
    ok(borgTs(['mount', location, mnt, ...paths], work, env), 'borg-ts mount');
    try {
      return { names: listing(mnt, work), sums: checksums(mnt, work) };
    } finally {
      ok(borgTs(['umount', mnt], work, env), 'borg-ts umount');
    }
  };

  before(() => {
    work = makeTempDir();
    repo = join(work, 'repo');
    env = { ...process.env, BORG_BASE_DIR: join(work, 'base'), BORG_PASSPHRASE: 'trees', BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes' };
    const src = join(work, 'data');
    mkdirSync(join(src, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(src, 'sub', 'file.txt'), 'content\n');
    writeFileSync(join(src, 'sub', 'deeper', 'big.bin'), Buffer.alloc(300_000, 7));
    linkSync(join(src, 'sub', 'file.txt'), join(src, 'hard'));
    symlinkSync('sub/file.txt', join(src, 'link'));
    ok(borg(['init', '-e', 'repokey', repo], work, env), 'borg init');
    ok(borg(['create', `${repo}::a`, 'data'], work, env), 'borg create');
    const theirs = mountpoint();
    ok(borg(['mount', `${repo}::a`, theirs], work, env), 'borg mount');
    try {
      expected = { names: listing(theirs, work), sums: checksums(theirs, work) };
    } finally {
      ok(borg(['umount', theirs], work, env), 'borg umount');
    }
  });

  after(() => {
    mounts.unmountAll();
    removeTemp(work);
  });

  it('saves the tree on the first mount and loads it (unchanged) on the next', () => {
    assert.deepEqual(mountAndList(`${repo}::a`), expected);
    const saved = treeFiles();
    assert.equal(saved.size, 1);
    const [file] = saved.keys();
    assert.equal(statSync(file!).mode & 0o777, 0o600);
    assert.deepEqual(mountAndList(`${repo}::a`), expected);
    assert.deepEqual(treeFiles(), saved, 'the file was loaded, not written again');
    // The repository layout (a directory per archive) uses the same file.
    const whole = mountAndList(repo);
    const inA = whole.names.filter((l) => l.startsWith('./a/')).map((l) => `./${l.slice(4)}`);
    assert.deepEqual(inA, expected.names.filter((l) => l.startsWith('./')));
    assert.deepEqual(whole.sums.map((l) => l.replace('  ./a/', '  ./')), expected.sums);
    assert.deepEqual(treeFiles(), saved);
  });

  it('a damaged tree file is rebuilt', () => {
    const [file] = treeFiles().keys();
    const data = readFileSync(file!);
    data[data.length - 40]! ^= 0xff;
    writeFileSync(file!, data);
    assert.deepEqual(mountAndList(`${repo}::a`), expected);
    assert.notDeepEqual(readFileSync(file!), data, 'a good file replaced the damaged one');
  });

  it('a mount with PATHs builds its own tree', () => {
    const before = treeFiles();
    const part = mountAndList(`${repo}::a`, ['data/sub']);
    assert.ok(part.names.some((l) => l.startsWith('./data/sub/deeper/big.bin f')));
    assert.ok(!part.names.some((l) => l.startsWith('./data/hard')));
    assert.deepEqual(treeFiles(), before);
  });
});
