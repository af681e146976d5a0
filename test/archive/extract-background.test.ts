// Small files are written in the background (several at once) while extraction goes on: the
// --list lines and warnings must keep archive order (each warning right after its item's line),
// and the tree must be what writing one file after the other gives, also when later items depend
// on files still being written (same path twice, a file as a later item's parent, hard links,
// directory times). --workers 1 and 2 must agree, also when a worker opens and writes a small
// file whole and one of its chunks is damaged.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { S_IFDIR, S_IFREG } from '../../src/archive/item.js';
import { runCli } from '../../src/cli/main.js';
import { writeNewFile, writeNewFileSync } from '../../src/platform/native.js';
import { flipObjectBit, repoLayout } from '../helpers/damage.js';
import { MTIME, writeArchive, type ItemSpec } from '../helpers/library-archive.js';
import { diffTrees } from '../helpers/tree-compare.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';


describe('extract writing small files in the background', () => {
  let work: string;
  let repo: string;
  let env: Record<string, string | undefined>;

  before(async () => {
    work = makeTempDir();
    repo = join(work, 'repo');
    env = { ...process.env, BORG_BASE_DIR: join(work, 'base'), BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', LANG: 'C.UTF-8' };
    const specs: ItemSpec[] = [{ path: 'd', mode: S_IFDIR | 0o750, mtime: MTIME } as ItemSpec];
    for (let i = 0; i < 100; i++) {
      specs.push({ path: `d/f${i}`, content: `file ${i} `.repeat(i * 37), mode: S_IFREG | (i % 2 === 0 ? 0o600 : 0o644) });
      if (i === 10) specs.push({ path: 'd/bad-size', content: 'stored size is wrong', size: 999 });
      if (i === 20) specs.push({ path: 'd/f5/below-a-file', content: 'refused: its parent is a file' });
      if (i === 30) specs.push({ path: 'd/f29', content: 'the second d/f29 replaces the first' });
      if (i === 40) specs.push({ path: 'd/master', content: 'group content', hardlinkMaster: true }, { path: 'd/slave', source: 'd/master' });
    }
    specs.push({ path: 'e', mode: S_IFDIR | 0o700 }, { path: 'e/last', content: 'last' });
    await writeArchive(repo, env, 'many', specs, 0o640);
  });
  after(() => removeTemp(work));

  const extract = async (workers: number, name = `target-${workers}`) => {
    const target = join(work, name);
    mkdirSync(target, { recursive: true });
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['extract', '--list', '--workers', String(workers), `${repo}::many`], {
      env, cwd: target, stdout: { write: (text) => void out.push(String(text)) }, stderr: { write: (text) => void err.push(String(text)) },
    });
    const lines = err.join('').split('\n').filter((line) => line !== '' && !/previously unknown unencrypted|Do you want to continue/.test(line));
    return { code, target, lines, stdout: out.join('') };
  };

  it('keeps archive order and sequential results', async () => {
    const one = await extract(1);
    const two = await extract(2);
    assert.equal(one.code, 1, one.lines.join('\n'));
    assert.equal(two.code, one.code);
    assert.deepEqual(two.lines, one.lines);
    assert.equal(two.stdout, one.stdout);
    // The list line of each item comes before its warning, and the warnings stay in archive order.
    const badSize = two.lines.findIndex((line) => line.startsWith('d/bad-size: Size inconsistency'));
    const refused = two.lines.findIndex((line) => line.startsWith('d/f5/below-a-file: '));
    assert.ok(badSize > two.lines.indexOf('d/bad-size') && badSize < two.lines.indexOf('d/f11'), two.lines.join('\n'));
    assert.ok(refused > two.lines.indexOf('d/f5/below-a-file') && refused < two.lines.indexOf('d/f21'), two.lines.join('\n'));
    assert.deepEqual(diffTrees(one.target, two.target), []);
    assert.equal(readFileSync(join(two.target, 'd/f29'), 'utf8'), 'the second d/f29 replaces the first');
    assert.equal(lstatSync(join(two.target, 'd/master')).ino, lstatSync(join(two.target, 'd/slave')).ino);
    const dir = lstatSync(join(two.target, 'd'), { bigint: true });
    assert.equal(dir.mtimeNs, MTIME, 'the directory gets its time after all its files are written');
    assert.equal(Number(dir.mode) & 0o7777, 0o750);
    const file = lstatSync(join(two.target, 'd/f7'), { bigint: true });
    assert.equal(file.mtimeNs, MTIME);
    assert.equal(Number(file.mode) & 0o7777, 0o644);
  });

  it('replaces what is in the way like borg, and reports what cannot be removed', async () => {
    const target = join(work, 'occupied');
    mkdirSync(join(target, 'd/f6'), { recursive: true });
    mkdirSync(join(target, 'd/f8/full'), { recursive: true });
    writeFileSync(join(target, 'd/f3'), 'old content');
    writeFileSync(join(work, 'outside'), 'must survive');
    symlinkSync(join(work, 'outside'), join(target, 'd/f4'));
    const { code, lines } = await extract(2, 'occupied');
    assert.equal(code, 1, lines.join('\n'));
    assert.equal(readFileSync(join(target, 'd/f3'), 'utf8'), 'file 3 '.repeat(3 * 37));
    assert.ok(lstatSync(join(target, 'd/f4')).isFile());
    assert.equal(readFileSync(join(work, 'outside'), 'utf8'), 'must survive');
    assert.ok(lstatSync(join(target, 'd/f6')).isFile());
    const f8 = lines.filter((line) => line.startsWith('d/f8: '));
    assert.deepEqual(f8, [`d/f8: [Errno 17] File exists: '${join(target, 'd/f8')}'`]);
    assert.equal(lines.indexOf(f8[0]!), lines.indexOf('d/f8') + 1, lines.join('\n'));
  });

  it('writeNewFile writes many buffers, mode and ns times, and fails like open on what it cannot remove', async () => {
    const path = join(work, 'many-buffers');
    const buffers = Array.from({ length: 3000 }, (_, i) => Buffer.from(`${i},`));
    await writeNewFile(path, buffers, 0o4751, -1, -1, 1_000_000_001_000_000_001n, MTIME);
    const st = lstatSync(path, { bigint: true }); // before reading it changes the atime
    assert.equal(Number(st.mode) & 0o7777, 0o4751);
    assert.equal(st.mtimeNs, MTIME);
    assert.equal(st.atimeNs, 1_000_000_001_000_000_001n);
    assert.equal(readFileSync(path, 'utf8'), Buffer.concat(buffers).toString());
    await writeNewFile(path, [Buffer.from('replaced')], 0o600, -1, -1, MTIME, MTIME);
    assert.equal(readFileSync(path, 'utf8'), 'replaced');
    mkdirSync(join(work, 'not-empty/x'), { recursive: true });
    await assert.rejects(writeNewFile(join(work, 'not-empty'), [], 0o600, -1, -1, MTIME, MTIME), { code: 'EEXIST', syscall: 'open', path: join(work, 'not-empty') });
    await assert.rejects(writeNewFile(join(work, 'missing/file'), [], 0o600, -1, -1, MTIME, MTIME), { code: 'ENOENT', syscall: 'open' });
  });

  it('writeNewFileSync does the same on the calling thread', () => {
    const path = join(work, 'many-buffers-sync');
    const buffers = Array.from({ length: 3000 }, (_, i) => Buffer.from(`${i};`));
    writeNewFileSync(path, buffers, 0o4751, -1, -1, 1_000_000_001_000_000_001n, MTIME);
    const st = lstatSync(path, { bigint: true });
    assert.equal(Number(st.mode) & 0o7777, 0o4751);
    assert.equal(st.mtimeNs, MTIME);
    assert.equal(st.atimeNs, 1_000_000_001_000_000_001n);
    assert.equal(readFileSync(path, 'utf8'), Buffer.concat(buffers).toString());
    writeNewFileSync(path, [Buffer.from('replaced')], 0o600, -1, -1, MTIME, MTIME);
    assert.equal(readFileSync(path, 'utf8'), 'replaced');
    assert.throws(() => writeNewFileSync(join(work, 'not-empty'), [], 0o600, -1, -1, MTIME, MTIME), { code: 'EEXIST', syscall: 'open', path: join(work, 'not-empty') });
    assert.throws(() => writeNewFileSync(join(work, 'missing/file'), [], 0o600, -1, -1, MTIME, MTIME), { code: 'ENOENT', syscall: 'open' });
  });

  it('bigger files written chunk by chunk in the workers: holes with --sparse, wrong recorded chunk sizes', async () => {
    const placedRepo = join(work, 'repo-placed');
    const pattern = (seed: number, bytes: number) => Buffer.from(Array.from({ length: bytes }, (_, i) => (i * seed + (i >> 9)) & 0x7f));
    const a = pattern(7, 3 << 20);
    const b = pattern(13, 2 << 20);
    const zeros = Buffer.alloc(3 << 20);
    const sha = (data: Buffer) => createHash('sha256').update(data).digest(); // ids of an unencrypted repository
    const ref = (data: Buffer, size = data.length) => ({ id: sha(data), size, csize: 0 });
    await writeArchive(placedRepo, env, 'a', [
      // Stores the three chunks (ASCII: the content strings are stored as UTF-8).
      { path: 'store-a', content: a.toString('latin1') }, { path: 'store-b', content: b.toString('latin1') }, { path: 'store-zeros', content: zeros.toString('latin1') },
      { path: 'placed', chunks: [ref(a), ref(zeros), ref(b), ref(zeros)], size: a.length + b.length + 2 * zeros.length },
      // Recorded sizes that are wrong: offsets from them would misplace b; the content stays right.
      { path: 'misrecorded', chunks: [ref(a), ref(b, 1000), ref(a, a.length + 5), ref(b)], size: 2 * a.length + 2 * b.length },
    ]);
    for (const sparse of [false, true]) {
      const targets = [];
      for (const workers of [1, 2]) {
        const target = join(work, `placed-${sparse}-${workers}`);
        mkdirSync(target);
        const err: string[] = [];
        const code = await runCli(['extract', '--workers', String(workers), ...(sparse ? ['--sparse'] : []), `${placedRepo}::a`], {
          env, cwd: target, stdout: { write: () => undefined }, stderr: { write: (text) => void err.push(String(text)) },
        });
        assert.equal(code, 0, err.join(''));
        targets.push(target);
      }
      // Same content, sizes and allocated blocks (holes) as one worker writing in order (compared
      // before reading changes the atimes).
      assert.deepEqual(diffTrees(targets[0]!, targets[1]!), []);
      assert.deepEqual(readFileSync(join(targets[1]!, 'placed')), Buffer.concat([a, zeros, b, zeros]));
      assert.deepEqual(readFileSync(join(targets[1]!, 'misrecorded')), Buffer.concat([a, b, a, b]));
    }
  });

  for (const fixCrc of [true, false]) it(`a damaged chunk (${fixCrc ? 'bad content' : 'bad segment CRC'}) of a file a worker writes whole ends the extraction as with one worker`, async () => {
    const damagedRepo = join(work, `repo-damaged-${fixCrc}`);
    const specs: ItemSpec[] = [];
    for (let i = 0; i < 20; i++) specs.push({ path: `g${i}`, content: `good ${i} `.repeat(100) });
    specs.push({ path: 'broken', content: 'this chunk will not open '.repeat(50) }, { path: 'after', content: 'after' });
    await writeArchive(damagedRepo, env, 'a', specs);
    const layout = await repoLayout(damagedRepo, env);
    flipObjectBit(damagedRepo, layout.archives[0]!.files.get('broken')![0]!, { fixCrc });
    const results = [];
    for (const workers of [1, 2]) {
      const target = join(work, `damaged-${fixCrc}-${workers}`);
      mkdirSync(target);
      const err: string[] = [];
      const code = await runCli(['extract', '--workers', String(workers), `${damagedRepo}::a`], {
        env, cwd: target, stdout: { write: () => undefined }, stderr: { write: (text) => void err.push(String(text)) },
      });
      const lines = err.join('').split('\n').filter((line) => line !== '' && !/previously unknown unencrypted|Do you want to continue/.test(line));
      results.push({ code, lines, target });
    }
    const [one, two] = results;
    assert.equal(one!.code, 2, one!.lines.join('\n'));
    assert.equal(two!.code, one!.code);
    assert.deepEqual(two!.lines, one!.lines);
    assert.equal(lstatSync(join(two!.target, 'broken')).size, 0, 'the file exists, empty, as when its chunk fails before it is opened');
    // The empty file's times are its creation's. Files written in parallel beyond the fatal error
    // may exist, and are then whole (README, differences from borg).
    const differences = diffTrees(one!.target, two!.target).filter((d) => !/^"broken": [am]timeNs /.test(d) && d !== '"after": unexpected');
    assert.deepEqual(differences, []);
    const after = join(two!.target, 'after');
    if (existsSync(after)) assert.equal(readFileSync(after, 'utf8'), 'after');
  });
});
