// `borg-ts export-tar` against real `borg export-tar` of the same archive (made by real borg from a
// tree with every item type, hard links, long and non-UTF-8 names): the tar files are the same
// bytes — whole archives and selections (PATHs, --strip-components, excludes), compressed by name
// (.tar.gz, .tar.xz), on stdout — and GNU tar lists and extracts them alike.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';

import { buildSampleTree, diffTrees } from '../helpers/tree-compare.js';
import { expectExit, runBorgTs, runRealBorg } from '../helpers/run-borg-ts.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';

describe('borg-ts export-tar compared with borg export-tar', () => {
  let work: string;
  let repo: string;
  let env: Record<string, string | undefined>;
  let serial = 0;
  const ours = (args: string[]) => runBorgTs(['export-tar', ...args], { env, cwd: work });
  const borg = (args: string[]) => runRealBorg(['export-tar', ...args], { env, cwd: work });
  const file = (suffix: string) => join(work, `out-${++serial}${suffix}`);

  before(() => {
    work = makeTempDir();
    env = { PATH: process.env['PATH'], HOME: work, LANG: 'C.UTF-8', TZ: 'UTC', BORG_PASSPHRASE: 'export', BORG_BASE_DIR: join(work, 'base') };
    const tree = join(work, 'tree');
    buildSampleTree(tree, { big: false });
    const deep = join(tree, 'long', 'd'.repeat(90), 'e'.repeat(90));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, `${'f'.repeat(120)}.txt`), 'at the end of a long path\n');
    execFileSync('ln', [join(deep, `${'f'.repeat(120)}.txt`), join(tree, 'long', 'hardlink-to-long')]);
    execFileSync('ln', ['-s', `${'../'.repeat(50)}target`, join(tree, 'long', 'long-symlink')]);
    repo = join(work, 'repo');
    expectExit(runRealBorg(['init', '-e', 'repokey-blake2', repo], { env, cwd: work }), 0, 'init');
    expectExit(runRealBorg(['create', `${repo}::a`, 'tree'], { env, cwd: work }), 0, 'create');
  });
  after(() => removeTemp(work));

  it('writes the same tar file as borg, which GNU tar lists and extracts alike', async () => {
    const mine = file('.tar');
    const theirs = file('.tar');
    const run = await ours(['--list', `${repo}::a`, mine]);
    const reference = borg(['--list', `${repo}::a`, theirs]);
    expectExit(run, 0, 'export-tar');
    assert.equal(run.stderr, reference.stderr);
    assert.ok(readFileSync(mine).equals(readFileSync(theirs)), 'the same bytes');
    const listing = (tar: string) => execFileSync('tar', ['-tvv', '--full-time', '--numeric-owner', '-f', tar], { env: { ...process.env, TZ: 'UTC' } }).toString();
    assert.equal(listing(mine), listing(theirs));
    assert.match(listing(mine), /^hrw-r----- .* tree\/hl-\d link to tree\/sub\/hl-3$/m);
    const extract = (tar: string) => {
      const dir = file('-x');
      mkdirSync(dir);
      execFileSync('tar', ['-xpf', tar, '--numeric-owner', '-C', dir]);
      return dir;
    };
    assert.deepEqual(diffTrees(extract(theirs), extract(mine), { acls: false, ignore: ['atimeNs'] }), []);
  });

  it('exports selections like borg: PATHs with hard links, --strip-components, excludes', async () => {
    const cases: Array<[string[], string[]]> = [
      [[], ['tree/sub', 'tree/long']],
      [['--strip-components', '2'], ['tree/sub', 'tree/hl-2']],
      [['--strip-components', '1'], []],
      [['-e', 'tree/hl-1', '-e', 're:medium'], []],
      [[], ['tree/nosuch', 'tree/small.txt']],
    ];
    for (const [options, paths] of cases) {
      const args = [...options, ...paths];
      const mine = file('.tar');
      const theirs = file('.tar');
      const run = await ours([...options, `${repo}::a`, mine, ...paths]);
      const reference = borg([...options, `${repo}::a`, theirs, ...paths]);
      assert.deepEqual([run.code, run.stderr], [reference.code, reference.stderr], args.join(' '));
      assert.ok(readFileSync(mine).equals(readFileSync(theirs)), `${args.join(' ')}: the same bytes`);
    }
  });

  it('compresses by file name and writes "-" to stdout', async () => {
    const plain = file('.tar');
    expectExit(await ours([`${repo}::a`, plain]), 0, 'plain');
    const gz = file('.tar.gz');
    expectExit(await ours([`${repo}::a`, gz]), 0, 'gz');
    assert.ok(gunzipSync(readFileSync(gz)).equals(readFileSync(plain)));
    const xz = file('.txz');
    expectExit(await ours([`${repo}::a`, xz]), 0, 'xz');
    assert.ok(execFileSync('xz', ['-dc', xz], { maxBuffer: 1 << 26 }).equals(readFileSync(plain)));
    const stdout = await ours([`${repo}::a`, '-']);
    expectExit(stdout, 0, 'stdout');
    assert.ok(stdout.stdout.equals(readFileSync(plain)));
    const filtered = await ours(['--tar-filter', 'gzip -1', `${repo}::a`, '-']);
    assert.ok(gunzipSync(filtered.stdout).equals(readFileSync(plain)));
    const failing = await ours(['--tar-filter', 'false', `${repo}::a`, file('.tar')]);
    expectExit(failing, 2, 'failing filter');
    assert.match(failing.stderr, /^filter false failed, rc=1$/m);
  });
});
