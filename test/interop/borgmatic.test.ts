// Acceptance under borgmatic: Debian's borgmatic 1.7.7, configured with `local_path` pointing at a
// wrapper that runs borg-ts, initialises a repository, backs up twice, lists, shows info (text and
// JSON), extracts, prunes, compacts and runs its three consistency checks (repository, archives,
// extract). Every borgmatic run must succeed, and real borg 1.2.4 is the witness of the results:
// it lists the archives, verifies every chunk and restores each archive byte for byte. The wrapper
// records each command line borgmatic gave it, so the test also shows borgmatic drove borg-ts (and
// not the borg on the PATH) with the options it uses for a borg 1.2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { assertExit, BIN, PASSPHRASE, realBorg, Sandbox, treeDigest, type Run } from './tools.js';

const ARCHIVE_NAME = /^\S+-borgmatic-\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

/** `text` as a literal inside a RegExp. */
const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** borgmatic's version, or a failure that says how to install it (the suite does so as root). */
function borgmaticVersion(): string {
  const r = spawnSync('borgmatic', ['--version'], { encoding: 'utf8' });
  if (r.error) {
    throw new Error(`borgmatic is not installed (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}): `
      + 'run scripts/install-test-deps.sh as root (it runs apt-get install borgmatic), or apt-get install borgmatic');
  }
  assert.equal(r.status, 0, `borgmatic --version: exit ${r.status}\n${r.stderr}`);
  return r.stdout.trim();
}

/** The source tree: files over several chunks, a text file, names with a space and non-ASCII, a symlink, empty things. */
function makeTree(root: string): void {
  mkdirSync(join(root, 'docs/deep'), { recursive: true });
  mkdirSync(join(root, 'empty-dir'));
  writeFileSync(join(root, 'big.bin'), randomBytes(3 * 1024 * 1024 + 17));
  writeFileSync(join(root, 'replaced.bin'), randomBytes(1024 * 1024));
  writeFileSync(join(root, 'docs/notes.txt'), 'borgmatic drives borg-ts\n'.repeat(200));
  writeFileSync(join(root, 'docs/deep/with space.txt'), 'a file name with a space\n');
  writeFileSync(join(root, 'docs/ünïcödé.txt'), 'non-ASCII name\n');
  writeFileSync(join(root, 'empty'), '');
  symlinkSync('docs/notes.txt', join(root, 'link'));
  // One file clearly newer than the rest (ctimes are coarse, a few ms): like borg, borg-ts keeps
  // out of the files cache only the files with the newest ctime of a backup, so this one alone is
  // read again by the next backup.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  writeFileSync(join(root, 'docs/newest.txt'), 'the newest file of the first backup\n');
}

/** Total size of the files below `dir`. */
function duBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? duBytes(path) : statSync(path).size;
  }
  return total;
}

describe("borgmatic (Debian's 1.7.7) with local_path: borg-ts, checked by real borg", () => {
  let box: Sandbox;
  /** For borgmatic: HOME in the sandbox, no passphrase (the config's passcommand gives it). */
  let env: NodeJS.ProcessEnv;
  /** For real borg: the same directories, with the passphrase. */
  let borgEnv: NodeJS.ProcessEnv;
  let source: string;
  let repo: string;
  let config: string;
  let calls: string;
  let log: string;
  let firstDigest: string;
  const archives: string[] = [];

  before(() => {
    const version = borgmaticVersion();
    assert.match(version, /^1\.7\./, `this test is written for borgmatic 1.7.x (Debian's 1.7.7), found ${version}`);
    box = new Sandbox();
    const xdg = { XDG_CONFIG_HOME: undefined, XDG_CACHE_HOME: undefined, XDG_DATA_HOME: undefined, XDG_STATE_HOME: undefined };
    env = box.with({ ...xdg, HOME: box.path('home'), BORG_PASSPHRASE: undefined });
    borgEnv = box.with({ ...xdg, HOME: box.path('home') });
    mkdirSync(box.path('home'));
    source = box.path('src');
    repo = box.path('repo');
    config = box.path('config.yaml');
    calls = box.path('borg-ts-calls.log');
    log = box.path('borgmatic.log');
    makeTree(source);
    firstDigest = treeDigest(source);

    // The local_path wrapper: records its arguments, then runs the built borg-ts with this Node.
    const wrapper = box.path('borg-ts');
    for (const path of [calls, process.execPath, BIN]) assert.doesNotMatch(path, /'/, `no quote in ${path}`);
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\nexec '${process.execPath}' '${BIN}' "$@"\n`);
    chmodSync(wrapper, 0o755);
    const passfile = box.path('passphrase');
    writeFileSync(passfile, `${PASSPHRASE}\n`, { mode: 0o600 });

    const q = (s: string) => JSON.stringify(s); // a JSON string is a YAML double-quoted scalar
    writeFileSync(config, [
      'location:',
      '    source_directories:',
      `        - ${q(source)}`,
      '    repositories:',
      `        - ${q(repo)}`,
      `    local_path: ${q(wrapper)}`,
      'storage:',
      `    encryption_passcommand: ${q(`cat ${passfile}`)}`,
      `    archive_name_format: ${q('{hostname}-borgmatic-{now:%Y-%m-%dT%H:%M:%S.%f}')}`,
      'retention:',
      '    keep_daily: 1',
      `    prefix: ${q('{hostname}-borgmatic-')}`,
      'consistency:',
      '    checks:',
      '        - name: repository',
      '        - name: archives',
      '        - name: extract',
      `    prefix: ${q('{hostname}-borgmatic-')}`,
      '',
    ].join('\n'));
  });
  after(() => box?.cleanup());

  const callLines = (): string[] => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter((l) => l !== '') : []);
  const logTail = (): string => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-40).join('\n') : '(no log)');

  /**
   * Runs borgmatic with the config (log file at debug level, which also makes it pass --debug
   * --show-rc to borg), requires exit 0 and returns its output and the borg-ts command lines it ran.
   */
  function borgmatic(args: string[], what = `borgmatic ${args.join(' ')}`): Run & { calls: string[] } {
    const start = callLines().length;
    const r = spawnSync('borgmatic', ['--config', config, '--log-file', log, '--log-file-verbosity', '2', ...args], {
      env, cwd: box.dir, input: '', encoding: 'utf8', timeout: 120_000,
    });
    if (r.error) throw r.error;
    const ran = callLines().slice(start);
    const run = { code: r.status, stdout: r.stdout, stderr: r.stderr };
    assert.equal(run.code, 0, `${what}: exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}\n`
      + `borg-ts command lines:\n${ran.join('\n')}\nborgmatic log (tail):\n${logTail()}`);
    return { ...run, calls: ran };
  }
  const borg = (args: string[], what: string, cwd = box.dir): Run => {
    const r = realBorg(args, { env: borgEnv, cwd });
    assertExit(r, 0, what);
    return r;
  };
  const ranCommand = (ran: string[], pattern: RegExp, what: string): void => {
    assert.ok(ran.some((line) => pattern.test(line)), `${what}: expected a borg-ts call matching ${pattern}, got:\n${ran.join('\n')}`);
  };
  const realArchives = (): string[] => borg(['list', '--short', repo], 'borg list --short').stdout.split('\n').filter((l) => l !== '');
  /** Real borg restores `archive` into a fresh directory; returns the digest of the source subtree there. */
  const borgRestore = (archive: string, dir: string): string => {
    mkdirSync(box.path(dir));
    borg(['extract', `${repo}::${archive}`], `borg extract ${archive}`, box.path(dir));
    return treeDigest(join(box.path(dir), relative('/', source)));
  };

  it("accepts borg-ts's version and the config", () => {
    const version = spawnSync(box.path('borg-ts'), ['--version'], { env, encoding: 'utf8' });
    assert.equal(version.status, 0, `borg-ts --version: ${version.stderr}`);
    // borgmatic 1.7.7 (borg/version.py) takes the second word of `LOCAL_PATH --version` and picks
    // borg 1.x command forms (init, list, info, REPO::ARCHIVE) below 2.0.0a2.
    const parsed = version.stdout.split(' ')[1]?.trim();
    assert.match(parsed ?? '', /^1\.2\.\d+$/, `borgmatic's parse of ${JSON.stringify(version.stdout)}`);
    const valid = spawnSync('validate-borgmatic-config', ['--config', config], { env, encoding: 'utf8' });
    assert.equal(valid.status, 0, `validate-borgmatic-config: ${valid.stdout}${valid.stderr}`);
  });

  it('init creates a repokey-blake2 repository', () => {
    const first = borgmatic(['--verbosity', '1', 'init', '--encryption', 'repokey-blake2']);
    ranCommand(first.calls, /^--version/, 'version probe');
    ranCommand(first.calls, new RegExp(`^info --json ${esc(repo)}$`), 'probe for an existing repository (exit 2 = none)');
    ranCommand(first.calls, new RegExp(`^init --encryption repokey-blake2 .*${esc(repo)}$`), 'init');
    assert.ok(existsSync(join(repo, 'config')), 'the repository exists');
    // Real borg looks at the repository only after the first backup: opening it, borg would bring
    // the client cache up to date, and the first create is to find the cache as borg-ts init left it.
  });

  it('create twice, with files changed, replaced and added in between', () => {
    const first = borgmatic(['--verbosity', '1', 'create', '--stats']);
    ranCommand(first.calls, new RegExp(`^create .*${esc(repo)}::\\{hostname\\}-borgmatic-\\{now:%Y-%m-%dT%H:%M:%S\\.%f\\} ${esc(source)}`), 'create');
    assert.match(first.stdout, /This archive:/, 'create --stats output reaches borgmatic');
    // borg init leaves the client cache in sync with the new repository: nothing to rebuild here.
    assert.doesNotMatch(first.stdout, /Synchronizing chunks cache/, 'the cache init made is in sync');
    const info = JSON.parse(borg(['info', '--json', repo], 'borg info --json').stdout) as { encryption: { mode: string } };
    assert.equal(info.encryption.mode, 'repokey-blake2');
    archives.push(...realArchives());
    assert.equal(archives.length, 1);

    const again = borgmatic(['--verbosity', '1', 'init', '--encryption', 'repokey-blake2'], 'borgmatic init on the existing repository');
    assert.ok(!again.calls.some((line) => line.startsWith('init')), `no second init: ${again.calls.join('\n')}`);
    assert.match(again.stdout, /Repository already exists/);

    appendFileSync(join(source, 'docs/notes.txt'), 'changed between the two backups\n');
    writeFileSync(join(source, 'replaced.bin'), randomBytes(1024 * 1024));
    writeFileSync(join(source, 'docs/added.txt'), 'added for the second backup\n');
    const second = borgmatic(['--verbosity', '1', 'create', '--list', '--stats']);
    // --list --filter AMEx-: modified and added files; unchanged ones (U) come from the files cache.
    assert.match(second.stdout, /^M .*docs\/notes\.txt$/m, 'the modified file');
    assert.match(second.stdout, /^M .*replaced\.bin$/m, 'the replaced file');
    assert.match(second.stdout, /^A .*docs\/added\.txt$/m, 'the added file');
    assert.match(second.stdout, /^A .*docs\/newest\.txt$/m, 'the newest file of the first backup was not memorized');
    for (const unchanged of ['big.bin', 'with space.txt', 'ünïcödé.txt', 'empty']) {
      assert.ok(!second.stdout.split('\n').some((line) => /^[AM] /.test(line) && line.endsWith(`/${unchanged}`)), `${unchanged} is unchanged`);
    }

    const names = realArchives();
    assert.equal(names.length, 2, `borg lists two archives: ${names.join(', ')}`);
    assert.equal(names[0], archives[0]);
    archives.push(names[1]!);
    for (const name of archives) assert.match(name, ARCHIVE_NAME);
  });

  it('list shows both archives, also as JSON', () => {
    const text = borgmatic(['--verbosity', '1', 'list']);
    for (const name of archives) assert.match(text.stdout, new RegExp(`^${esc(name)} `, 'm'), `list shows ${name}`);
    const json = JSON.parse(borgmatic(['list', '--json']).stdout) as { archives: { name: string }[] }[];
    assert.equal(json.length, 1, 'one repository');
    assert.deepEqual(json[0]!.archives.map((a) => a.name), archives);
    const items = borgmatic(['--verbosity', '1', 'list', '--archive', 'latest']);
    ranCommand(items.calls, new RegExp(`^list --last 1 --short ${esc(repo)}$`), 'resolving "latest"');
    assert.match(items.stdout, /docs\/added\.txt$/m);
  });

  it("info: the repository summary, and JSON with borg's keys and values", () => {
    const real = JSON.parse(borg(['info', '--json', repo], 'borg info --json').stdout) as Record<string, unknown> & {
      repository: { id: string; location: string }; cache: { stats: unknown }; encryption: unknown;
    };
    const text = borgmatic(['--verbosity', '1', 'info']);
    assert.match(text.stdout, new RegExp(`Repository ID: ${esc(real.repository.id)}`));
    assert.match(text.stdout, /Encrypted: Yes \(repokey BLAKE2b\)/);
    assert.match(text.stdout, /All archives:/);

    const out = borgmatic(['info', '--json']).stdout;
    const parsed = JSON.parse(out) as (typeof real)[];
    assert.equal(parsed.length, 1, 'one repository');
    const ours = parsed[0]!;
    assert.deepEqual(Object.keys(ours).sort(), Object.keys(real).sort(), 'the keys of borg info --json');
    assert.deepEqual(Object.keys(ours).sort(), ['cache', 'encryption', 'repository', 'security_dir']);
    assert.equal(ours.repository.id, real.repository.id);
    assert.equal(ours.repository.location, real.repository.location);
    assert.deepEqual(ours.encryption, real.encryption);
    assert.deepEqual(ours.cache.stats, real.cache.stats, 'the same chunk index statistics as borg');

    const latest = JSON.parse(borgmatic(['info', '--archive', 'latest', '--json']).stdout) as
      { archives: { name: string; stats: { nfiles: number } }[] }[];
    assert.equal(latest[0]!.archives.length, 1);
    assert.equal(latest[0]!.archives[0]!.name, archives[1]);
    assert.ok(latest[0]!.archives[0]!.stats.nfiles >= 6, 'nfiles counts the regular files');
  });

  it('extract --archive latest --destination restores the source tree', () => {
    const dest = box.path('borgmatic-restore');
    mkdirSync(dest);
    const r = borgmatic(['--verbosity', '1', 'extract', '--archive', 'latest', '--destination', dest]);
    ranCommand(r.calls, new RegExp(`^list --last 1 --short ${esc(repo)}$`), 'resolving "latest"');
    ranCommand(r.calls, new RegExp(`^extract .*${esc(repo)}::${esc(archives[1])}$`), 'extract');
    assert.equal(treeDigest(join(dest, relative('/', source))), treeDigest(source), 'restored tree equals the source');
  });

  it('real borg lists, verifies and restores both archives', () => {
    assert.deepEqual(realArchives(), archives);
    borg(['check', '--verify-data', repo], 'borg check --verify-data');
    assert.equal(borgRestore(archives[0]!, 'borg-restore-1'), firstDigest, 'first archive = the tree at the first backup');
    assert.equal(borgRestore(archives[1]!, 'borg-restore-2'), treeDigest(source), 'second archive = the tree now');
  });

  it('prune removes the first archive; compact frees its data', () => {
    const pruned = borgmatic(['--verbosity', '1', 'prune', '--list', '--stats']);
    ranCommand(pruned.calls, new RegExp(`^prune --keep-daily 1 --glob-archives \\{hostname\\}-borgmatic-\\* .*${esc(repo)}$`), 'prune');
    assert.match(pruned.stdout, new RegExp(`Pruning archive.*${esc(archives[0])}`));
    assert.match(pruned.stdout, new RegExp(`Keeping archive.*${esc(archives[1])}`));
    assert.deepEqual(realArchives(), [archives[1]], 'borg lists only the second archive');

    // The replaced 1 MiB file of the first backup is garbage now, a quarter of its segment: over
    // compact's 10 % threshold.
    const beforeCompact = duBytes(join(repo, 'data'));
    const compacted = borgmatic(['--verbosity', '1', 'compact']);
    ranCommand(compacted.calls, new RegExp(`^compact .*${esc(repo)}$`), 'compact');
    const afterCompact = duBytes(join(repo, 'data'));
    assert.ok(afterCompact < beforeCompact - 512 * 1024, `compact freed the pruned data: ${beforeCompact} -> ${afterCompact} bytes`);
    borg(['check', repo], 'borg check after compact');
  });

  it('check runs the repository, archives and extract checks', () => {
    const r = borgmatic(['--verbosity', '1', 'check']);
    ranCommand(r.calls, new RegExp(`^info --json ${esc(repo)}$`), 'repository id lookup');
    // Both checks configured: no --repository-only / --archives-only, only the prefix filter.
    ranCommand(r.calls, new RegExp(`^check --glob-archives \\{hostname\\}-borgmatic-\\* .*${esc(repo)}$`), 'check');
    ranCommand(r.calls, new RegExp(`^extract --dry-run .*${esc(repo)}::${esc(archives[1])}$`), 'extract check');
    const id = (JSON.parse(borg(['info', '--json', repo], 'borg info --json').stdout) as { repository: { id: string } }).repository.id;
    for (const check of ['repository', 'archives', 'extract']) {
      assert.ok(existsSync(box.path('home/.borgmatic/checks', id, check)), `borgmatic recorded the ${check} check under the repository id`);
    }

    const data = borgmatic(['--verbosity', '1', 'check', '--force', '--only', 'data']);
    ranCommand(data.calls, new RegExp(`^check --archives-only --glob-archives \\{hostname\\}-borgmatic-\\* --verify-data .*${esc(repo)}$`), 'data check');
    const repositoryOnly = borgmatic(['--verbosity', '1', 'check', '--force', '--only', 'repository']);
    ranCommand(repositoryOnly.calls, new RegExp(`^check --repository-only .*${esc(repo)}$`), 'repository check');
  });

  it('real borg verifies every chunk and restores the remaining archive at the end', () => {
    assert.deepEqual(realArchives(), [archives[1]]);
    borg(['check', '--verify-data', repo], 'final borg check --verify-data');
    assert.equal(borgRestore(archives[1]!, 'borg-restore-final'), treeDigest(source));
  });
});
