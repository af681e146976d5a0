// The built program as a child process (run `npm run build` first): exit codes, stdout, stderr.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli/main.js');

function borgTs(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('borg-ts binary', () => {
  it('is built', () => {
    assert.ok(existsSync(BIN), `${BIN} is missing; run npm run build`);
  });

  it('prints "borg-ts 1.2.4" for --version and -V, as borgmatic expects', () => {
    for (const flag of ['--version', '-V']) {
      const r = borgTs([flag]);
      assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'borg-ts 1.2.4\n', '']);
      assert.equal(r.stdout.split(' ')[1]?.trim(), '1.2.4');
    }
  });

  it('shows help with exit code 0', () => {
    for (const args of [[], ['help'], ['-h'], ['help', 'help'], ['help', '-h'], ['help', 'placeholders']]) {
      const r = borgTs(args);
      assert.equal(r.code, 0, args.join(' '));
      assert.equal(r.stderr, '');
      assert.ok(r.stdout.length > 100);
    }
    assert.match(borgTs(['help', 'placeholders']).stdout, /\{hostname\}/);
    assert.match(borgTs(['help', 'patterns']).stdout, /pf: +path full match/);
    assert.match(borgTs(['help', 'compression']).stdout, /auto,C\[,L\]/);
  });

  it('fails an unknown command, option or help topic with one line and exit code 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [['nosuchcommand'], /^borg-ts: error: unknown command 'nosuchcommand'\n$/],
      [['--badopt'], /^borg-ts: error: unknown option '--badopt'\n$/],
      [['help', '--badopt'], /^borg-ts help: error: unknown option '--badopt'\n$/],
      [['--lock-wait', 'x', 'help'], /^borg-ts: error: option '--lock-wait <SECONDS>' argument 'x' is invalid\. an integer is required\n$/],
      [['help', 'nosuchtopic'], /^borg-ts help: error: No help available on nosuchtopic\. Commands: .*help.* Topics: .*compression.*patterns.*placeholders\n$/],
    ];
    for (const [args, pattern] of cases) {
      const r = borgTs(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, pattern);
    }
  });

  it('logs the return code with --show-rc, as text or JSON', () => {
    let r = borgTs(['--show-rc', 'help']);
    assert.deepEqual([r.code, r.stderr], [0, 'terminating with success status, rc 0\n']);
    r = borgTs(['help', 'nosuchtopic', '--show-rc']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\nterminating with error status, rc 2\n$/);
    r = borgTs(['--log-json', 'help', '--show-rc', '--show-version']);
    const records = r.stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(records.map((record) => [record['name'], record['levelname'], record['message']]), [
      ['borg.output.show-version', 'INFO', 'borg-ts version 1.2.4'],
      ['borg.output.show-rc', 'INFO', 'terminating with success status, rc 0'],
    ]);
    assert.equal(typeof records[0]!['time'], 'number');
  });

  it('refuses --bypass-lock where borg does', () => {
    const r = borgTs(['--bypass-lock', 'help']);
    assert.deepEqual([r.code, r.stderr], [2, '--bypass-lock is not allowed for this command\n']);
  });

  it('works in a deleted working directory where borg does, and explains itself where it cannot', () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'borg-ts-gone-'));
    try {
      const repo = path.join(parent, 'repo');
      const env = { BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes', BORG_BASE_DIR: path.join(parent, 'base') };
      assert.equal(borgTs(['init', '-e', 'none', repo], env).code, 0);
      // The shell keeps PWD; `env -u PWD` runs without it.
      const inGoneDir = (args: string[], keepPwd = true) => {
        const command = `mkdir gone && cd gone && rmdir ../gone && exec ${keepPwd ? '' : 'env -u PWD '}"$@"`;
        const r = spawnSync('sh', ['-c', command, 'sh', process.execPath, BIN, ...args], { cwd: parent, encoding: 'utf8', env: { ...process.env, ...env } });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
      };
      assert.deepEqual(inGoneDir(['--version']), { code: 0, stdout: 'borg-ts 1.2.4\n', stderr: '' });
      assert.deepEqual(inGoneDir(['list', repo]), { code: 0, stdout: '', stderr: '' });
      const relative = inGoneDir(['list', 'repo']);
      assert.equal(relative.code, 2);
      assert.match(relative.stderr, /^Cannot open repository .*gone\/repo: it does not exist\n$/);
      assert.deepEqual(inGoneDir(['--version'], false), { code: 2, stdout: '', stderr: 'borg-ts: the current working directory does not exist any more\n' });
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
