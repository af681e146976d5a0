// createArchive in-process: the same archive and statistics with one and with two workers, no IV
// used twice, the files cache (unchanged files are not even opened), hard links, --read-special,
// read errors, and checkpoints with part files — checked with real borg where it matters.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, linkSync, mkdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { itemToMsg, type Item } from '../../src/archive/item.js';
import { encode } from '../../src/format/msgpack.js';
import { MAX_DATA_SIZE, parseChunkerParams } from '../../src/chunker/index.js';
import { mkfifo } from '../../src/platform/native.js';
import { pseudoRandom } from '../helpers/tree-compare.js';
import { newTestRepo, openSession, readItems, readObjects, runCreate, type TestRepo } from '../helpers/create-run.js';

// Small chunks: many of them, so that the workers interleave and duplicates race.
const SMALL_CHUNKS = parseChunkerParams('buzhash,10,16,12,4095');

function borg(args: string[], repo: TestRepo): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('borg', args, { env: repo.env as NodeJS.ProcessEnv, cwd: repo.dir, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function packed(items: Item[]): string[] {
  return items.map((item) => encode(itemToMsg(item), { sortKeys: true }).toString('hex'));
}

/** A tree of ~6 MB: random, repeated (across files: workers seal the same new chunk) and zero data. */
function buildTree(root: string): void {
  mkdirSync(join(root, 'a/b'), { recursive: true });
  mkdirSync(join(root, 'c'));
  const shared = pseudoRandom('shared', 150_000);
  for (let i = 0; i < 24; i++) {
    const dir = ['a', 'a/b', 'c'][i % 3]!;
    const body = i % 4 === 0 ? shared : i % 4 === 1 ? Buffer.alloc(60_000 + i) : pseudoRandom(`f${i}`, 1000 + i * 7000);
    writeFileSync(join(root, dir, `f${i}`), Buffer.concat([body, Buffer.from(`#${i}`)]));
  }
  writeFileSync(join(root, 'big'), Buffer.concat([pseudoRandom('big', 2_500_000), shared, Buffer.alloc(300_000), pseudoRandom('tail', 99)]));
  writeFileSync(join(root, 'empty'), '');
  linkSync(join(root, 'big'), join(root, 'c/big-link'));
  symlinkSync('../big', join(root, 'a/link'));
}

describe('createArchive', () => {
  let repo: TestRepo;

  before(async () => {
    repo = await newTestRepo();
    buildTree(join(repo.dir, 'tree'));
  });
  after(() => repo.cleanup());

  it('gives the same items, chunks and statistics with 1 and 2 workers, and never uses an IV twice', async () => {
    // The same repository state twice (same path, same key): once per worker count.
    const snapshot = join(repo.dir, 'snapshot');
    for (const name of ['repo', 'base']) cpSync(join(repo.dir, name), join(snapshot, name), { recursive: true });
    const one = await runCreate(repo, { name: 'a', paths: ['tree'], chunkerParams: SMALL_CHUNKS, workers: 1 });
    const itemsOne = await readItems(repo, 'a');
    for (const name of ['repo', 'base']) {
      renameSync(join(repo.dir, name), join(repo.dir, `${name}-one`));
      renameSync(join(snapshot, name), join(repo.dir, name));
    }
    const two = await runCreate(repo, { name: 'a', paths: ['tree'], chunkerParams: SMALL_CHUNKS, workers: 2 });
    const itemsTwo = await readItems(repo, 'a');
    assert.ok(itemsOne.length >= 30);
    assert.deepEqual(packed(itemsTwo), packed(itemsOne), 'item streams (with chunk lists) are identical');
    assert.deepEqual(two.lines, one.lines, '--list output');
    const a = one.result.archive!;
    const b = two.result.archive!;
    // Everything but the archive metadata object itself, whose compressed size varies (TAM salt).
    const withoutMetadata = (x: typeof a) => ({ ...x.stats, csize: x.stats.csize - Math.round(x.maxArchiveSize * MAX_DATA_SIZE), usize: x.stats.usize - Math.round(x.maxArchiveSize * MAX_DATA_SIZE) });
    assert.deepEqual(withoutMetadata(b), withoutMetadata(a), 'statistics');
    assert.equal(b.id.equals(a.id), false, 'different archives (times differ)');
    // A second parallel backup of a changed tree into the same repository.
    writeFileSync(join(repo.dir, 'tree/c/new'), pseudoRandom('new', 200_000));
    await runCreate(repo, { name: 'b', paths: ['tree'], chunkerParams: SMALL_CHUNKS, workers: 2 });
    const session = await openSession(repo, false);
    const key = session.key;
    await session.close();
    const ivs = new Set<string>();
    let objects = 0;
    for (const [, envelope] of await readObjects(repo)) {
      const iv = key.ivOf(envelope);
      if (iv === null) continue;
      objects++;
      assert.ok(!ivs.has(iv.toString()), `IV ${iv} used twice`);
      ivs.add(iv.toString());
    }
    assert.ok(objects > 500, `${objects} objects`);
    assert.equal(borg(['check', '--verify-data', repo.path], repo).status, 0);
    rmSync(join(repo.dir, 'repo-one'), { recursive: true, force: true });
    rmSync(join(repo.dir, 'base-one'), { recursive: true, force: true });
  });

  it('does not read files the files cache knows as unchanged, and reads a changed one', async () => {
    const root = join(repo.dir, 'fc');
    mkdirSync(root);
    const old = new Date('2020-01-01T00:00:00Z');
    for (const name of ['one', 'two', 'three']) {
      writeFileSync(join(root, name), pseudoRandom(name, 5000));
      utimesSync(join(root, name), old, old);
    }
    // Files with the newest time seen in a run are not remembered (coarse clocks): a newer sentinel.
    writeFileSync(join(root, 'sentinel'), 'x');
    const first = await runCreate(repo, { name: 'fc1', paths: ['fc'] }, 'ms');
    assert.deepEqual(first.lines.filter((l) => !l.startsWith('d ')).sort(), ['A fc/one', 'A fc/sentinel', 'A fc/three', 'A fc/two']);
    // New content of the same size with the old mtime: in mtime,size mode the file counts as
    // unchanged, so if it is not read, the archive keeps the old content.
    writeFileSync(join(root, 'two'), pseudoRandom('other', 5000));
    utimesSync(join(root, 'two'), old, old);
    const second = await runCreate(repo, { name: 'fc2', paths: ['fc'] }, 'ms');
    assert.deepEqual(second.lines.filter((l) => !l.startsWith('d ')).sort(), ['A fc/sentinel', 'U fc/one', 'U fc/three', 'U fc/two']);
    const chunksOf = async (archive: string) => (await readItems(repo, archive)).find((i) => i.path === 'fc/two')!.chunks!.map((c) => c.id.toString('hex'));
    assert.deepEqual(await chunksOf('fc2'), await chunksOf('fc1'), 'not read: the stored content is the old one');
    // A real change (new mtime): only that file is read.
    writeFileSync(join(root, 'three'), pseudoRandom('changed', 7000));
    const third = await runCreate(repo, { name: 'fc3', paths: ['fc'] }, 'ms');
    assert.deepEqual(third.lines.filter((l) => !l.startsWith('d ')).sort(), ['A fc/sentinel', 'M fc/three', 'U fc/one', 'U fc/two']);
    assert.equal(third.result.archive!.stats.nfiles, 4);
  });

  it('stores hard links as master and slaves, reads specials with --read-special, skips sockets', async () => {
    const root = join(repo.dir, 'special');
    mkdirSync(root);
    writeFileSync(join(root, 'data'), 'linked');
    linkSync(join(root, 'data'), join(root, 'data2'));
    mkfifo(join(root, 'fifo'), 0o600);
    symlinkSync('/dev/null', join(root, 'null-link'));
    const plain = await runCreate(repo, { name: 'sp1', paths: ['special'] });
    const items = new Map((await readItems(repo, 'sp1')).map((i) => [i.path, i]));
    const [master, slave] = plain.lines.includes('A special/data') ? ['special/data', 'special/data2'] : ['special/data2', 'special/data'];
    assert.equal(items.get(master)!.hardlinkMaster, true);
    assert.equal(items.get(slave)!.source, master);
    assert.equal(items.get(slave)!.chunks, undefined);
    assert.equal(items.get('special/fifo')!.hardlinkMaster, false);
    assert.equal(items.get('special/null-link')!.source, '/dev/null');
    const special = await runCreate(repo, { name: 'sp2', paths: ['special/null-link'], readSpecial: true });
    assert.deepEqual(special.lines, ['A special/null-link']);
    const read = (await readItems(repo, 'sp2'))[0]!;
    assert.equal(read.mode & 0o170000, 0o100000, 'stored as a regular file');
    assert.equal(read.size, 0);
  });

  it('reports an unreadable file with E, stores nothing of it, and leaves no orphan', async () => {
    writeFileSync(join(repo.dir, 'readable'), pseudoRandom('readable', 100_000));
    // Reading /proc/self/mem at offset 0 fails with EIO, also for root.
    const run = await runCreate(repo, { name: 'err', paths: ['/proc/self/mem', 'readable'], workers: 2 });
    assert.deepEqual(run.lines, ['A /proc/self/mem', 'E /proc/self/mem', 'A readable']);
    assert.equal(run.warnings.length, 1);
    assert.match(run.warnings[0]!.message, /^\/proc\/self\/mem: read: \[Errno 5\] Input\/output error$/);
    assert.equal(run.warnings[0]!.code, 'BackupIOError');
    assert.deepEqual((await readItems(repo, 'err')).map((i) => i.path), ['readable']);
    assert.equal(borg(['check', repo.path], repo).status, 0);
  });

  it('writes checkpoints with part files while a slow stream is stored; the final archive replaces them', async () => {
    async function* slowStream(): AsyncIterable<Buffer> {
      for (let i = 0; i < 6; i++) {
        yield pseudoRandom(`slow${i}`, 200_000);
        await sleep(60);
      }
    }
    const run = await runCreate(repo, {
      name: 'cp', paths: ['-'], stdin: slowStream() as unknown as NodeJS.ReadableStream, chunkerParams: SMALL_CHUNKS, checkpointInterval: 0.05,
    });
    assert.deepEqual(run.lines, ['i stdin']);
    const items = await readItems(repo, 'cp');
    const parts = items.filter((i) => i.part !== undefined);
    const whole = items.find((i) => i.path === 'stdin')!;
    assert.ok(parts.length >= 2, `${parts.length} part files`);
    parts.forEach((p, n) => assert.equal(p.path, `stdin.borg_part_${n + 1}`));
    assert.deepEqual(parts.flatMap((p) => p.chunks!.map((c) => c.id.toString('hex'))), whole.chunks!.map((c) => c.id.toString('hex')), 'parts add up to the file');
    assert.equal(whole.size, 1_200_000);
    assert.equal(run.result.archive!.stats.nfilesParts, parts.length);
    const session = await openSession(repo, false);
    const names = [...session.manifest.archives.keys()];
    await session.close();
    assert.ok(!names.some((n) => n.includes('.checkpoint')), `no checkpoint left: ${names.join(', ')}`);
    assert.equal(borg(['check', '--verify-data', repo.path], repo).status, 0);
  });
});
