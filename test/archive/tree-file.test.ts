// Archive trees in their cache file: a tree built from a real borg archive, saved and loaded back
// without the repository (items come through the item source only when asked for), private file
// permissions, and damaged, truncated or old-version files refused (and removed) so the caller
// rebuilds them.
import assert from 'node:assert/strict';
import { chownSync, linkSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { openArchive } from '../../src/archive/archive-reader.js';
import { RepositorySession } from '../../src/archive/repository-session.js';
import { ArchiveTreeCache, buildArchiveTree, NO_ENTRY, repositoryItemSource, type ArchiveTree, type ItemSource } from '../../src/archive/tree/index.js';
import { decodeFsBytes } from '../../src/format/surrogate-escape.js';
import { parseLocation } from '../../src/remote/location.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';
import { borg, ok, type Env } from '../mount/mount-helpers.js';

/** Everything a listing shows of every entry, in entry order. */
function snapshot(tree: ArchiveTree): string[] {
  const rows: string[] = [];
  for (let e = 0; e < tree.count; e++) {
    const r = tree.resolve(e);
    rows.push([
      tree.pathText(e), tree.parent(e), tree.mode(r), tree.uid(r), tree.gid(r), tree.user(r), tree.group(r), tree.size(r),
      tree.mtimeNs(r), tree.atimeNs(r), tree.ctimeNs(r), tree.nlink(r), tree.rdev(r), tree.isSynthetic(e), tree.isLink(e),
      tree.hasXattrs(r), tree.contentDigest(e), tree.childCount(e), [...tree.children(e)].join(','),
    ].join('|'));
  }
  return rows;
}

describe('archive tree files', { timeout: 60_000 }, () => {
  let work: string;
  let session: RepositorySession;
  let env: Env;
  let tree: ArchiveTree;
  let archiveId: string;
  let cache: ArchiveTreeCache;

  before(async () => {
    work = makeTempDir();
    env = { ...process.env, BORG_BASE_DIR: join(work, 'base'), BORG_PASSPHRASE: 'tree' };
    const src = join(work, 'top');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'sub', 'file.txt'), 'content\n');
    writeFileSync(join(src, 'other.txt'), 'other content\n');
    writeFileSync(join(src, 'same.txt'), 'content\n');
    writeFileSync(join(src, 'empty'), '');
    // Owner ids beyond 16 bits: their columns widen to 32 bits, the others stay narrow.
    writeFileSync(join(src, 'wide'), 'wide ids\n');
    chownSync(join(src, 'wide'), 100_000, 70_000);
    linkSync(join(src, 'sub', 'file.txt'), join(src, 'hard'));
    symlinkSync('sub/file.txt', join(src, 'link'));
    writeFileSync(Buffer.concat([Buffer.from(join(src, 'bad-')), Buffer.from([0xff, 0x41])]), 'not UTF-8\n');
    writeFileSync(join(src, `caf\xe9-${'n'.repeat(300)}`.slice(0, 200)), 'long name\n');
    ok(borg(['init', '-e', 'repokey', join(work, 'repo')], work, env), 'borg init');
    ok(borg(['create', `${join(work, 'repo')}::a`, 'top'], work, env), 'borg create');
    session = await RepositorySession.open(parseLocation(join(work, 'repo')), { env, confirm: () => true });
    const archive = await openArchive(session, 'a');
    archiveId = archive.id.toString('hex');
    tree = await buildArchiveTree(session, archive);
    cache = new ArchiveTreeCache(session.repository.id.toString('hex'), env);
  });

  after(async () => {
    await session?.close();
    removeTemp(work);
  });

  it('round trip: the loaded tree lists and finds the same, and reads items through the item source only', async () => {
    cache.save(archiveId, tree);
    const reads: string[] = [];
    const direct = repositoryItemSource(session);
    const source: ItemSource = { metadataChunk: (id) => (reads.push(id.toString('hex')), direct.metadataChunk(id)) };
    const loaded = cache.load(archiveId, source);
    assert.ok(loaded !== null);
    assert.equal(reads.length, 0, 'loading reads nothing from the repository');
    assert.deepEqual(snapshot(loaded.tree), snapshot(tree));
    const file = loaded.tree.find('top/sub/file.txt');
    assert.equal(loaded.tree.find('top/sub/file.txt'), tree.find('top/sub/file.txt'));
    assert.deepEqual(await loaded.tree.item(file), await tree.item(file));
    assert.deepEqual(await loaded.tree.item(loaded.tree.find('top/hard')), await tree.item(tree.find('top/hard')));
    assert.equal((await loaded.tree.item(loaded.tree.find('top/link')))?.source, 'sub/file.txt');
    // A hard link's own item names its file (the first of the group in the archive).
    const pair = [loaded.tree.find('top/hard'), loaded.tree.find('top/sub/file.txt')];
    const [link, target] = loaded.tree.isLink(pair[0]!) ? pair : [pair[1]!, pair[0]!];
    assert.ok(loaded.tree.isLink(link!) && !loaded.tree.isLink(target!));
    const own = await loaded.tree.ownItem(link!);
    assert.equal(own?.path, loaded.tree.pathText(link!));
    assert.equal(own?.source, loaded.tree.pathText(target!));
    assert.deepEqual(own, await tree.ownItem(link!));
    assert.ok(reads.length > 0);
  });

  it('columns of small values stay 16-bit and widen for a value that does not fit; atime equal to mtime is not kept twice', () => {
    const wide = tree.find('top/wide');
    assert.equal(tree.uid(wide), 100_000);
    assert.equal(tree.gid(wide), 70_000);
    assert.equal(tree.uid(tree.find('top/empty')), process.getuid!());
    const t = tree.parts.tables;
    assert.ok(t.uid instanceof Uint32Array && t.gid instanceof Uint32Array);
    assert.ok(t.mode instanceof Uint16Array && t.locChunk instanceof Uint16Array);
    const loaded = (cache.save(archiveId, tree), cache.load(archiveId, repositoryItemSource(session)));
    assert.equal(loaded?.tree.uid(loaded.tree.find('top/wide')), 100_000);
    assert.ok(loaded?.tree.parts.tables.mode instanceof Uint16Array && loaded.tree.parts.tables.uid instanceof Uint32Array);
    // borg stored no atimes: the atime column is the mtime column, in memory and in the file.
    assert.equal(t.atime, t.mtime);
    assert.equal(loaded.tree.parts.tables.atime, loaded.tree.parts.tables.mtime);
    assert.equal(tree.atimeNs(wide), tree.mtimeNs(wide));
  });

  it('names as text: ASCII directly, other bytes decoded like every file name', () => {
    for (let e = 0; e < tree.count; e++) assert.equal(tree.nameText(e), decodeFsBytes(tree.name(e)));
    assert.notEqual(tree.find(`top/${`caf\xe9-${'n'.repeat(300)}`.slice(0, 200)}`), NO_ENTRY);
    const bad = tree.find(Buffer.concat([Buffer.from('top/bad-'), Buffer.from([0xff, 0x41])]));
    assert.equal(tree.nameText(bad), 'bad-\udcffA');
  });

  it('content digests tell contents apart: equal for the same chunks, empty for no contents', () => {
    const d = (p: string) => tree.contentDigest(tree.find(p));
    assert.match(d('top/sub/file.txt'), /^[0-9a-f]{16}$/);
    assert.equal(d('top/same.txt'), d('top/sub/file.txt'));
    assert.equal(d('top/hard'), d('top/sub/file.txt'));
    assert.notEqual(d('top/other.txt'), d('top/sub/file.txt'));
    assert.equal(d('top/empty'), '');
    assert.equal(d('top/sub'), '');
  });

  it('files are 0600 in 0700 directories', () => {
    cache.save(archiveId, tree);
    assert.equal(statSync(cache.file(archiveId)).mode & 0o777, 0o600);
    assert.equal(statSync(cache.dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(cache.dir, '..')).mode & 0o777, 0o700);
  });

  it('a damaged, truncated, old-version or foreign file is refused and removed', () => {
    const source = repositoryItemSource(session);
    const good = (cache.save(archiveId, tree), readFileSync(cache.file(archiveId)));
    const damage = (edit: (data: Buffer) => Buffer) => {
      writeFileSync(cache.file(archiveId), edit(Buffer.from(good)), { mode: 0o600 });
      const loaded = cache.load(archiveId, source);
      assert.equal(loaded, null);
      assert.equal(existsSync(cache.file(archiveId)), false, 'the bad file is removed');
    };
    damage((d) => ((d[d.length - 20]! ^= 1), d)); // one bit in the columns
    damage((d) => d.subarray(0, d.length - 8));
    damage((d) => (d.writeUInt32LE(0, 8), d)); // version
    damage((d) => d.subarray(0, 10));
    damage(() => Buffer.from('not a tree file at all, just some text that is long enough to pass'));
    // A file saved for another archive id is not taken for this one.
    cache.save('00'.repeat(32), tree);
    writeFileSync(cache.file(archiveId), readFileSync(cache.file('00'.repeat(32))));
    assert.equal(cache.load(archiveId, source), null);
    // Saved again, it loads.
    cache.save(archiveId, tree);
    assert.ok(cache.load(archiveId, source) !== null);
  });

  it('prune removes the trees of archives that are gone', () => {
    cache.save('11'.repeat(32), tree);
    cache.save(archiveId, tree);
    cache.prune(new Set([archiveId]));
    assert.equal(cache.has('11'.repeat(32)), false);
    assert.equal(cache.has(archiveId), true);
  });
});
