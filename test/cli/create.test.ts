// `borg-ts create` (the built bin) side by side with real borg 1.2.4: the same --list lines in the
// same order (patterns, tags, NODUMP, dry run, --filter), the same --json keys and value types,
// the same --stats layout, the same warnings and exit codes for unreadable files and bad usage,
// and the special inputs (stdin, --content-from-command, --paths-from-*) stored the same way.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { getFlags, inodeFlagBits, setFlags } from '../../src/platform/native.js';
import { pseudoRandom } from '../helpers/tree-compare.js';
import { assertExit, assertOneLineError, Sandbox, type Run } from '../interop/tools.js';

/** The shape of a JSON value: keys (recursively) and value types, not the values. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shape(value[0])] : [];
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, shape((value as Record<string, unknown>)[k])]));
  }
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return typeof value;
}

const ITEM_FORMAT = '{mode} {user} {group} {uid} {gid} {size} {isomtime} {path} {source} {num_chunks} {xxh64}{NL}';

describe('borg-ts create', () => {
  let box: Sandbox;
  /** Each tool gets its own client cache and repository (fresh caches: the same A/M/U decisions). */
  const envOf = (tool: 'ts' | 'borg') => box.with({ BORG_BASE_DIR: box.path(`base-${tool}`) });
  const ts = (args: string[], input?: string): Run => box.borgTs(args, { env: envOf('ts'), ...(input !== undefined ? { input } : {}) });
  const borg = (args: string[], input?: string): Run => box.borg(args, { env: envOf('borg'), ...(input !== undefined ? { input } : {}) });

  before(() => {
    box = new Sandbox({ TZ: 'UTC' });
    const t = (...p: string[]) => box.path('tree', ...p);
    mkdirSync(t('keep/sub'), { recursive: true });
    mkdirSync(t('cache'));
    mkdirSync(t('tagged/inner'), { recursive: true });
    mkdirSync(t('skipme'));
    writeFileSync(t('keep/a.txt'), 'a\n');
    writeFileSync(t('keep/b.log'), 'log\n');
    writeFileSync(t('keep/sub/c.bin'), pseudoRandom('c', 300_000));
    writeFileSync(t('cache/CACHEDIR.TAG'), 'Signature: 8a477f597d28d172789f06886806bc55\n# a cache\n');
    writeFileSync(t('cache/data'), 'cached');
    writeFileSync(t('tagged/.nobackup'), '');
    writeFileSync(t('tagged/inner/x'), 'x');
    writeFileSync(t('skipme/y'), 'y');
    writeFileSync(t('nodump.txt'), 'not for dump');
    setFlags(t('nodump.txt'), getFlags(t('nodump.txt')) | inodeFlagBits().nodump);
    for (const tool of ['ts', 'borg'] as const) assertExit(box.borgTs(['init', '-e', 'repokey-blake2', `repo-${tool}`], { env: envOf(tool) }), 0, 'init');
  });
  after(() => box.cleanup());

  it('prints the same --list lines as borg, in the same order (patterns, tags, NODUMP, dry run, --filter)', () => {
    const options = ['--list', '--exclude-caches', '--exclude-if-present', '.nobackup', '--keep-exclude-tags', '--exclude-nodump',
      '-e', '*.log', '--pattern=-tree/skipme', '--pattern=+tree/skipme/y'];
    for (const extra of [['--dry-run'], [], ['--filter', 'xd']]) {
      const name = `l${extra.length}${extra[0] ?? ''}`;
      const a = ts(['create', ...extra, ...options, `repo-ts::${name}`, 'tree']);
      const b = borg(['create', ...extra, ...options, `repo-borg::${name}`, 'tree']);
      assertExit(a, 0, `create ${extra.join(' ')}`);
      assert.equal(a.stderr, b.stderr, `create ${extra.join(' ')}`);
      assert.match(a.stderr, /^x tree\/nodump\.txt$/m);
    }
    const items = (run: (a: string[]) => Run, repo: string) => run(['list', '--format', ITEM_FORMAT, `${repo}::l0`]).stdout;
    assert.equal(items(ts, 'repo-ts'), items(borg, 'repo-borg'), 'archive contents');
    assert.match(items(borg, 'repo-ts'), /tree\/tagged\/.nobackup/);
  });

  it('prints --json with the keys and value types of borg, and --stats in borg layout', () => {
    const a = ts(['create', '--json', 'repo-ts::j', 'tree/keep']);
    const b = borg(['create', '--json', 'repo-borg::j', 'tree/keep']);
    assertExit(a, 0, 'create --json');
    assert.deepEqual(shape(JSON.parse(a.stdout)), shape(JSON.parse(b.stdout)));
    const parsed = JSON.parse(a.stdout) as { archive: { name: string; stats: { nfiles: number; original_size: number } } };
    assert.equal(parsed.archive.name, 'j');
    assert.equal(parsed.archive.stats.nfiles, 3);
    const sa = ts(['create', '--stats', 'repo-ts::s', 'tree/keep']);
    const sb = borg(['create', '--stats', 'repo-borg::s', 'tree/keep']);
    assertExit(sa, 0, 'create --stats');
    // Same lines apart from values: labels, alignment, units.
    const layout = (text: string) => text.replace(/\/\S*repo-(ts|borg)/g, 'REPO').replace(/[0-9a-f]{64}/g, 'ID').replace(/\d+(\.\d+)?/g, 'N');
    assert.equal(layout(sa.stderr), layout(sb.stderr));
    assert.match(sa.stderr, /^This archive: +\d/m);
  });

  it('warns about unreadable and missing files like borg and exits 1', () => {
    const a = ts(['create', '--list', 'repo-ts::e1', '/proc/self/mem', 'tree/keep/a.txt', 'tree/missing']);
    const b = borg(['create', '--list', 'repo-borg::e1', '/proc/self/mem', 'tree/keep/a.txt', 'tree/missing']);
    assertExit(a, 1, 'create with an unreadable file');
    assert.equal(a.stderr.replace(/^U /m, 'A '), b.stderr.replace(/^U /m, 'A '));
    assert.match(a.stderr, /^E \/proc\/self\/mem$/m);
    const input = 'tree/keep/a.txt\ntree/nope\ntree/keep/sub\n';
    const c = ts(['create', '--list', '--paths-from-stdin', 'repo-ts::e2'], input);
    const d = borg(['create', '--list', '--paths-from-stdin', 'repo-borg::e2'], input);
    assertExit(c, 1, '--paths-from-stdin with a missing path');
    assert.equal(c.stderr, d.stderr);
  });

  it('refuses bad usage with exit code 2 and one line', () => {
    assertOneLineError(ts(['create', '--bogus', 'repo-ts::x', 'tree']), /unknown option '--bogus'/);
    assertOneLineError(ts(['create', '--chunker-params', 'buzhash,1,2', 'repo-ts::x', 'tree']), /invalid ChunkerParams value/);
    assertOneLineError(ts(['create', '-C', 'zip', 'repo-ts::x', 'tree']), /invalid CompressionSpec value/);
    assertOneLineError(ts(['create', '--timestamp', '2024-02-30T00:00:00', 'repo-ts::x', 'tree']), /invalid timestamp value/);
    assertOneLineError(ts(['create', 'repo-ts', 'tree']), /No archive specified/);
    assertOneLineError(ts(['create', 'repo-ts::j', 'tree']), /^Archive j already exists$/);
    const failed = ts(['create', '--content-from-command', 'repo-ts::cmd', '--', 'sh', '-c', 'echo partial; exit 3']);
    assertOneLineError(failed, /^Command 'sh' exited with status 3$/);
    assert.doesNotMatch(ts(['list', '--short', 'repo-ts']).stdout, /^cmd$/m);
  });

  it('stores stdin, command output and listed paths like borg', () => {
    const data = pseudoRandom('stdin', 75_000).toString('hex');
    const stdinArgs = ['--stdin-name', 'dump/db.sql', '--stdin-mode', '0640', '--stdin-user', 'daemon', '--stdin-group', 'daemon'];
    assertExit(ts(['create', ...stdinArgs, 'repo-ts::in', '-'], data), 0, 'create -');
    assertExit(borg(['create', ...stdinArgs, 'repo-borg::in', '-'], data), 0, 'borg create -');
    const cmd = ['--content-from-command', '--stdin-name', 'gen', '--', 'sh', '-c', 'printf "%s" hello; printf "%s" world'];
    assertExit(ts(['create', ...cmd.slice(0, 3), 'repo-ts::cmd', ...cmd.slice(3)]), 0, 'create --content-from-command');
    assertExit(borg(['create', ...cmd.slice(0, 3), 'repo-borg::cmd', ...cmd.slice(3)]), 0, 'borg create --content-from-command');
    const paths = ['--paths-from-command', '--paths-delimiter', '\\0', '--list'];
    const find = ['--', 'find', 'tree/keep', '-print0'];
    const a = ts(['create', ...paths, 'repo-ts::pfc', ...find]);
    const b = borg(['create', ...paths, 'repo-borg::pfc', ...find]);
    assertExit(a, 0, 'create --paths-from-command');
    assert.equal(a.stderr.replace(/^[AU] /gm, '? '), b.stderr.replace(/^[AU] /gm, '? '));
    const fmt = '{mode} {user} {group} {size} {path} {xxh64}{NL}';
    for (const name of ['in', 'cmd', 'pfc']) {
      const listed = (run: (a: string[]) => Run, repo: string) => run(['list', '--format', fmt, `${repo}::${name}`]).stdout;
      assert.equal(listed(ts, 'repo-ts'), listed(borg, 'repo-borg'), name);
    }
    assert.match(ts(['list', '--format', fmt, 'repo-ts::in']).stdout, /^-rw-r----- daemon daemon 150000 dump\/db\.sql /);
  });

  it('stores --timestamp, a --comment with placeholders and the command line', () => {
    assertExit(ts(['create', '--timestamp', '2023-04-05T06:07:08', '--comment', 'by {user} at {now:%Y}', 'repo-ts::meta-{now:%Y}', 'tree/keep/a.txt']), 0, 'create');
    const year = String(new Date().getFullYear());
    const info = box.borg(['info', '--json', `repo-ts::meta-${year}`], { env: envOf('ts') });
    assertExit(info, 0, 'borg info');
    const archive = (JSON.parse(info.stdout) as { archives: Array<{ start: string; comment: string; command_line: string[] }> }).archives[0]!;
    assert.equal(archive.start, '2023-04-05T06:07:08.000000');
    assert.equal(archive.comment, `by root at ${year}`);
    assert.deepEqual(archive.command_line.slice(1, 3), ['create', '--timestamp']);
  });
});
