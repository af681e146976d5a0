// `borg-ts benchmark crud` with borg's tiny test sets (_BORG_BENCHMARK_CRUD_TEST): borg's output
// lines, no archive and no input data left behind, and a repository `borg check` accepts.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { expectExit, runBorgTs, runRealBorg } from '../helpers/run-borg-ts.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';

describe('borg-ts benchmark crud', () => {
  let work: string;
  let env: Record<string, string | undefined>;
  before(() => {
    work = makeTempDir();
    env = {
      PATH: process.env['PATH'], HOME: work, LANG: 'C.UTF-8', BORG_PASSPHRASE: 'bench', BORG_BASE_DIR: join(work, 'base'),
      _BORG_BENCHMARK_CRUD_TEST: '1', BORG_TS_WORKERS: '1',
    };
    expectExit(runRealBorg(['init', '-e', 'repokey-blake2', join(work, 'repo')], { env, cwd: work }), 0, 'init');
    mkdirSync(join(work, 'data'));
  });
  after(() => removeTemp(work));

  it('prints create/read/update/delete lines per input set and cleans up', async () => {
    const run = await runBorgTs(['benchmark', 'crud', join(work, 'repo'), 'data'], { env, cwd: work });
    expectExit(run, 0, 'benchmark crud');
    const lines = run.stdout.toString().split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 8);
    lines.forEach((line, i) => {
      const op = 'CRUD'[i % 4]!;
      const set = i < 4 ? 'Z-TEST    ' : 'R-TEST    ';
      const content = i < 4 ? 'all-zero' : 'random';
      assert.match(line, new RegExp(`^${op}-${set} +\\d+\\.\\d\\d MB/s \\(1 \\* 1 B ${content} files: \\d+\\.\\d\\ds\\)$`), line);
    });
    assert.deepEqual(readdirSync(join(work, 'data')), []);
    assert.equal(runRealBorg(['list', '--short', 'repo'], { env, cwd: work }).stdout.toString(), '');
    expectExit(runRealBorg(['check', '--verify-data', 'repo'], { env, cwd: work }), 0, 'check');
  });
});
