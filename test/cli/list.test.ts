// `borg-ts list` (the built bin) against real borg 1.2.4 on the same repository: a text format with
// every key, --json-lines, --json, and the archive filters and path selections print the same.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { borgEnv, copyVectorRepo, makeTempDir, removeTemp, runBorg } from '../repository/repo-fixtures.js';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../dist/cli/main.js');

const ITEM_KEYS = ['type', 'mode', 'uid', 'gid', 'user', 'group', 'path', 'bpath', 'source', 'linktarget', 'flags', 'size', 'csize',
  'dsize', 'dcsize', 'num_chunks', 'unique_chunks', 'mtime', 'ctime', 'atime', 'isomtime', 'isoctime', 'isoatime', 'md5', 'sha1',
  'sha224', 'sha256', 'sha384', 'sha512', 'sha3_224', 'sha3_256', 'sha3_384', 'sha3_512', 'blake2b', 'blake2s', 'xxh64', 'archiveid',
  'archivename', 'extra', 'health'];
const ARCHIVE_KEYS = ['archive', 'name', 'barchive', 'comment', 'bcomment', 'id', 'start', 'time', 'end', 'command_line', 'hostname', 'username'];
const FIXED = '{NL}{NEWLINE}{NUL}{SPACE}{TAB}{CR}{LF}';

describe('borg-ts list', () => {
  let tmp: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;

  const ours = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env: { ...env, BORG_BASE_DIR: join(tmp, 'ours') }, encoding: 'buffer' });
  const theirs = (args: string[]) => spawnSync('borg', args, { env, encoding: 'buffer' });
  /** Both tools print the same bytes and exit with the same code. */
  const same = (args: string[]) => {
    const [a, b] = [ours(args), theirs(args)];
    assert.equal(a.status, b.status, `${args.join(' ')}: ${a.stderr.toString()}`);
    assert.equal(a.stdout.toString('latin1'), b.stdout.toString('latin1'), args.join(' '));
    return a;
  };

  before(() => {
    tmp = makeTempDir();
    repo = copyVectorRepo('repo-repokey-blake2', tmp);
    env = { ...borgEnv(tmp), TZ: 'UTC' };
    // More archives for the filters: out-of-order times, a checkpoint, a second name family.
    const tree = join(tmp, 'tree');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'sub', 'f.txt'), 'f');
    writeFileSync(join(tree, 'g.txt'), 'g');
    writeFileSync(Buffer.concat([Buffer.from(join(tree, 'not-utf8-')), Buffer.from([0xff, 0xfe])]), 'n'); // prints as "?"
    for (const [name, ts] of [['x-2', '2024-03-01T00:00:00'], ['x-1', '2024-04-01T00:00:00'], ['x-1.checkpoint', '2024-05-01T00:00:00'], ['y-1', '2024-02-01T00:00:00']]) {
      const r = runBorg(['create', '--timestamp', ts!, `${repo}::${name}`, 'tree'], env, tmp);
      assert.equal(r.status, 0, r.stderr);
    }
  });
  after(() => removeTemp(tmp));

  it('prints every item key exactly like borg', () => {
    const r = same(['list', '--format', `${ITEM_KEYS.map((k) => `{${k}}`).join('|')}${FIXED}`, `${repo}::vector-archive`]);
    assert.ok(r.stdout.length > 1000);
    same(['list', `${repo}::vector-archive`]);
    same(['list', '--format', '{mode:>12}{user:>8}{size:010d} {mtime:%Y-%m-%d %j}{csize:,}{path:.8}{NUL}', `${repo}::vector-archive`]);
  });

  it('prints every archive key exactly like borg', () => {
    same(['list', '--format', `${ARCHIVE_KEYS.map((k) => `{${k}}`).join('|')}${FIXED}`, repo]);
    same(['list', repo]);
    same(['list', '--short', repo]);
  });

  it('writes the same JSON lines and JSON documents as borg', () => {
    const format = ITEM_KEYS.map((k) => `{${k}}`).join('');
    const parse = (out: Buffer) => out.toString().trim().split('\n').map((line) => JSON.parse(line) as unknown);
    assert.deepEqual(parse(ours(['list', '--json-lines', '--format', format, `${repo}::vector-archive`]).stdout),
      parse(theirs(['list', '--json-lines', '--format', format, `${repo}::vector-archive`]).stdout));
    same(['list', '--json', repo]);
    same(['list', '--json', '--format', ARCHIVE_KEYS.map((k) => `{${k}}`).join(''), repo]);
  });

  it('selects archives and paths like borg', () => {
    for (const args of [
      ['--first', '2'], ['--sort-by', 'id,timestamp', '--last', '3'], ['--glob-archives', '?-1'], ['--prefix', 'x'],
      ['--consider-checkpoints', '-a', 'x-1*', '--sort-by', 'name'],
    ]) same(['list', ...args, repo]);
    for (const args of [['tree/sub'], ['-e', '*.bin', '--pattern', '+tree/small.txt', '--pattern=-tree/s*']]) {
      same(['list', '--short', `${repo}::vector-archive`, ...args]);
    }
    same(['list', '--short', `${repo}::x-1`, '--pattern=- tree/sub']);
    same(['list', '--format', '{path}|{bpath}{NL}', `${repo}::x-1`]);
  });

  it('fails like borg for JSON options on the wrong target and for unknown archives', () => {
    for (const args of [['--json', `${repo}::vector-archive`], ['--json-lines', repo], [`${repo}::nosuch`]]) {
      const r = ours(['list', ...args]);
      assert.equal(r.status, theirs(['list', ...args]).status);
      assert.equal(r.status, 2);
      assert.equal(r.stderr.toString().trim().split('\n').length, 1, r.stderr.toString());
    }
    assert.match(ours(['list', '--format', '{nokey}', repo]).stderr.toString(), /^Invalid placeholder "nokey" in: \{nokey\}\n$/);
  });
});
