// `borg-ts prune` against real borg 1.2.4: one repository of ~55 empty archives made by borg
// (several prefixes, years with gaps, several a day, equal start times, DST changes in New York,
// ISO-week year ends, checkpoints, archives relative to now for --keep-within) is dry-run pruned
// by both with 31 rule sets in two time zones, and the --list output must be identical. Then a
// real prune with --stats on a repository with data: the same output as borg's on a copy, and
// after `compact` the same repository size as borg's prune + compact, a clean `borg check
// --verify-data` and kept archives that extract.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';

import { Sandbox } from '../interop/tools.js';
import { borgBatch, runBorgTs, type BorgJob } from './maintenance-tools.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function iso(date: Date): string {
  return date.toISOString().slice(0, 19);
}

/** [name, UTC start time] of the policy repository; `now` places the --keep-within archives. */
function policyArchives(now: number): Array<[string, string]> {
  const fixed: Array<[string, string]> = [
    // The oldest archives share every period with a newer one: rules that run out keep it as [oldest].
    ['host-2019-06-15-b', '2019-06-15T01:00:00'], ['host-2019-06-15-a', '2019-06-15T01:00:00'], ['host-2019-06-15', '2019-06-15T12:00:00'], ['host-2020-02-29', '2020-02-29T23:30:00'],
    ['host-2020-12-31', '2020-12-31T23:59:59'], ['host-2021-01-01', '2021-01-01T00:00:01'],
    ['host-2021-01-04', '2021-01-04T04:59:59'], ['host-2021-01-04b', '2021-01-04T05:00:00'],
    ['host-2022-07-01.checkpoint', '2022-07-01T11:00:00'], ['host-2022-07-01', '2022-07-01T12:00:00'],
    // New York: 01:30 EST, then 03:30 EDT (spring forward); 01:30 EDT, 01:30 EST, 01:59:59 EST (fall back).
    ['host-2023-03-12a', '2023-03-12T06:30:00'], ['host-2023-03-12b', '2023-03-12T07:30:00'],
    ['host-2023-11-05a', '2023-11-05T05:30:00'], ['host-2023-11-05b', '2023-11-05T06:30:00'], ['host-2023-11-05c', '2023-11-05T06:59:59'],
    ['host-2024-05-01', '2024-05-01T01:00:00'], ['host-2024-05-01-tie-b', '2024-05-01T08:00:00'],
    ['host-2024-05-01-tie-a', '2024-05-01T08:00:00'], ['host-2024-05-01-late', '2024-05-01T08:00:30'],
    ['host-2024-05-01-later', '2024-05-01T08:01:00'], ['host-2024-05-01-last', '2024-05-01T23:59:59'],
    ['host-2024-05-02', '2024-05-02T00:00:00'], ['host-2024-05-02.checkpoint.2', '2024-05-02T00:30:00'],
    ['host-2024-12-30', '2024-12-30T12:00:00'], ['host-2025-01-05', '2025-01-05T23:00:00'],
    ['db-2023-01-15', '2023-01-15T03:00:00'], ['db-2023-02-15', '2023-02-15T03:00:00'], ['db-2023-02-16', '2023-02-16T03:00:00'],
    ['db-2023-03-01', '2023-03-01T03:00:00'], ['db-2023-03-02', '2023-03-02T03:00:00'], ['db-2023-04-30', '2023-04-30T23:00:00'],
    ['db-2023-05-01', '2023-05-01T02:00:00'], ['db-2023-05-05.checkpoint', '2023-05-05T03:00:00'], ['db-2023-05-05', '2023-05-05T04:00:00'],
    ['db-2023-08-20', '2023-08-20T03:00:00'], ['db-2023-12-31', '2023-12-31T03:00:00'], ['db-2024-01-01', '2024-01-01T03:00:00'],
    ['db-2024-06-30', '2024-06-30T03:00:00'], ['web-1', '2022-01-01T00:00:00'], ['web-2', '2022-01-01T00:00:00'], ['web-3', '2024-01-01T00:00:00'],
  ];
  const recent: Array<[string, number]> = [
    ['host-r-400d', 400 * DAY + 30 * 60_000], ['host-r-40d', 40 * DAY + HOUR / 2], ['host-r-8d', 8 * DAY + HOUR / 2],
    ['host-r-3d', 3 * DAY + HOUR / 2], ['host-r-25h', 25 * HOUR + HOUR / 2], ['host-r-5h', 5 * HOUR + HOUR / 2],
    ['host-r-90m', HOUR + HOUR / 2], ['host-latest.checkpoint', 10 * 60_000],
    ['db-r-2d', 2 * DAY + HOUR / 2], ['db-r-2h', 2 * HOUR + HOUR / 2], ['db-r-1h.checkpoint', HOUR + HOUR / 2],
    ['web-r-12d', 12 * DAY + HOUR / 2], ['web-r-3h', 3 * HOUR + HOUR / 2], ['web-r-3h.checkpoint', 3 * HOUR + HOUR / 4],
  ];
  return [...fixed, ...recent.map(([name, ago]): [string, string] => [name, iso(new Date(now - ago))])];
}

const RULE_SETS: string[][] = [
  ['--keep-last', '5'], ['--keep-secondly', '3'], ['--keep-minutely', '4'], ['-H', '5'], ['-d', '7'], ['-w', '4'],
  ['-m', '6'], ['-y', '3'], ['-y', '-1'], ['-d', '3', '-w', '2', '-m', '2', '-y', '1'],
  ['-H', '2', '-d', '2', '-w', '2', '-m', '2', '-y', '2', '--keep-within', '2d'],
  ['--keep-within', '1d'], ['--keep-within', '2H'], ['--keep-within', '1w', '-m', '1'], ['--keep-within', '1y'],
  ['--keep-within', '1m', '-d', '2'], ['-d', '100'], ['-w', '1000', '-m', '3'], ['--prefix', 'host-', '-d', '3', '-m', '3'],
  ['-a', 'db-*', '-w', '3', '-y', '-1'], ['-a', 'db-2023-??-??', '-d', '2'], ['--keep-last', '1', '--prefix', 'web-'],
  ['-m', '-1', '-d', '2'], ['--keep-hourly', '3', '--keep-minutely', '2'], ['--prefix', 'nomatch-', '-d', '1'],
  ['-a', 'host-2023-*', '-H', '1', '--keep-minutely', '1'], ['--keep-secondly', '100'], ['--keep-minutely', '100', '-y', '1'],
  ['-H', '100'], ['-m', '100'], ['-y', '100'],
];

describe('borg-ts prune --dry-run --list decides like borg', () => {
  let box: Sandbox;
  let env: NodeJS.ProcessEnv;
  const repo = () => box.path('repo');

  before(() => {
    box = new Sandbox({ BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes' });
    env = box.env;
    mkdirSync(box.path('empty'));
    const jobs: BorgJob[] = [{ argv: ['init', '-e', 'none', repo()] }];
    for (const [name, time] of policyArchives(Date.now())) jobs.push({ argv: ['create', '--timestamp', time, `${repo()}::${name}`, box.path('empty')] });
    for (const [i, r] of borgBatch(jobs, env, box.dir).entries()) assert.equal(r.rc, 0, `${jobs[i]!.argv.join(' ')}: ${r.stderr}`);
  });
  after(() => box.cleanup());

  it('for every rule set, in UTC and in America/New_York', async () => {
    const runs = ['UTC', 'America/New_York'].flatMap((tz) => RULE_SETS.map((rules) => ({ tz, argv: ['prune', '--dry-run', '--list', ...rules, repo()] })));
    const theirs = borgBatch(runs.map(({ tz, argv }) => ({ argv, env: { TZ: tz } })), env, box.dir);
    let pruned = 0;
    const reasons = new Set<string>();
    for (const [i, { tz, argv }] of runs.entries()) {
      const ours = await runBorgTs(argv, { ...env, TZ: tz }, { cwd: box.dir });
      const label = `TZ=${tz} ${argv.slice(3, -1).join(' ')}`;
      assert.equal(ours.stderr, theirs[i]!.stderr, label);
      assert.deepEqual([ours.code, ours.stdout], [theirs[i]!.rc, theirs[i]!.stdout], label);
      pruned += (ours.stderr.match(/^Would prune:/gm) ?? []).length;
      for (const m of ours.stderr.matchAll(/^Keeping (?:archive \(rule: ([a-z[\]]+) #\d+\)|(checkpoint) archive):/gm)) reasons.add(m[1] ?? m[2]!);
    }
    assert.ok(pruned > 100, 'the rule sets prune something');
    // Every rule, its [oldest] variant and the kept checkpoint occur somewhere.
    for (const reason of ['within', 'checkpoint', ...['secondly', 'minutely', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'].flatMap((r) => [r, `${r}[oldest]`])]) {
      assert.ok(reasons.has(reason), `no archive kept by ${reason}: ${[...reasons].join(', ')}`);
    }
  });

  it('refuses like borg without a rule or with a bad interval, and changes nothing', async () => {
    const cases = [['prune', repo()], ['prune', '-d', '0', repo()], ['prune', '--keep-within', '3x', repo()], ['prune', '--keep-within', '0d', repo()]];
    const theirs = borgBatch(cases.map((argv) => ({ argv })), env, box.dir);
    const listing = (await runBorgTs(['list', '--short', repo()], env)).stdout;
    for (const [i, argv] of cases.entries()) {
      const ours = await runBorgTs(argv, env, { cwd: box.dir });
      assert.deepEqual([ours.code, theirs[i]!.rc], [2, 2], argv.join(' '));
      assert.equal(ours.stderr.trim().split('\n').length, 1, ours.stderr);
    }
    assert.equal((await runBorgTs(['list', '--short', repo()], env)).stdout, listing);
  });
});

/** Size of the segment files of a repository. */
function dataSize(repo: string): number {
  let total = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else total += statSync(path).size;
    }
  };
  walk(join(repo, 'data'));
  return total;
}

describe('borg-ts prune and compact on a repository with data', () => {
  const UNIQUE = 200_000;
  let box: Sandbox;
  let env: NodeJS.ProcessEnv;
  const repo = () => box.path('repo');
  const days = ['2024-03-01', '2024-03-02', '2024-03-03', '2024-04-10', '2024-04-11', '2024-05-20'];

  before(() => {
    box = new Sandbox({ TZ: 'UTC' });
    env = box.env;
    const src = box.path('src');
    mkdirSync(src);
    writeFileSync(join(src, 'shared'), randomBytes(300_000));
    const jobs: BorgJob[] = [{ argv: ['init', '-e', 'repokey-blake2', repo()] }];
    // Each archive holds the shared file and one file of its own, taken away again before the next.
    const batches: BorgJob[][] = [];
    for (const day of days) batches.push([{ argv: ['create', '--timestamp', `${day}T12:00:00`, `${repo()}::data-${day}`, 'src'] }]);
    assert.equal(borgBatch(jobs, env, box.dir)[0]!.rc, 0);
    for (const [i, batch] of batches.entries()) {
      rmSync(join(src, `own-${i - 1}`), { force: true });
      writeFileSync(join(src, `own-${i}`), randomBytes(UNIQUE));
      const [r] = borgBatch(batch, env, box.dir);
      assert.equal(r!.rc, 0, r!.stderr);
    }
    cpSync(box.dir, `${box.dir}-pristine`, { recursive: true });
  });
  after(() => {
    box.cleanup();
    rmSync(`${box.dir}-pristine`, { recursive: true, force: true });
  });

  it('prints what borg prints, frees what the pruned archives held alone, and passes borg check', async () => {
    const argv = ['prune', '--list', '--stats', '-d', '2', '-m', '1', repo()];
    // borg first (then its compacted size), then the same repository state again for borg-ts.
    const [theirs, theirCompact] = borgBatch([{ argv }, { argv: ['compact', repo()] }], env, box.dir);
    assert.equal(theirCompact!.rc, 0);
    const borgSize = dataSize(repo());
    rmSync(box.dir, { recursive: true });
    cpSync(`${box.dir}-pristine`, box.dir, { recursive: true });
    const before = dataSize(repo());

    const ours = await runBorgTs(argv, env, { cwd: box.dir });
    assert.deepEqual([ours.code, ours.stdout], [theirs!.rc, theirs!.stdout]);
    assert.equal(ours.stderr, theirs!.stderr);
    assert.match(ours.stderr, /^Pruning archive \(3\/3\): +data-2024-03-01 /m);
    assert.equal(dataSize(repo()) >= before, true, 'prune alone frees nothing');

    const compacted = await runBorgTs(['compact', repo()], env, { cwd: box.dir });
    assert.deepEqual([compacted.code, compacted.stdout, compacted.stderr], [0, '', '']);
    const after = dataSize(repo());
    assert.ok(before - after >= 3 * UNIQUE, `freed ${before - after} bytes`);
    assert.ok(Math.abs(after - borgSize) < 4096, `borg-ts leaves ${after} bytes, borg ${borgSize}`);

    mkdirSync(box.path('out'));
    const [list, check, extract] = borgBatch([
      { argv: ['list', '--short', repo()] },
      { argv: ['check', '--verify-data', repo()] },
      { argv: ['extract', `${repo()}::data-2024-03-03`] },
    ], env, box.path('out'));
    assert.equal(list!.stdout, 'data-2024-03-03\ndata-2024-04-11\ndata-2024-05-20\n');
    assert.deepEqual([check!.rc, check!.stderr], [0, '']);
    assert.equal(extract!.rc, 0, extract!.stderr);
    assert.equal(readFileSync(box.path('out/src/shared')).length, 300_000);
    assert.equal(readFileSync(box.path('out/src/own-2')).length, UNIQUE);
  });
});
