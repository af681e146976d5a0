import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  NoPassphraseFailure,
  PasscommandFailure,
  PassphraseWrong,
  PasswordRetriesExceeded,
} from '../../src/crypto/errors.js';
import {
  envPassphrase,
  newPassphrase,
  offerPassphraseDisplay,
  unlockWithPassphrase,
  type PassphraseOptions,
} from '../../src/crypto/passphrase.js';
import { shlexSplit, ShlexError } from '../../src/crypto/shlex.js';

/** A scripted user: answers prompts in order and records what was asked and printed. */
function scripted(answers: Array<string | null>, env: Record<string, string> = {}) {
  const asked: Array<[string, boolean]> = [];
  const printed: string[] = [];
  const options: PassphraseOptions = {
    env,
    prompt: async (message, { hidden }) => {
      asked.push([message, hidden]);
      if (answers.length === 0) throw new Error(`unexpected prompt '${message}'`);
      return answers.shift()!;
    },
    print: (line) => printed.push(line),
  };
  return { options, asked, printed };
}

/** A key whose passphrase is `secret`; counts attempts. */
function lockedKey(secret: string) {
  const tried: string[] = [];
  const attempt = (p: string): string | null => {
    tried.push(p);
    return p === secret ? 'opened' : null;
  };
  return { attempt, tried };
}

const tmp = mkdtempSync(join(tmpdir(), 'borg-ts-pass-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('envPassphrase()', () => {
  it('prefers BORG_PASSPHRASE, then BORG_PASSCOMMAND, then BORG_PASSPHRASE_FD', () => {
    const fdFile = join(tmp, 'fd-pass');
    writeFileSync(fdFile, 'from fd\n\n');
    const env = { BORG_PASSPHRASE: 'direct', BORG_PASSCOMMAND: 'printf "from command\\n"', BORG_PASSPHRASE_FD: '999' };
    assert.equal(envPassphrase({ env }), 'direct');
    assert.equal(envPassphrase({ env: { ...env, BORG_PASSPHRASE: '' } }), '', 'an empty BORG_PASSPHRASE counts as set');
    const { BORG_PASSPHRASE: _, ...noDirect } = env;
    assert.equal(envPassphrase({ env: noDirect }), 'from command');
    const fd = openSync(fdFile, 'r');
    assert.equal(envPassphrase({ env: { BORG_PASSPHRASE_FD: ` ${fd} ` } }), 'from fd');
    assert.equal(envPassphrase({ env: { BORG_PASSPHRASE_FD: 'x' } }), null);
    assert.equal(envPassphrase({ env: {} }), null);
  });

  it('runs BORG_PASSCOMMAND without a shell and strips trailing newlines only', () => {
    const script = join(tmp, 'pass.sh');
    writeFileSync(script, '#!/bin/sh\nprintf "  spaced pass \\r\\n\\n"\n', { mode: 0o755 });
    assert.equal(envPassphrase({ env: { BORG_PASSCOMMAND: `'${script}'` } }), '  spaced pass ');
    // No shell: '$HOME' and '|' reach the program literally.
    assert.equal(envPassphrase({ env: { BORG_PASSCOMMAND: "echo '$HOME' '|' x" } }), '$HOME | x');
    const seen: string[][] = [];
    envPassphrase({ env: { BORG_PASSCOMMAND: 'pass show "borg/my repo"' }, runCommand: (argv) => (seen.push(argv), { status: 0, stdout: 'p\n' }) });
    assert.deepEqual(seen, [['pass', 'show', 'borg/my repo']]);
  });

  it('turns a failing or missing command into PasscommandFailure', () => {
    for (const command of ['false', '/nonexistent/borg-ts-pass', 'echo "unclosed', '   ']) {
      assert.throws(() => envPassphrase({ env: { BORG_PASSCOMMAND: command } }), PasscommandFailure, command);
    }
  });
});

describe('unlockWithPassphrase()', () => {
  it('gives a passphrase from the environment exactly one chance', async () => {
    const key = lockedKey('secret');
    const ok = await unlockWithPassphrase(key.attempt, 'Enter passphrase: ', scripted([], { BORG_PASSPHRASE: 'secret' }).options);
    assert.deepEqual(ok, { value: 'opened', passphrase: 'secret' });
    const user = scripted([], { BORG_PASSPHRASE: 'wrong' });
    await assert.rejects(unlockWithPassphrase(key.attempt, 'Enter passphrase: ', user.options), PassphraseWrong);
    assert.equal(user.asked.length, 0);
  });

  it('tries the empty passphrase silently before asking', async () => {
    const empty = lockedKey('');
    const user = scripted([]);
    assert.deepEqual(await unlockWithPassphrase(empty.attempt, 'Enter passphrase: ', user.options), { value: 'opened', passphrase: '' });
    assert.equal(user.asked.length, 0);
  });

  it('asks on the terminal with hidden input, three times at most', async () => {
    const key = lockedKey('secret');
    const user = scripted(['a', 'b', 'secret']);
    assert.equal((await unlockWithPassphrase(key.attempt, 'Enter passphrase for key x: ', user.options)).passphrase, 'secret');
    assert.deepEqual(key.tried, ['', 'a', 'b', 'secret']);
    assert.deepEqual(user.asked[0], ['Enter passphrase for key x: ', true]);
    await assert.rejects(unlockWithPassphrase(lockedKey('secret').attempt, 'p: ', scripted(['a', 'b', 'c']).options), PasswordRetriesExceeded);
  });

  it('reports a missing terminal as NoPassphraseFailure', async () => {
    const user = scripted([null], { BORG_PASSCOMMAND: 'true' });
    user.options.env = {};
    await assert.rejects(unlockWithPassphrase(lockedKey('x').attempt, 'p: ', user.options), (e: unknown) => {
      return e instanceof NoPassphraseFailure && /BORG_PASSPHRASE is not set\. BORG_PASSCOMMAND is not set\./.test(e.message);
    });
  });
});

describe('newPassphrase()', () => {
  it('takes BORG_NEW_PASSPHRASE first, then the other environment sources', async () => {
    assert.equal(await newPassphrase(scripted([], { BORG_NEW_PASSPHRASE: 'new', BORG_PASSPHRASE: 'old' }).options), 'new');
    assert.equal(await newPassphrase(scripted([], { BORG_PASSPHRASE: 'old' }).options), 'old');
  });

  it('asks twice, insists on a match and (unless allowed) a non-empty passphrase', async () => {
    const user = scripted(['', 'one', 'two', 'good', 'good', 'n']);
    assert.equal(await newPassphrase(user.options), 'good');
    assert.deepEqual(user.printed, ['Passphrase must not be blank', 'Passphrases do not match']);
    assert.deepEqual(user.asked.map((a) => a[1]), [true, true, true, true, true, false]);
    const empty = scripted(['', '', 'n']);
    assert.equal(await newPassphrase({ ...empty.options, allowEmpty: true }), '');
    await assert.rejects(newPassphrase(scripted(Array(20).fill('')).options), PasswordRetriesExceeded);
  });

  it('shows the passphrase when BORG_DISPLAY_PASSPHRASE or the user says yes', async () => {
    const shown = scripted(['pässword', 'pässword'], { BORG_DISPLAY_PASSPHRASE: 'y' });
    await newPassphrase(shown.options);
    assert.ok(shown.printed.some((l) => l.includes('"pässword"')));
    assert.ok(shown.printed.some((l) => l.includes('70c3a4737377')), 'non-ASCII passphrases are also shown as UTF-8 hex');
    const declined = scripted([], { BORG_DISPLAY_PASSPHRASE: 'no' });
    await offerPassphraseDisplay('x', declined.options);
    assert.ok(!declined.printed.some((l) => l.includes('"x"')));
    const invalid = scripted(['maybe', 'Yes'], { BORG_DISPLAY_PASSPHRASE: 'perhaps' });
    await offerPassphraseDisplay('x', invalid.options);
    assert.ok(invalid.printed.some((l) => l.includes('"x"')));
    assert.equal(invalid.asked.length, 2, 'an invalid environment answer falls back to asking');
  });
});

describe('shlexSplit()', () => {
  const cases = [
    'pass show borg',
    `a 'b c' "d e" f\\ g`,
    `"a\\"b" 'it'"'"'s' "x\\ny" "\\\\"`,
    `  lead   trail  `,
    `a''b "" ''`,
    `x\\\\y \\'q\\' "$HOME" 'tab\there'`,
    `mixed"dq"'sq'end`,
  ];

  it('splits like Python shlex.split()', (t) => {
    const python = spawnSync('python3', ['-c', 'import json,shlex,sys; print(json.dumps([shlex.split(c) for c in json.load(sys.stdin)]))'], {
      input: JSON.stringify(cases),
      encoding: 'utf8',
    });
    if (python.status !== 0) return t.skip('no python3 on this machine');
    const expected = JSON.parse(python.stdout) as string[][];
    cases.forEach((c, i) => assert.deepEqual(shlexSplit(c), expected[i], c));
  });

  it('refuses unbalanced quotes and a trailing backslash', () => {
    for (const bad of [`'open`, `"open`, `end\\`, `"x\\`]) assert.throws(() => shlexSplit(bad), ShlexError, bad);
  });
});

describe('ttyPrompt() without a terminal', () => {
  it('reads a line from stdin, and reports end of input as null', (t) => {
    if (spawnSync('setsid', ['true']).status !== 0) return t.skip('no setsid on this machine');
    const module = new URL('../../src/crypto/tty-prompt.ts', import.meta.url).href;
    const code = `const { ttyPrompt } = await import(${JSON.stringify(module)});
console.log(JSON.stringify([await ttyPrompt('P: ', { hidden: true }), await ttyPrompt('Q: ', { hidden: false }), await ttyPrompt('R: ', { hidden: true })]));`;
    // setsid detaches from any controlling terminal, so /dev/tty cannot be opened.
    const r = spawnSync('setsid', [process.execPath, '--import', 'tsx', '--input-type=module', '-e', code], { input: 'secret\r\nvisible\n', encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ['secret', 'visible', null]);
    assert.match(r.stderr, /may be echoed/);
  });
});
