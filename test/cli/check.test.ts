// `borg-ts check` against real borg 1.2.4 on identical damaged copies of a small repository made by
// real borg: per damage case both must find the same problems (the same ids, segments and counts)
// and exit alike; `check --repair` must leave a repository that real `borg check` accepts, with the
// same archives and items (and their health) as borg's own repair, and every untouched file must
// extract intact. Known differences from borg 1.2.4 are asserted as such.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.js';
import { MANIFEST_ID } from '../../src/crypto/index.js';
import {
  deleteObject, deleteSegment, flipIndexBit, flipObjectBit, manifestSegment, objectPosition, repoLayout, truncateSegment, type RepoLayout,
} from '../helpers/damage.js';
import { FIXTURES, makeTempDir, removeTemp, runBorg } from '../repository/repo-fixtures.js';

type Env = Record<string, string | undefined>;
interface Outcome { code: number | null; problems: string[]; stderr: string }

const ID = '([0-9a-f]{64})';
/** What a run reported, as comparable tokens: borg's wording and ours both map onto them. */
const SIGNATURES: Array<[RegExp, (m: RegExpMatchArray) => string]> = [
  [new RegExp(`New missing file chunk detected .*Chunk ${ID}|chunk ${ID} \\(bytes \\d+-\\d+\\) is missing`), (m) => `file-chunk-missing ${m[1] ?? m[2]}`],
  [new RegExp(`Archive metadata block ${ID} is missing|metadata object ${ID} is missing`), (m) => `archive-missing ${m[1] ?? m[2]}`],
  [new RegExp(`item metadata chunk missing \\[chunk: \\d+_${ID}|item metadata chunk \\d+_${ID} is missing`), (m) => `item-chunk-missing ${m[1] ?? m[2]}`],
  [new RegExp(`chunk ${ID}, integrity error|Object ${ID} fails verification`), (m) => `object-corrupted ${m[1] ?? m[2]}`],
  [/(\d+) orphaned objects found/, (m) => `orphans ${m[1]}`],
  [/Repository manifest (not found|is missing)/, () => 'manifest-missing'],
  [/Repository manifest is (corrupted|damaged)/, () => 'manifest-corrupted'],
  [/checksum mismatch \[segment (\d+), offset (\d+)\]/, (m) => `crc ${m[1]}/${m[2]}`],
  [/short read \[segment (\d+), offset (\d+)\]/, (m) => `short-read ${m[1]}/${m[2]}`],
  [/Index object count mismatch/, () => 'index-count-mismatch'],
];

function problems(stderr: string): string[] {
  const out: string[] = [];
  for (const line of stderr.split('\n')) for (const [re, token] of SIGNATURES) { const m = line.match(re); if (m) out.push(token(m)); }
  return out.sort();
}

async function ours(args: string[], env: Env): Promise<Outcome> {
  const stderr: string[] = [];
  const code = await runCli(args, { env, cwd: '/', stdout: { write: () => true }, stderr: { write: (c) => stderr.push(String(c)) } });
  return { code, problems: problems(stderr.join('')), stderr: stderr.join('') };
}

function borg(args: string[], env: Env): Outcome {
  const r = runBorg(args, env as NodeJS.ProcessEnv);
  return { code: r.status, problems: problems(r.stderr), stderr: r.stderr };
}

/** Every archive's items with size and health, as real borg reads them (one process for all). */
const DUMP = `
import sys
from borg.logger import setup_logging
setup_logging(level='warning')
from borg.repository import Repository
from borg.helpers import Manifest
from borg.archive import Archive
with Repository(sys.argv[1], exclusive=False) as repository:
    manifest, key = Manifest.load(repository, (Manifest.Operation.READ,))
    for info in manifest.archives.list(sort_by=['name']):
        for item in Archive(repository, key, manifest, info.name).iter_items():
            print(info.name, item.path, item.get('size'), 'broken' if 'chunks_healthy' in item else 'healthy')
`;

function contents(repo: string, env: Env): string {
  const r = spawnSync('/usr/bin/python3', ['-c', DUMP, repo], { env: env as NodeJS.ProcessEnv, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('borg-ts check compared with borg 1.2.4', () => {
  let tmp: string;
  let pristine: string;
  let layout: RepoLayout;
  const tree: Record<string, Buffer> = {};
  const envFor = (repo: string, extra: Env = {}): Env => ({
    PATH: process.env['PATH'], HOME: tmp, LANG: 'C.UTF-8', TZ: 'UTC', BORG_BASE_DIR: `${repo}-base`, BORG_PASSPHRASE: 'pw',
    BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes', BORG_CHECK_I_KNOW_WHAT_I_AM_DOING: 'YES', ...extra,
  });
  /** A damaged copy for borg-ts and an identical one for borg, each with its own base dir. */
  async function copies(name: string, damage: (repo: string) => unknown, from = pristine): Promise<[string, string]> {
    const [mine, theirs] = [join(tmp, `${name}-ts`), join(tmp, `${name}-borg`)];
    cpSync(from, mine, { recursive: true });
    cpSync(`${from}-base`, `${mine}-base`, { recursive: true });
    await damage(mine);
    cpSync(mine, theirs, { recursive: true });
    cpSync(`${mine}-base`, `${theirs}-base`, { recursive: true });
    return [mine, theirs];
  }
  let extracts = 0;
  /** Untouched files of an archive extract intact with real borg. */
  function assertExtracts(repo: string, [archive, paths]: [string, string[]]): void {
    const dest = join(tmp, `extract-${extracts++}`);
    mkdirSync(dest);
    const r = runBorg(['extract', `${repo}::${archive}`, ...paths], envFor(repo) as NodeJS.ProcessEnv, dest);
    assert.equal(r.status, 0, r.stderr);
    for (const p of paths) {
      const expected = archive === 'two' && p === 'tree/b.txt' ? Buffer.from('hello again\n') : tree[p]!;
      assert.ok(readFileSync(join(dest, p)).equals(expected), `${archive}: ${p} extracts intact`);
    }
  }

  before(async () => {
    tmp = makeTempDir();
    pristine = join(tmp, 'pristine');
    mkdirSync(join(tmp, 'tree'));
    Object.assign(tree, { 'tree/a.bin': randomBytes(3000), 'tree/b.txt': Buffer.from('hello\n'), 'tree/c.bin': randomBytes(5000) });
    for (const [p, data] of Object.entries(tree)) writeFileSync(join(tmp, p), data);
    const env = envFor(pristine) as NodeJS.ProcessEnv;
    assert.equal(runBorg(['init', '-e', 'repokey-blake2', pristine], env).status, 0);
    assert.equal(runBorg(['create', `${pristine}::one`, 'tree'], env, tmp).status, 0);
    writeFileSync(join(tmp, 'tree/b.txt'), 'hello again\n');
    assert.equal(runBorg(['create', `${pristine}::two`, 'tree'], env, tmp).status, 0);
    layout = await repoLayout(pristine, envFor(pristine));
  });
  after(() => removeTemp(tmp));

  const fileChunk = (path: string) => layout.archives[0]!.files.get(path)![0]!;
  const untouched: [string, string[]] = ['one', ['tree/b.txt', 'tree/c.bin']];

  /**
   * One damage case: check finds the same as borg, --repair (extra options as given) leaves what
   * borg's repair leaves, and borg accepts the result.
   */
  async function compare(name: string, damage: (repo: string) => unknown, expect: { code: number; problems: string[]; repairArgs?: string[]; extract?: [string, string[]] }) {
    const [mine, theirs] = await copies(name, damage);
    const [a, b] = [await ours(['check', ...(expect.repairArgs ?? []), mine], envFor(mine)), borg(['check', ...(expect.repairArgs ?? []), theirs], envFor(theirs))];
    assert.deepEqual([a.code, a.problems], [b.code, b.problems], `${name}: ours\n${a.stderr}\nborg's\n${b.stderr}`);
    assert.deepEqual([a.code, a.problems], [expect.code, expect.problems.sort()], name);
    assert.equal((await ours(['check', '--repair', ...(expect.repairArgs ?? []), mine], envFor(mine))).code, 0);
    assert.equal(borg(['check', '--repair', ...(expect.repairArgs ?? []), theirs], envFor(theirs)).code, 0);
    assert.equal(borg(['check', mine], envFor(mine)).code, 0, `${name}: borg accepts our repair`);
    assert.equal(contents(mine, envFor(mine)), contents(theirs, envFor(theirs)), `${name}: same result as borg's repair`);
    assertExtracts(mine, expect.extract ?? untouched);
    return [mine, theirs];
  }

  it('missing file chunk: replaced by zeros, healed when a backup brings it back', async () => {
    const id = fileChunk('tree/a.bin').toString('hex');
    const [mine, theirs] = await compare('missing-chunk', (r) => deleteObject(r, fileChunk('tree/a.bin')), {
      code: 1, problems: [`file-chunk-missing ${id}`, `file-chunk-missing ${id}`],
    });
    assert.match(contents(mine, envFor(mine)), /^one tree\/a.bin 3000 broken$/m);
    writeFileSync(join(tmp, 'tree/a.bin'), tree['tree/a.bin']!);
    for (const r of [mine, theirs]) assert.equal(runBorg(['create', `${r}::three`, 'tree'], envFor(r) as NodeJS.ProcessEnv, tmp).status, 0);
    assert.match((await ours(['check', '-v', '--repair', mine], envFor(mine))).stderr, /tree\/a.bin: all lost chunks are back/);
    assert.equal(borg(['check', '--repair', theirs], envFor(theirs)).code, 0);
    assert.doesNotMatch(contents(mine, envFor(mine)), /broken/);
    assert.equal(contents(mine, envFor(mine)), contents(theirs, envFor(theirs)));
    assertExtracts(mine, ['one', ['tree/a.bin', 'tree/b.txt', 'tree/c.bin']]);
  });

  it('bit flip in a data chunk: the segment CRC fails, repair salvages the segment', async () => {
    const at = objectPosition(pristine, fileChunk('tree/a.bin'));
    await compare('crc', (r) => flipObjectBit(r, fileChunk('tree/a.bin')), { code: 1, problems: [`crc ${at.segment}/${at.offset}`, 'index-count-mismatch'] });
  });

  it('bit flip under a valid CRC: only --verify-data sees it', async () => {
    const id = fileChunk('tree/c.bin').toString('hex');
    const flip = (r: string) => flipObjectBit(r, fileChunk('tree/c.bin'), { fixCrc: true });
    const [plainMine, plainTheirs] = await copies('silent-plain', flip);
    assert.deepEqual([(await ours(['check', plainMine], envFor(plainMine))).code, borg(['check', plainTheirs], envFor(plainTheirs)).code], [0, 0]);
    await compare('silent', flip, { code: 1, problems: [`object-corrupted ${id}`], repairArgs: ['--verify-data'], extract: ['one', ['tree/a.bin', 'tree/b.txt']] });
  });

  it('damaged manifest, missing manifest, missing archive metadata, missing item-stream chunk', async () => {
    await compare('manifest-flip', (r) => flipObjectBit(r, MANIFEST_ID, { fixCrc: true }), { code: 1, problems: ['manifest-corrupted'] });
    await compare('manifest-gone', (r) => deleteObject(r, MANIFEST_ID), { code: 1, problems: ['manifest-missing'] });
    const archive = layout.archives[0]!;
    await compare('archive-gone', (r) => deleteObject(r, archive.id), {
      code: 1, problems: [`archive-missing ${archive.id.toString('hex')}`, 'orphans 2'], extract: ['two', ['tree/a.bin', 'tree/b.txt', 'tree/c.bin']],
    });
    await compare('items-gone', (r) => deleteObject(r, archive.itemIds[0]!), {
      code: 1, problems: [`item-chunk-missing ${archive.itemIds[0]!.toString('hex')}`, 'orphans 1'], extract: ['two', ['tree/a.bin', 'tree/b.txt', 'tree/c.bin']],
    });
  });

  it('damaged index, truncated segment, deleted segment', async () => {
    await compare('index-flip', flipIndexBit, { code: 0, problems: [] });
    const segment = objectPosition(pristine, layout.archives[0]!.id).segment;
    const size = readFileSync(join(pristine, 'data', '0', String(segment))).length;
    await compare('truncated', (r) => truncateSegment(r, segment, size - 20), { code: 1, problems: ['index-count-mismatch', `short-read ${segment}/${objectPosition(pristine, layout.archives[0]!.id).offset}`], extract: ['two', ['tree/a.bin', 'tree/c.bin']] });
    await compare('segment-gone', (r) => deleteSegment(r, segment), { code: 1, problems: ['index-count-mismatch'], extract: ['two', ['tree/b.txt']] });
    assert.notEqual(segment, manifestSegment(pristine));
  });

  it('damaged item-stream chunk: borg 1.2.4 crashes (exit 2), borg-ts reports and repairs like borg --verify-data --repair', async () => {
    const itemId = layout.archives[0]!.itemIds[0]!;
    const [mine, theirs] = await copies('items-flip', (r) => flipObjectBit(r, itemId, { fixCrc: true }));
    const a = await ours(['check', '-v', mine], envFor(mine));
    assert.equal(a.code, 1);
    assert.match(a.stderr, new RegExp(`item metadata chunk 000000_${itemId.toString('hex')} is damaged`));
    assert.equal(borg(['check', theirs], envFor(theirs)).code, 2);
    assert.equal((await ours(['check', '--repair', mine], envFor(mine))).code, 0);
    assert.equal(borg(['check', '--repair', '--verify-data', theirs], envFor(theirs)).code, 0);
    assert.equal(borg(['check', '--verify-data', mine], envFor(mine)).code, 0);
    assert.equal(contents(mine, envFor(mine)), contents(theirs, envFor(theirs)));
  });

  it('option rules and the repair question: refused with exit 2, like borg', async () => {
    const [mine, theirs] = await copies('options', () => undefined);
    const cases: Array<[string[], RegExp]> = [
      [['--repository-only', '--verify-data'], /--repository-only cannot be combined/],
      [['--repository-only', '--last', '1'], /--repository-only cannot be combined/],
      [['--repository-only', '-P', 'x'], /--repository-only cannot be combined/],
      [['--repair', '--max-duration', '5'], /--repair cannot be combined with --max-duration/],
      [['--max-duration', '5'], /--max-duration needs --repository-only/],
    ];
    for (const [args, message] of cases) {
      const a = await ours(['check', ...args, mine], envFor(mine));
      assert.deepEqual([a.code, borg(['check', ...args, theirs], envFor(theirs)).code], [2, 2], args.join(' '));
      assert.match(a.stderr, message);
    }
    const refused = await ours(['check', '--repair', mine], envFor(mine, { BORG_CHECK_I_KNOW_WHAT_I_AM_DOING: 'no' }));
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /Type 'YES' to repair anyway: no \(from BORG_CHECK_I_KNOW_WHAT_I_AM_DOING\)\nAborting\.\n$/);
    assert.equal(borg(['check', '--repair', theirs], envFor(theirs, { BORG_CHECK_I_KNOW_WHAT_I_AM_DOING: 'no' })).code, 2);
  });

  it('archive selection: only the chosen archives are checked, orphans only when all are', async () => {
    const [mine, theirs] = await copies('selection', (r) => deleteObject(r, layout.archives[0]!.id));
    for (const args of [['--last', '1'], ['--first', '1'], ['--glob-archives', 't*'], ['--archives-only'], ['--archives-only', '--sort-by', 'name', '--last', '1']]) {
      const [a, b] = [await ours(['check', ...args, mine], envFor(mine)), borg(['check', ...args, theirs], envFor(theirs))];
      assert.deepEqual([a.code, a.problems], [b.code, b.problems], args.join(' '));
    }
    for (const [archive, code] of [['two', 0], ['one', 1], ['nosuch', 1]] as const) {
      assert.deepEqual([(await ours(['check', `${mine}::${archive}`], envFor(mine))).code, borg(['check', `${theirs}::${archive}`], envFor(theirs)).code], [code, code], archive);
    }
  });

  it('--max-duration: a partial repository check resumes after the last segment checked', async () => {
    const at = objectPosition(pristine, fileChunk('tree/a.bin'));
    const [mine, theirs] = await copies('partial', (r) => {
      flipObjectBit(r, fileChunk('tree/a.bin'));
      const config = join(r, 'config');
      writeFileSync(config, readFileSync(config, 'utf8').replace('[repository]\n', `[repository]\nlast_segment_checked = ${at.segment}\n`));
    });
    const args = ['check', '--repository-only', '--max-duration', '3600'];
    // The damaged segment was "checked" before: this run starts after it and finishes the round.
    assert.deepEqual([(await ours([...args, mine], envFor(mine))).code, borg([...args, theirs], envFor(theirs)).code], [0, 0]);
    assert.doesNotMatch(readFileSync(join(mine, 'config'), 'utf8'), /last_segment_checked/);
    const [a, b] = [await ours([...args, mine], envFor(mine)), borg([...args, theirs], envFor(theirs))];
    assert.deepEqual([a.code, a.problems], [b.code, b.problems]);
    assert.deepEqual([a.code, a.problems], [1, [`crc ${at.segment}/${at.offset}`]]);
  });

  it('--progress --log-json: progress records and findings as log messages', async () => {
    const [mine] = await copies('json', (r) => deleteObject(r, fileChunk('tree/c.bin')));
    const r = await ours(['check', '--progress', '--log-json', '--info', '--verify-data', mine], envFor(mine));
    assert.equal(r.code, 1);
    const records = r.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const msgid of ['check.verify_data', 'check.rebuild_refcounts']) {
      const events = records.filter((x) => x['type'] === 'progress_percent' && x['msgid'] === msgid);
      assert.ok(events.length >= 2 && events.at(-1)!['finished'] === true, msgid);
    }
    const missing = records.find((x) => x['type'] === 'log_message' && /tree\/c.bin: chunk [0-9a-f]{64} \(bytes 0-5000\) is missing/.test(String(x['message'])));
    assert.deepEqual([missing?.['levelname'], missing?.['name']], ['ERROR', 'borg.archive']);
  });

  it('archive with an invalid TAM (borg 1.2.4 rename): reported and deleted, as borg >= 1.2.5 does', async () => {
    const extra = join(tmp, 'extra');
    cpSync(join(FIXTURES, 'repo-extra'), extra, { recursive: true });
    const env = envFor(extra, { BORG_PASSPHRASE: 'correct horse battery staple' });
    const r = await ours(['check', extra], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Archive small-chunks-renamed is not authenticated \(Archive authentication did not verify\)/);
    assert.equal(borg(['check', extra], env).code, 0, 'borg 1.2.4 never verifies archive TAMs');
    assert.equal((await ours(['check', extra], { ...env, BORG_WORKAROUNDS: 'ignore_invalid_archive_tam' })).code, 0);
    assert.equal((await ours(['check', '--repair', extra], env)).code, 0);
    assert.equal(borg(['check', extra], env).code, 0);
    assert.equal(runBorg(['list', '--short', extra], env as NodeJS.ProcessEnv).stdout, 'fixed-obfuscated\n');
    assert.equal(runBorg(['extract', '--dry-run', `${extra}::fixed-obfuscated`], env as NodeJS.ProcessEnv).status, 0);
  });
});
