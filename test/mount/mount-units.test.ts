// The parts of the mount that need no kernel: -o parsing (borg's rules), versions naming (Python's
// splitext), and archive trees built from a real borg archive (lookup, listing, hard links,
// synthetic parents, lazily loaded items).
import assert from 'node:assert/strict';
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { openArchive } from '../../src/archive/archive-reader.js';
import { buildMatcher } from '../../src/archive/patterns/index.js';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { buildArchiveTree, NO_ENTRY, splitExtension, versionedName, VersionsIndex } from '../../src/archive/tree/index.js';
import { UsageError } from '../../src/errors.js';
import { parseMountOptions } from '../../src/mount/mount-options.js';
import { parseLocation } from '../../src/remote/location.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';
import { borg, ok, type Env } from './mount-helpers.js';

describe('parseMountOptions', () => {
  it('has borg defaults: read-only, default_permissions, fsname borgfs', () => {
    const o = parseMountOptions(undefined);
    assert.equal(o.defaultPermissions, true);
    assert.equal(o.fsName, 'borgfs');
    assert.equal(o.versions, false);
    assert.equal(o.umask, 0);
  });

  it('takes out borg options with and without values', () => {
    const o = parseMountOptions('versions,allow_damaged_files=yes,uid=1000,gid=100,umask=0222,allow_other');
    assert.deepEqual([o.versions, o.allowDamagedFiles, o.uid, o.gid, o.umask, o.allowOther], [true, true, 1000, 100, 0o222, true]);
    assert.equal(parseMountOptions('versions=no').versions, false);
    assert.equal(parseMountOptions('umask=077').umask, 0o77);
  });

  it('ignore_permissions drops default_permissions', () => {
    assert.equal(parseMountOptions('ignore_permissions').defaultPermissions, false);
    assert.equal(parseMountOptions('ignore_permissions,default_permissions').defaultPermissions, false);
  });

  it('refuses bad values and unknown options', () => {
    assert.throws(() => parseMountOptions('uid=abc'), UsageError);
    assert.throws(() => parseMountOptions('versions=maybe'), /unsupported value in option: versions=maybe/);
    assert.throws(() => parseMountOptions('umask=9'), UsageError);
    assert.throws(() => parseMountOptions('kernel_cache'), /unknown option/);
    assert.throws(() => parseMountOptions('allow_other,allow_root'), /mutually exclusive/);
  });
});

describe('versions naming', () => {
  const b = (s: string) => Buffer.from(s);
  it('splits extensions like os.path.splitext', () => {
    const cases: Array<[string, string, string]> = [
      ['a.txt', 'a', '.txt'], ['a.tar.gz', 'a.tar', '.gz'], ['.profile', '.profile', ''], ['..weird', '..weird', ''],
      ['..a.b', '..a', '.b'], ['noext', 'noext', ''], ['trailing.', 'trailing', '.'], ['dir.d/file', 'dir.d/file', ''],
    ];
    for (const [name, stem, ext] of cases) assert.deepEqual(splitExtension(b(name)).map(String), [stem, ext], name);
  });

  it('numbers with five digits before the extension', () => {
    assert.equal(versionedName(b('report.pdf'), 3).toString(), 'report.00003.pdf');
    assert.equal(versionedName(b('x'), 123456).toString(), 'x.123456');
  });

  it('gives a new number to each new content, the latest one to a repeat', () => {
    const v = new VersionsIndex();
    const id = (n: number) => Buffer.alloc(32, n);
    assert.equal(v.versionOf(b('f'), [id(1)]), 1);
    assert.equal(v.versionOf(b('f'), [id(1)]), 1);
    assert.equal(v.versionOf(b('f'), [id(2)]), 2);
    assert.equal(v.versionOf(b('f'), [id(1)]), 3);
    assert.equal(v.versionOf(b('g'), []), 1);
  });
});

describe('archive trees', { timeout: 60_000 }, () => {
  let work: string;
  let session: RepositorySession;
  let env: Env;

  before(async () => {
    work = makeTempDir();
    env = { ...process.env, BORG_BASE_DIR: join(work, 'base'), BORG_PASSPHRASE: 'tree' };
    const src = join(work, 'top', 'mid');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'sub', 'file.txt'), 'content\n');
    linkSync(join(src, 'sub', 'file.txt'), join(src, 'second'));
    symlinkSync('sub/file.txt', join(src, 'link'));
    writeFileSync(join(work, 'top', 'alone'), 'x');
    ok(borg(['init', '-e', 'repokey', join(work, 'repo')], work, env), 'borg init');
    // top/mid is given before top: items of top/mid come first, top's own item later (borg's duplicate case).
    ok(borg(['create', `${join(work, 'repo')}::a`, 'top/mid', 'top'], work, env), 'borg create');
    session = await RepositorySession.open(parseLocation(join(work, 'repo')), { env, confirm: () => true });
  });

  after(async () => {
    await session?.close();
    removeTemp(work);
  });

  it('finds entries by name, lists directories, resolves hard links', async () => {
    const tree = await buildArchiveTree(session, await openArchive(session, 'a'));
    const top = tree.lookup(tree.root, Buffer.from('top'));
    assert.notEqual(top, NO_ENTRY);
    assert.ok(!tree.isSynthetic(top), 'the later item of top replaced the synthetic directory');
    const mid = tree.find('top/mid');
    assert.deepEqual([...tree.children(mid)].map((e) => tree.name(e).toString()).sort(), ['link', 'second', 'sub']);
    const file = tree.find('top/mid/sub/file.txt');
    const second = tree.find('top/mid/second');
    assert.equal(tree.resolve(second), tree.resolve(file));
    assert.equal(tree.nlink(tree.resolve(file)), 2);
    assert.equal(tree.size(tree.find('top/mid/link')), 'sub/file.txt'.length);
    assert.equal(tree.pathText(file), 'top/mid/sub/file.txt');
    const item = await tree.item(tree.find('top/mid/link'));
    assert.equal(item?.source, 'sub/file.txt');
    assert.equal((await tree.item(second))?.chunks?.length, 1);
    assert.equal(tree.lookup(mid, Buffer.from('missing')), NO_ENTRY);
  });

  it('applies PATHs and --strip-components; a selected link takes an unselected file\'s content', async () => {
    const tree = await buildArchiveTree(session, await openArchive(session, 'a'), { matcher: buildMatcher([], ['top/mid/second']), stripComponents: 2 });
    const second = tree.find('second');
    assert.notEqual(second, NO_ENTRY);
    assert.equal(tree.resolve(second), second);
    assert.equal(tree.size(second), 8);
    assert.equal((await tree.item(second))?.chunks?.length, 1);
    assert.equal(tree.find('sub'), NO_ENTRY);
  });
});
