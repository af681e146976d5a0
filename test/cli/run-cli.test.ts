import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';

import { BorgError, IntegrityError } from '../../src/errors.js';
import { locationArgument, positiveInteger } from '../../src/cli/arg-types.js';
import { defineCommand, type CommandArgs, type RegistryEntry } from '../../src/cli/command.js';
import type { CommandContext } from '../../src/cli/context.js';
import { TerminationSignal } from '../../src/cli/exit-codes.js';
import { runCli } from '../../src/cli/main.js';
import type { Location } from '../../src/remote/location.js';

interface Seen {
  ctx: CommandContext;
  args: CommandArgs;
}

let seen: Seen | undefined;
let behaviour: (ctx: CommandContext) => Promise<number | void> | number | void = () => {};

const probe = defineCommand<{ location: Location; paths: string[]; json: boolean }>({
  name: 'probe',
  summary: 'a command for tests',
  epilog: 'Long text about probing.',
  bypassLock: true,
  arguments: [
    locationArgument({ metavar: 'REPOSITORY_OR_ARCHIVE', description: 'repository or archive', archive: 'optional', optional: true }),
    { name: 'paths', metavar: 'PATH', description: 'paths', variadic: true },
  ],
  options: [
    { flags: '--json', description: 'JSON output' },
    { flags: '--json-lines', description: 'JSON lines output' },
    { flags: '--sort-by <KEYS>', description: 'sort keys', default: 'timestamp' },
    { flags: '-e, --exclude <PATTERN>', description: 'exclude', repeatable: true },
    { flags: '--format <FORMAT>', description: 'format', key: 'formatText' },
    { flags: '--compression <C>', description: 'compression', choices: ['lz4', 'zstd'] },
    { flags: '--first <N>', description: 'first', parse: positiveInteger, conflicts: ['last'] },
    { flags: '--last <N>', description: 'last', parse: positiveInteger },
    { flags: '--numeric-owner', description: 'old spelling', deprecated: 'Warning: "--numeric-owner" is deprecated, use --numeric-ids instead' },
  ],
  handler(ctx, args) {
    seen = { ctx, args };
    return behaviour(ctx);
  },
});

const writer = defineCommand({ name: 'writer', summary: 'changes things', handler: () => {} });
const keyExport = defineCommand({
  name: 'key export', summary: 'export the key',
  arguments: [
    locationArgument({ metavar: 'REPOSITORY', description: 'repository', archive: 'forbidden', optional: true }),
    { name: 'path', metavar: 'PATH', description: 'where to', required: false },
  ],
  handler(ctx, args) {
    seen = { ctx, args };
  },
});
const REGISTRY: RegistryEntry[] = [probe, writer, { group: true, name: 'key', summary: 'manage keys' }, keyExport];

/** Runs in-process; BORG_REPO is set unless the test passes its own env. */
async function run(argv: string[], options: { env?: Record<string, string>; stdin?: string; signal?: AbortSignal } = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  seen = undefined;
  const code = await runCli(argv, {
    env: options.env ?? { BORG_REPO: '/default/repo' }, cwd: '/base',
    stdout: { write: (chunk) => stdout.push(String(chunk)) },
    stderr: { write: (chunk) => stderr.push(String(chunk)) },
    ...(options.stdin !== undefined ? { stdin: Readable.from([options.stdin]) } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  }, REGISTRY);
  // `seen` is set by the handler, which the compiler cannot see from here.
  return { code, stdout: stdout.join(''), stderr: stderr.join(''), seen: seen as Seen | undefined };
}

describe('runCli', () => {
  const originalUmask = process.umask(0o022);
  process.umask(originalUmask);
  after(() => {
    process.umask(originalUmask);
    behaviour = () => {};
  });

  it('parses arguments and options into the handler args', async () => {
    const r = await run(['probe', '/r::arch', 'a', 'b', '--json', '-e', 'x', '--exclude=y', '--format', '{path}', '--first', '3']);
    assert.equal(r.code, 0);
    const args = r.seen!.args;
    assert.equal((args['location'] as Location).archive, 'arch');
    assert.deepEqual(args['paths'], ['a', 'b']);
    assert.equal(args['json'], true);
    assert.equal(args['jsonLines'], false);
    assert.equal(args['sortBy'], 'timestamp');
    assert.deepEqual(args['exclude'], ['x', 'y']);
    assert.equal(args['formatText'], '{path}');
    assert.equal(args['first'], 3);
    assert.equal(args['compression'], undefined);
  });

  it('takes the repository from BORG_REPO when the location is omitted or "::"', async () => {
    assert.equal(((await run(['probe'], { env: { BORG_REPO: '/env/r' } })).seen!.args['location'] as Location).path, '/env/r');
    const r = await run(['probe', '::a1'], { env: { BORG_REPO: 'h:r' } });
    assert.equal((r.seen!.args['location'] as Location).canonicalPath(), 'ssh://h/./r');
    assert.equal((r.seen!.args['location'] as Location).archive, 'a1');
  });

  it('resolves common options with the most specific level winning', async () => {
    let r = await run(['probe']);
    assert.equal(r.seen!.ctx.common.logLevel, 'warning');
    assert.equal(r.seen!.ctx.common.lockWait, 1);
    assert.equal(r.seen!.ctx.common.umask, 0o077);
    r = await run(['--debug', '--lock-wait', '5', '--debug-topic', 'a', 'probe', '--info', '--lock-wait=7', '--debug-topic', 'b.c', '--umask', '0022']);
    assert.equal(r.seen!.ctx.common.logLevel, 'info');
    assert.equal(r.seen!.ctx.common.lockWait, 7);
    assert.deepEqual(r.seen!.ctx.common.debugTopics, ['a', 'b.c']);
    assert.equal(r.seen!.ctx.common.umask, 0o022);
    r = await run(['--info', 'key', '--debug', 'export', '-p']);
    assert.equal(r.seen!.ctx.common.logLevel, 'debug');
    assert.equal(r.seen!.ctx.common.progress, true);
    r = await run(['-vp', 'probe', '--verbose', '--critical']);
    assert.equal(r.seen!.ctx.common.logLevel, 'critical');
  });

  it('expands unambiguous prefixes of long options like argparse', async () => {
    const r = await run(['--show-v', 'probe', '--sort', 'name', '--json-l', '--exc=z']);
    assert.equal(r.code, 0);
    assert.equal(r.seen!.args['sortBy'], 'name');
    assert.equal(r.seen!.args['jsonLines'], true);
    assert.equal(r.seen!.ctx.common.showVersion, true);
    assert.deepEqual(r.seen!.args['exclude'], ['z']);
    const ambiguous = await run(['probe', '--js']);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /^borg-ts probe: error: ambiguous option: --js could match --json, --json-lines\n$/);
  });

  it('reports bad usage in one line with exit code 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['nope'], /^borg-ts: error: unknown command 'nope'/],
      [['probe', '--bogus'], /^borg-ts probe: error: unknown option '--bogus'/],
      [['probe', '/r::a/b'], /^borg-ts probe: error: command-argument value '\/r::a\/b' is invalid for argument 'REPOSITORY_OR_ARCHIVE'\. Invalid location format: "\/r::a\/b"/],
      [['probe', '--compression', 'lzma'], /Allowed choices are lz4, zstd/],
      [['probe', '--first', '1', '--last', '2'], /cannot be used with option '--last <N>'/],
      [['probe', '/r', '--first', '0'], /argument '0' is invalid\. A positive integer is required: 0/],
      [['probe', '/r', '--last', 'x'], /argument 'x' is invalid\. invalid int value: 'x'/],
      [['key', 'export', '/r::a'], /^borg-ts key export: error: command-argument value '\/r::a' is invalid for argument 'REPOSITORY'\. "\/r::a": No archive can be specified/],
      [['--lock-wait', 'soon', 'probe'], /^borg-ts: error: option '--lock-wait <SECONDS>' argument 'soon' is invalid/],
      [['--umask', '999', 'probe'], /argument '999' is invalid/],
      [['key', 'nope'], /^borg-ts key: error: unknown command 'nope'/],
      [['probe'], /^borg-ts probe: error: command-argument value '' is invalid/],
    ];
    for (const [argv, pattern] of cases) {
      const r = await run(argv, { env: {} });
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.stderr, pattern, argv.join(' '));
      assert.equal(r.stderr.split('\n').length, 2, `one line for ${argv.join(' ')}: ${r.stderr}`);
      assert.equal(r.seen, undefined);
    }
  });

  it('prints a placeholder error plainly and with its modern exit code', async () => {
    let r = await run(['probe', '/r::{nope}']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'Invalid placeholder "nope" in: /r::{nope}\n');
    r = await run(['probe', '/r::{nope}'], { env: { BORG_EXIT_CODES: 'modern' } });
    assert.equal(r.code, 6);
  });

  it('prints help and the version with exit code 0', async () => {
    let r = await run(['probe', '-h']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: borg-ts probe \[options\] \[REPOSITORY_OR_ARCHIVE\] \[PATH\.\.\.\]/);
    assert.match(r.stdout, /Long text about probing\./);
    r = await run(['key']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: borg-ts key \[options\] \[command\]/);
    r = await run([]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: borg-ts \[options\] \[command\]/);
    r = await run(['-V']);
    assert.deepEqual([r.code, r.stdout], [0, 'borg-ts 1.2.4\n']);
  });

  it('prints deprecation notices on stderr', async () => {
    const r = await run(['--remote-ratelimit', '100', 'probe', '--numeric-owner', '--remote-buffer=5']);
    assert.equal(r.code, 0);
    assert.equal(r.seen!.ctx.common.uploadRatelimit, 100);
    assert.equal(r.seen!.ctx.common.uploadBuffer, 5);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      'Warning: "--remote-ratelimit" is deprecated, use --upload-ratelimit instead',
      'Warning: "--numeric-owner" is deprecated, use --numeric-ids instead',
      'Warning: "--remote-buffer" is deprecated, use --upload-buffer instead',
    ]);
  });

  it('refuses --bypass-lock for commands that do not allow it', async () => {
    assert.equal((await run(['--bypass-lock', 'probe'])).code, 0);
    const r = await run(['writer', '--bypass-lock', '--show-rc']);
    assert.deepEqual([r.code, r.stderr], [2, '--bypass-lock is not allowed for this command\n']);
  });

  it('turns warnings into exit code 1, or their specific code under BORG_EXIT_CODES=modern', async () => {
    behaviour = (ctx) => ctx.warnings.warn({ code: 'FileChangedWarning', message: 'x: file changed while we backed it up' });
    let r = await run(['probe', '/r', '--show-rc']);
    assert.deepEqual([r.code, r.stderr], [1, 'x: file changed while we backed it up\nterminating with warning status, rc 1\n']);
    r = await run(['probe', '/r'], { env: { BORG_EXIT_CODES: 'modern' } });
    assert.equal(r.code, 100);
    behaviour = (ctx) => {
      ctx.warnings.warn({ code: 'FileChangedWarning', message: 'a' });
      ctx.warnings.warn({ code: 'BackupOSError', message: 'b' });
    };
    r = await run(['probe', '/r'], { env: { BORG_EXIT_CODES: 'modern' } });
    assert.equal(r.code, 1);
    behaviour = (ctx) => {
      ctx.warnings.warnText('w');
      return 2;
    };
    assert.equal((await run(['probe', '/r'])).code, 2);
  });

  it('prints errors once, with legacy or modern exit codes', async () => {
    behaviour = () => {
      throw new BorgError('Failed to create/acquire the lock /r/lock (timeout)', { code: 'LockTimeout' });
    };
    let r = await run(['probe', '/r']);
    assert.deepEqual([r.code, r.stderr], [2, 'Failed to create/acquire the lock /r/lock (timeout)\n']);
    r = await run(['probe', '/r', '--log-json', '--show-rc'], { env: { BORG_EXIT_CODES: 'modern' } });
    assert.equal(r.code, 73);
    const [error, rc] = r.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(error!['msgid'], 'LockTimeout');
    assert.equal(error!['levelname'], 'ERROR');
    assert.equal(rc!['message'], 'terminating with error status, rc 73');
    behaviour = () => {
      throw Object.assign(new BorgError('Archive x does not exist', { code: 'DoesNotExist' }), { msgid: 'Archive.DoesNotExist' });
    };
    assert.equal((await run(['probe', '/r'], { env: { BORG_EXIT_CODES: 'modern' } })).code, 31);
    behaviour = () => {
      throw new IntegrityError('bad MAC', { code: 'SomeIntegrityProblem' });
    };
    assert.equal((await run(['probe', '/r'], { env: { BORG_EXIT_CODES: 'modern' } })).code, 90);
  });

  it('reports other exceptions as "Local Exception", with the trace only under --debug', async () => {
    behaviour = () => {
      throw new TypeError('boom');
    };
    let r = await run(['probe', '/r']);
    assert.deepEqual([r.code, r.stderr], [2, 'Local Exception: TypeError: boom\n']);
    r = await run(['probe', '/r', '--debug']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Local Exception: TypeError: boom\nTypeError: boom\n {4}at /);
  });

  for (const [name, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`ends with ${code} after ${name}`, async () => {
      const controller = new AbortController();
      behaviour = (ctx) => new Promise((_, reject) => {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        controller.abort(new TerminationSignal(name));
      });
      const r = await run(['probe', '/r', '--show-rc'], { signal: controller.signal });
      assert.equal(r.code, code);
      assert.match(r.stderr, new RegExp(`\\nterminating with signal status, rc ${code}\\n$`));
    });
  }

  it('logs --show-version and --show-rc even at the default level', async () => {
    behaviour = () => {};
    const r = await run(['--show-version', 'probe', '/r', '--show-rc', '--critical']);
    assert.equal(r.stderr, 'borg-ts version 1.2.4\nterminating with success status, rc 0\n');
  });

  it('answers prompts from the environment or stdin', async () => {
    let answer: boolean | undefined;
    const ask = { message: 'Really? ', envVar: 'BORG_CHECK_I_KNOW_WHAT_I_AM_DOING', truish: ['YES'], retry: false, falseMessage: 'Aborting.', invalidMessage: 'Invalid answer, aborting.' };
    behaviour = async (ctx) => {
      answer = await ctx.yes(ask);
    };
    let r = await run(['probe', '/r'], { env: { BORG_CHECK_I_KNOW_WHAT_I_AM_DOING: 'YES' } });
    assert.deepEqual([answer, r.stderr], [true, 'Really? YES (from BORG_CHECK_I_KNOW_WHAT_I_AM_DOING)\n']);
    r = await run(['probe', '/r'], { stdin: 'yes\n' });
    assert.deepEqual([answer, r.stderr], [false, 'Really? Invalid answer, aborting.\n']);
    r = await run(['probe', '/r'], { stdin: 'n\n' });
    assert.deepEqual([answer, r.stderr], [false, 'Really? Aborting.\n']);
    r = await run(['probe', '/r'], { stdin: 'YES\nmore' });
    assert.equal(answer, true);
    r = await run(['probe', '/r']);
    assert.equal(answer, false); // end of input: the default
    r = await run(['probe', '/r', '--log-json'], { env: { BORG_CHECK_I_KNOW_WHAT_I_AM_DOING: 'YES' } });
    assert.deepEqual(r.stderr.trim().split('\n').map((line) => JSON.parse(line) as unknown), [
      { type: 'question_prompt', msgid: 'BORG_CHECK_I_KNOW_WHAT_I_AM_DOING', message: 'Really? ' },
      { env_var: 'BORG_CHECK_I_KNOW_WHAT_I_AM_DOING', type: 'question_env_answer', msgid: 'BORG_CHECK_I_KNOW_WHAT_I_AM_DOING', message: 'YES (from BORG_CHECK_I_KNOW_WHAT_I_AM_DOING)' },
    ]);
  });

  it('shows progress only with --progress', async () => {
    behaviour = (ctx) => ctx.progress.emit({ type: 'progress_message', operation: 1, msgid: 'cache.sync', finished: false, message: 'Syncing' });
    assert.equal((await run(['probe', '/r'])).stderr, '');
    const r = await run(['probe', '/r', '--progress', '--log-json']);
    assert.match(r.stderr, /^\{"message": "Syncing", "operation": 1, "msgid": "cache.sync", "type": "progress_message", "finished": false, "time": [\d.]+\}\n$/);
  });

  it('writes JSON like borg json_print', async () => {
    behaviour = (ctx) => ctx.printJson({ b: 1, a: ['é'] });
    assert.equal((await run(['probe', '/r'])).stdout, '{\n    "a": [\n        "\\u00e9"\n    ],\n    "b": 1\n}\n');
  });

  it('writes a CPU profile with --debug-profile', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'borg-ts-profile-'));
    const file = path.join(dir, 'run.cpuprofile');
    behaviour = () => {};
    try {
      assert.equal((await run(['probe', '/r', '--debug-profile', file])).code, 0);
      const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: unknown[] };
      assert.ok(profile.nodes.length > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
