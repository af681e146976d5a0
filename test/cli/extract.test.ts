// `borg-ts extract` run in-process next to real `borg extract` on the same archive: selections
// (PATHs, patterns, pattern files, --strip-components), --list/--dry-run lines, --stdout bytes,
// --progress records, warnings and exit codes must be borg's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { runCli } from '../../src/cli/main.js';
import { buildSampleTree, diffTrees } from '../helpers/tree-compare.js';
import { makeTempDir, removeTemp } from '../repository/repo-fixtures.js';

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

const NOISE = /previously unknown unencrypted repository|Do you want to continue/;

/** stderr without the prompt answered by BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK. */
function messages(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line !== '' && !NOISE.test(line));
}

describe('borg-ts extract compared with borg extract', () => {
  let work: string;
  let repo: string;
  let env: Record<string, string>;
  let serial = 0;

  const dir = (name: string) => {
    const path = join(work, `${name}-${++serial}`);
    mkdirSync(path);
    return path;
  };

  const borg = (args: string[], cwd: string): Run => {
    const r = spawnSync('borg', args, { cwd, env, encoding: 'buffer', maxBuffer: 1 << 28 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
  };

  const ours = async (args: string[], cwd: string): Promise<Run> => {
    const out: Buffer[] = [];
    const err: string[] = [];
    const umask = process.umask();
    try {
      const code = await runCli(args, {
        env, cwd,
        stdout: { write: (chunk) => out.push(Buffer.from(chunk)) },
        stderr: { write: (chunk) => void err.push(String(chunk)) },
      });
      return { code, stdout: Buffer.concat(out), stderr: err.join('') };
    } finally {
      process.umask(umask);
    }
  };

  /** Runs `extract ARGS` with both into fresh directories; returns both results and directories. */
  const both = async (args: string[]) => {
    const borgDir = dir('borg');
    const oursDir = dir('ours');
    const expected = borg(['extract', ...args], borgDir);
    const actual = await ours(['extract', ...args], oursDir);
    return { expected, actual, borgDir, oursDir };
  };

  before(() => {
    work = makeTempDir();
    repo = join(work, 'repo');
    env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin', BORG_BASE_DIR: join(work, 'base'),
      BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', LANG: 'C.UTF-8',
    };
    buildSampleTree(join(work, 'tree'), { big: false });
    spawnSync('borg', ['init', '-e', 'none', repo], { env, stdio: 'ignore' });
    const created = spawnSync('borg', ['create', `${repo}::a`, 'tree'], { cwd: work, env, encoding: 'utf8' });
    assert.equal(created.status, 0, created.stderr);
  });
  after(() => removeTemp(work));

  it('extracts the same tree', async () => {
    const { expected, actual, borgDir, oursDir } = await both([`${repo}::a`]);
    assert.equal(actual.code, expected.code, actual.stderr);
    assert.equal(actual.code, 0);
    assert.deepEqual(messages(actual.stderr), []);
    assert.deepEqual(diffTrees(borgDir, oursDir), []);
  });

  it('lists items like borg with --list --dry-run and writes nothing', async () => {
    const { expected, actual, oursDir } = await both(['--list', '--dry-run', `${repo}::a`]);
    assert.equal(actual.code, 0, actual.stderr);
    assert.deepEqual(messages(actual.stderr), messages(expected.stderr));
    assert.ok(messages(actual.stderr).includes('tree/latin1-??.bin'), 'undecodable bytes shown as "?"');
    assert.deepEqual(readdirSync(oursDir), []);
  });

  it('selects with PATHs, --exclude, --pattern and pattern files like borg', async () => {
    const patterns = join(work, 'patterns.txt');
    writeFileSync(patterns, '# comment\n+ tree/links/rel\n- tree/links\nP fm\n- tree/dir-o*\n');
    const excludes = join(work, 'excludes.txt');
    writeFileSync(excludes, 'tree/sub\n*.txt\n');
    const selections = [
      [`${repo}::a`, 'tree/sub', 'tree/links/rel'],
      ['-e', 'tree/dir-*', '--exclude', 'sh:tree/**/file', `${repo}::a`],
      ['--patterns-from', patterns, `${repo}::a`, 'tree'],
      ['--exclude-from', excludes, '--pattern', '+tree/small.txt', `${repo}::a`],
      ['--pattern', '+re:hl-[12]$', '--pattern', '!tree', `${repo}::a`],
    ];
    for (const args of selections) {
      const { expected, actual, borgDir, oursDir } = await both(args);
      assert.equal(actual.code, expected.code, `${args.join(' ')}: ${actual.stderr}`);
      assert.deepEqual(messages(actual.stderr), messages(expected.stderr), args.join(' '));
      // Parent directories made on the way get the time of the extraction.
      assert.deepEqual(diffTrees(borgDir, oursDir, { ignore: ['mtimeNs', 'atimeNs'] }), [], args.join(' '));
    }
  });

  it('strips leading components like borg', async () => {
    for (const count of ['1', '2']) {
      const { expected, actual, borgDir, oursDir } = await both(['--strip-components', count, `${repo}::a`]);
      assert.equal(actual.code, expected.code, actual.stderr);
      assert.deepEqual(diffTrees(borgDir, oursDir, { ignore: count === '2' ? ['mtimeNs', 'atimeNs'] : [] }), []);
    }
  });

  it('writes file contents to stdout in archive order with --stdout', async () => {
    for (const args of [[`${repo}::a`], [`${repo}::a`, 'tree/dir-odd', 'tree/medium.bin']]) {
      const { expected, actual, oursDir } = await both(['--stdout', ...args]);
      assert.equal(actual.code, 0, actual.stderr);
      assert.ok(actual.stdout.length > 0);
      assert.ok(actual.stdout.equals(expected.stdout), 'same bytes as borg');
      assert.deepEqual(readdirSync(oursDir), []);
    }
  });

  it('warns like borg about a PATH that matched nothing (exit code 1)', async () => {
    const { expected, actual } = await both([`${repo}::a`, 'tree/small.txt', 'no/such/path']);
    assert.equal(expected.code, 1);
    assert.equal(actual.code, 1);
    assert.deepEqual(messages(actual.stderr), messages(expected.stderr));
    assert.deepEqual(messages(actual.stderr), ["Include pattern 'no/such/path' never matched."]);
  });

  it('reports progress as borg does with --progress --log-json', async () => {
    const { actual } = await both(['--progress', '--log-json', `${repo}::a`, 'tree/medium.bin']);
    assert.equal(actual.code, 0, actual.stderr);
    const records = actual.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const extract = records.filter((r) => r['msgid'] === 'extract');
    assert.match(String(extract[0]!['message']), /^Calculating total archive size/);
    assert.equal(extract.at(-1)!['finished'], true);
    const shown = extract.filter((r) => typeof r['message'] === 'string' && String(r['message']).includes('Extracting:'));
    assert.equal(shown[0]!['message'], '  0.0% Extracting: tree/medium.bin');
    assert.equal(shown[0]!['total'], 170_005);
  });

  it('fails like borg for an archive that does not exist (exit code 2)', async () => {
    const { expected, actual } = await both([`${repo}::nope`]);
    assert.equal(expected.code, 2);
    assert.equal(actual.code, 2);
    assert.deepEqual(messages(actual.stderr), messages(expected.stderr));
  });

  it('accepts borg\'s deprecated option names with borg\'s notice', async () => {
    const { expected, actual, borgDir, oursDir } = await both(['--numeric-owner', '--nobsdflags', `${repo}::a`, 'tree/small.txt']);
    assert.equal(actual.code, 0, actual.stderr);
    assert.deepEqual(messages(actual.stderr).sort(), messages(expected.stderr).sort());
    assert.deepEqual(diffTrees(borgDir, oursDir, { ignore: ['mtimeNs', 'atimeNs'] }), []);
  });
});
