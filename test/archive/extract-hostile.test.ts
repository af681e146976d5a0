// Hostile archives (written with the library writer, as an attacker could): nothing may be
// written outside the extraction target, whatever the item paths, symlinks or hard link sources
// say. Each bad item is skipped with one warning (exit code 1); the rest is extracted.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { S_IFDIR, S_IFLNK, S_IFREG } from '../../src/archive/item.js';
import { runCli } from '../../src/cli/main.js';
import { MTIME, writeArchive } from '../helpers/library-archive.js';
import { diffTrees } from '../helpers/tree-compare.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';


/** Every path below `dir` (to show that nothing appeared where it must not). */
function listTree(dir: string): string[] {
  const out: string[] = [];
  const visit = (path: string, rel: string) => {
    for (const name of readdirSync(path)) {
      out.push(`${rel}${name}`);
      if (lstatSync(join(path, name)).isDirectory()) visit(join(path, name), `${rel}${name}/`);
    }
  };
  visit(dir, '');
  return out.sort();
}

describe('extract of a hostile archive', () => {
  let work: string;
  let repo: string;
  let env: Record<string, string | undefined>;
  let outside: string;
  // Beyond PATH_MAX (4096) once below the target.
  const deep = Array.from({ length: 500 }, () => 'deep-dir').join('/');

  before(async () => {
    work = makeTempDir();
    repo = join(work, 'repo');
    outside = join(work, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'victim'), 'must survive');
    env = { ...process.env, BORG_BASE_DIR: join(work, 'base'), BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' };
    await writeArchive(repo, env, 'evil', [
      { path: '../evil', content: 'escaped upwards' },
      { path: '/abs-evil-borg-ts/evil', content: 'absolute' },
      { path: 'b/../../evil2', content: 'dot-dot in the middle' },
      { path: 'a', mode: S_IFLNK | 0o777, source: outside },
      { path: 'a/x', content: 'through the symlink' },
      { path: 'a/victim', content: 'replacing a file through the symlink' },
      { path: 'a/sub/y', content: 'deeper through the symlink' },
      { path: 'hl-passwd', source: '../../etc/passwd' },
      { path: 'hl-abs', source: '/etc/passwd' },
      { path: 'hl-refused', source: '../evil' },
      { path: `long-${'x'.repeat(65536)}`, content: 'a 64 KiB name' },
      { path: `${deep}/f`, content: 'far too deep' },
      { path: 'nul\0name', content: 'NUL byte' },
      { path: 'sock', mode: 0o140755 },
      { path: '', content: 'the target itself' },
      // A symlink replaced by a directory of the same name: the directory wins, below it is safe.
      { path: 's', mode: S_IFLNK | 0o777, source: '/etc' },
      { path: 's', mode: S_IFDIR | 0o755 },
      { path: 's/passwd', content: 'inside the target' },
      { path: 'good.txt', content: 'fine\n' },
      { path: 'master', content: 'group content', hardlinkMaster: true },
      { path: 'slave', source: 'master' },
      { path: 'link-out', mode: S_IFLNK | 0o777, source: '../../../../etc/passwd' },
    ]);
  });
  after(() => removeTemp(work));

  it('writes only below the target, one warning per bad item, exit code 1', async () => {
    const target = join(work, 'target');
    mkdirSync(target);
    const stderr: string[] = [];
    const umask = process.umask();
    const code = await runCli(['extract', `${repo}::evil`], {
      env, cwd: target, stdout: { write: () => true }, stderr: { write: (text) => void stderr.push(String(text)) },
    });
    process.umask(umask);
    const lines = stderr.join('').split('\n').filter((line) => line !== '' && !/previously unknown unencrypted|Do you want to continue/.test(line));
    assert.equal(code, 1, stderr.join(''));

    // Nothing outside the target.
    assert.deepEqual(readdirSync(outside), ['victim']);
    assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'must survive');
    assert.deepEqual(readdirSync(work).sort(), ['base', 'outside', 'repo', 'target']);
    assert.equal(existsSync('/abs-evil-borg-ts'), false);
    assert.notEqual(readFileSync('/etc/passwd', 'utf8'), 'inside the target');

    // What is fine was extracted; the symlinks themselves are kept (they are not followed).
    assert.equal(readFileSync(join(target, 'good.txt'), 'utf8'), 'fine\n');
    assert.equal(readFileSync(join(target, 's', 'passwd'), 'utf8'), 'inside the target');
    assert.equal(lstatSync(join(target, 'slave')).ino, lstatSync(join(target, 'master')).ino);
    assert.equal(readlinkSync(join(target, 'a')), outside);
    assert.equal(readlinkSync(join(target, 'link-out')), '../../../../etc/passwd');
    assert.equal(existsSync(join(target, 'hl-passwd')), false);

    const warned = (prefix: string) => lines.filter((line) => line.startsWith(prefix));
    for (const path of ['../evil', '/abs-evil-borg-ts/evil', 'b/../../evil2', 'a/x', 'a/victim', 'a/sub/y', 'hl-passwd', 'hl-abs', 'hl-refused', 'long-x', 'nul', 'sock']) {
      assert.equal(warned(path).length, 1, `one warning for ${path}: ${lines.join('\n')}`);
    }
    assert.match(warned('a/x')[0]!, /Refusing to extract below 'a': it is a symbolic link/);
    assert.match(warned('hl-passwd')[0]!, /Refusing to create a hard link/);
    assert.ok(warned('long-x')[0]!.includes(': [Errno 36] File name too long: '), 'ENAMETOOLONG is a warning');
    assert.equal(lines.filter((line) => line.startsWith('deep-dir/deep-dir/')).length, 1);
    assert.equal(lines.filter((line) => line.startsWith(': ')).length, 1, 'the item naming the target itself');
    assert.equal(lines.length, 14, lines.join('\n'));
    assert.deepEqual(listTree(target).filter((p) => !p.startsWith('deep-dir')), ['a', 'good.txt', 'link-out', 'master', 's', 's/passwd', 'slave']);
  });
});

describe('extract of unusual archives', () => {
  let work: string;
  let env: Record<string, string | undefined>;
  let serial = 0;

  before(() => {
    work = makeTempDir();
    env = { ...process.env, BORG_BASE_DIR: join(work, 'base'), BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', LANG: 'C.UTF-8' };
  });
  after(() => removeTemp(work));

  const run = async (args: string[], cwd: string) => {
    const out: Buffer[] = [];
    const err: string[] = [];
    const umask = process.umask();
    const code = await runCli(args, {
      env, cwd, stdout: { write: (chunk) => out.push(Buffer.from(chunk)) }, stderr: { write: (text) => void err.push(String(text)) },
    });
    process.umask(umask);
    const lines = err.join('').split('\n').filter((line) => line !== '' && !/previously unknown unencrypted|Do you want to continue/.test(line));
    return { code, stdout: Buffer.concat(out), lines };
  };
  const fresh = (name: string) => {
    const path = join(work, `${name}-${++serial}`);
    mkdirSync(path);
    return path;
  };
  const borg = (args: string[], cwd: string) => spawnSync('borg', args, { cwd, env, encoding: 'buffer' });

  it('hides part files unless --consider-part-files is given', async () => {
    const repo = join(work, 'repo-parts');
    await writeArchive(repo, env, 'a', [
      { path: 'file.borg_part_1', content: 'AB', part: 1 },
      { path: 'file', content: 'ABCD' },
    ]);
    const plain = fresh('parts');
    assert.equal((await run(['extract', `${repo}::a`], plain)).code, 0);
    assert.deepEqual(readdirSync(plain), ['file']);
    const all = fresh('parts');
    assert.equal((await run(['extract', '--consider-part-files', `${repo}::a`], all)).code, 0);
    assert.deepEqual(readdirSync(all).sort(), ['file', 'file.borg_part_1']);
    assert.equal(readFileSync(join(all, 'file.borg_part_1'), 'utf8'), 'AB');
  });

  it('warns about a size inconsistency and damaged chunks, keeping the file (exit code 1)', async () => {
    const repo = join(work, 'repo-sizes');
    await writeArchive(repo, env, 'a', [
      { path: 'wrong-size', content: 'four', size: 10 },
      { path: 'damaged', content: 'zeros stand in', chunksHealthy: [] },
      { path: 'fine', content: 'ok' },
    ]);
    for (const dryRun of [false, true]) {
      const dest = fresh('sizes');
      const { code, lines } = await run(['extract', ...(dryRun ? ['--dry-run'] : []), `${repo}::a`], dest);
      assert.equal(code, 1);
      assert.deepEqual(lines, [
        'wrong-size: Size inconsistency detected: size 10, chunks size 4',
        'damaged: File has damaged (all-zero) chunks. Try running borg check --repair.',
      ]);
      assert.deepEqual(readdirSync(dest).sort(), dryRun ? [] : ['damaged', 'fine', 'wrong-size']);
    }
  });

  it('stops with an error (exit code 2) when a chunk is missing from the repository', async () => {
    const repo = join(work, 'repo-missing');
    await writeArchive(repo, env, 'a', [
      { path: 'missing', chunks: [{ id: Buffer.alloc(32, 7), size: 3, csize: 20 }], size: 3 },
      { path: 'after', content: 'not reached' },
    ]);
    const dest = fresh('missing');
    const { code, lines } = await run(['extract', `${repo}::a`], dest);
    assert.equal(code, 2);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.equal(existsSync(join(dest, 'after')), false);
  });

  it('handles hard link groups in partial extracts with --strip-components like borg', async () => {
    const repo = join(work, 'repo-links');
    await writeArchive(repo, env, 'a', [
      { path: 'x', mode: S_IFDIR | 0o755 },
      { path: 'x/m', content: 'group content\n', hardlinkMaster: true, mode: S_IFREG | 0o640 },
      { path: 'x/s1', source: 'x/m', mode: S_IFREG | 0o640 },
      { path: 'y', mode: S_IFDIR | 0o755 },
      { path: 'y/s2', source: 'x/m', mode: S_IFREG | 0o640 },
      { path: 'y/s3', source: 'x/m', mode: S_IFREG | 0o640 },
    ]);
    const selections = [
      [`${repo}::a`],
      [`${repo}::a`, 'y'],
      ['--strip-components', '1', `${repo}::a`, 'y', 'x/s1'],
      ['-e', 'x/m', `${repo}::a`],
    ];
    for (const args of selections) {
      const expected = fresh('borg-links');
      const actual = fresh('ours-links');
      const oracle = borg(['extract', ...args], expected);
      assert.equal(oracle.status, 0, oracle.stderr.toString());
      const ours = await run(['extract', ...args], actual);
      assert.equal(ours.code, 0, ours.lines.join('\n'));
      assert.deepEqual(diffTrees(expected, actual, { ignore: ['mtimeNs', 'atimeNs'] }), [], args.join(' '));
    }
  });

  it('writes the content of the first selected slave to --stdout when its master is left out', async () => {
    const repo = join(work, 'repo-stdout');
    await writeArchive(repo, env, 'a', [
      { path: 'm', content: 'group\n', hardlinkMaster: true },
      { path: 's1', source: 'm' },
      { path: 's2', source: 'm' },
      { path: 'other', content: 'other\n' },
    ]);
    // Like the file system extract: s1 takes the master's place, s2 is a link to it (no bytes).
    const partial = await run(['extract', '--stdout', `${repo}::a`, 's1', 's2', 'other'], fresh('stdout'));
    assert.equal(partial.stdout.toString(), 'group\nother\n');
    const full = await run(['extract', '--stdout', `${repo}::a`], fresh('stdout'));
    assert.equal(full.stdout.toString(), 'group\nother\n');
  });
  it('applies the metadata of an item "." to the target itself, after its contents', async () => {
    const repo = join(work, 'repo-dot');
    await writeArchive(repo, env, 'a', [
      { path: '.', mode: S_IFDIR | 0o751 },
      { path: 'f', content: 'in the target\n' },
      { path: 'sub', mode: S_IFDIR | 0o700 },
    ]);
    const dest = fresh('dot');
    const { code, lines } = await run(['extract', `${repo}::a`], dest);
    assert.equal(code, 0, lines.join('\n'));
    const st = lstatSync(dest, { bigint: true });
    assert.equal(Number(st.mode) & 0o7777, 0o751);
    // borg 1.2.4 restores "." as soon as the next item ("f") does not start with "." and so
    // loses its mtime to the files created after; the contents come first here.
    assert.equal(st.mtimeNs, MTIME);
    assert.equal(readFileSync(join(dest, 'f'), 'utf8'), 'in the target\n');
  });
});
