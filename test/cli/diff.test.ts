// `borg-ts diff` (the built bin) against real borg 1.2.4 on archives real borg made of a tree before
// and after changes of every kind: same lines, same JSON lines, same exit codes and warnings.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, linkSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { borgEnv, makeTempDir, removeTemp, runBorg } from '../repository/repo-fixtures.js';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../dist/cli/main.js');

describe('borg-ts diff', () => {
  let tmp: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const ours = (args: string[]) => spawnSync(process.execPath, [BIN, 'diff', ...args], { env, encoding: 'utf8' });
  const theirs = (args: string[]) => runBorg(['diff', ...args], env);
  const borg = (args: string[]) => {
    const r = runBorg(args, env, tmp);
    assert.equal(r.status, 0, r.stderr);
  };

  before(() => {
    tmp = makeTempDir();
    repo = join(tmp, 'repo');
    env = { ...borgEnv(tmp), TZ: 'UTC' };
    borg(['init', '--encryption', 'repokey-blake2', repo]);
    const t = (p: string) => join(tmp, 't', p);
    mkdirSync(t('sub'), { recursive: true });
    mkdirSync(t('gone-dir'));
    writeFileSync(t('a.txt'), 'hello\n');
    writeFileSync(t('big.bin'), Buffer.alloc(300_000, 7).map((_, i) => (i * 7919) % 251));
    writeFileSync(t('same.txt'), 'same\n');
    writeFileSync(t('removed.txt'), 'rm\n');
    writeFileSync(t('mode.txt'), 'm\n');
    writeFileSync(t('own.txt'), 'own\n');
    writeFileSync(t('sub/f'), 'x\n');
    symlinkSync('a.txt', t('link'));
    symlinkSync('same.txt', t('link2'));
    linkSync(t('a.txt'), t('hl'));
    spawnSync('mkfifo', [t('fifo')]);
    borg(['create', `${repo}::a1`, 't']);

    appendFileSync(t('a.txt'), 'world\n');
    appendFileSync(t('big.bin'), Buffer.alloc(70_000, 1));
    rmSync(t('link'));
    symlinkSync('same.txt', t('link'));
    rmSync(t('removed.txt'));
    writeFileSync(t('added.txt'), 'new\n');
    chmodSync(t('mode.txt'), 0o600);
    rmSync(t('gone-dir'), { recursive: true });
    mkdirSync(t('new-dir'));
    rmSync(t('fifo'));
    writeFileSync(t('fifo'), 'now a file\n');
    rmSync(t('link2'));
    writeFileSync(t('link2'), 'now a file\n');
    chownSync(t('own.txt'), 1000, 1000);
    borg(['create', `${repo}::a2`, 't']);
    borg(['create', '--chunker-params', 'buzhash,10,16,12,4095', `${repo}::a3`, 't']);
  });
  after(() => removeTemp(tmp));

  it('prints the same lines and JSON lines as borg', () => {
    for (const options of [[], ['--sort'], ['--json-lines'], ['--sort', '--json-lines'], ['--content-only'], ['--same-chunker-params']]) {
      const args = [...options, `${repo}::a1`, 'a2'];
      const [a, b] = [ours(args), theirs(args)];
      assert.deepEqual([a.status, a.stderr], [0, ''], args.join(' '));
      assert.equal(a.stdout, b.stdout, args.join(' '));
    }
    const lines = ours([`${repo}::a1`, 'a2']).stdout;
    for (const expected of ['changed link', 'added directory', 'removed directory', '[prw-r--r-- -> -rw-r--r--]', '[-rw-r--r-- -> -rw-------]', 'added           4 B', '+370.0 kB']) {
      assert.ok(lines.includes(expected), `${expected} in\n${lines}`);
    }
  });

  it('selects paths like borg and warns about patterns that never matched', () => {
    for (const args of [[`${repo}::a1`, 'a2', 't/sub', 't/big.bin'], [`${repo}::a1`, 'a2', '-e', 't/*.txt'], [`${repo}::a2`, 'a1', 't/nonexistent', 't/own.txt']]) {
      const [a, b] = [ours(args), theirs(args)];
      assert.deepEqual([a.status, a.stdout, a.stderr], [b.status, b.stdout, b.stderr], args.join(' '));
    }
  });

  it('compares contents byte by byte when the chunker params differ, with borg\'s warning', () => {
    for (const args of [[`${repo}::a2`, 'a3'], [`${repo}::a1`, 'a3', '--json-lines']]) {
      const [a, b] = [ours(args), theirs(args)];
      assert.deepEqual([a.status, a.stdout, a.stderr], [b.status, b.stdout, b.stderr], args.join(' '));
      assert.equal(a.status, 1);
    }
  });

  it('compares numeric owners with --numeric-ids (borg 1.2 ignores the option)', () => {
    const r = ours(['--numeric-ids', `${repo}::a1`, 'a2', 't/own.txt']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\[0:0 -> 1000:1000\]/);
    assert.match(ours([`${repo}::a1`, 'a2', 't/own.txt']).stdout, /\[root:root -> [^\]]+\]/);
  });

  it('fails like borg for a missing archive or an invalid ARCHIVE2', () => {
    for (const args of [[`${repo}::a1`, 'nosuch'], [`${repo}::a1`, 'a/b']]) {
      const [a, b] = [ours(args), theirs(args)];
      assert.equal(a.status, b.status);
      assert.equal(a.status, 2);
      assert.equal(a.stderr.trim().split('\n').length, 1, a.stderr);
    }
  });
});
