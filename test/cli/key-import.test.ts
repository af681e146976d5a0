// `borg-ts key import` through the built program: a key file from PATH or stdin, a paper key typed
// line by line on stdin (with a mistyped line asked again), and refusals — another repository's
// key, something that is no key, bad usage — that change nothing.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { RepositorySession } from '../../src/archive/repository-session.js';
import { confirmFromEnv } from '../../src/cache/security-dir.js';
import { parseLocation } from '../../src/remote/location.js';
import { IniFile } from '../../src/repository/ini.js';
import { assertExit, assertOneLineError, Sandbox, treeDigest } from '../interop/tools.js';

/** Opens the repository with the library: the key must unlock and the manifest verify. */
async function assertOpens(box: Sandbox, name: string): Promise<void> {
  const env = { ...box.env };
  const session = await RepositorySession.open(parseLocation(box.path(name), { env }), { env, confirm: confirmFromEnv(env) });
  await session.close();
}

/** Removes the key entry from a repository config; returns the removed value. */
function dropRepokey(path: string): string {
  const config = IniFile.parse(readFileSync(`${path}/config`, 'utf8'));
  const key = config.get('repository', 'key')!;
  config.delete('repository', 'key');
  writeFileSync(`${path}/config`, config.toString());
  return key;
}

/** What a person types for a paper export: each line after its "id:" / " n:" label. */
function typedPaperLines(paper: string): string[] {
  return paper.split('\n').filter((line) => /^\s*(id|\d+):/.test(line)).map((line) => line.slice(line.indexOf(':') + 1).trim());
}

describe('borg-ts key import', () => {
  let box: Sandbox;
  before(() => {
    box = new Sandbox();
    for (const mode of ['repokey', 'keyfile', 'repokey-blake2', 'none']) assertExit(box.borgTs(['init', '-e', mode, mode]), 0, `init ${mode}`);
    for (const mode of ['repokey', 'keyfile']) {
      const r = box.borgTs(['key', 'export', mode, `${mode}.export`]);
      assertExit(r, 0, `export ${mode}`);
    }
    assertExit(box.borgTs(['key', 'export', '--paper', 'repokey', 'repokey.paper']), 0, 'export --paper');
  });
  after(() => box.cleanup());

  it('restores a repokey from a file and from stdin', async () => {
    const key = dropRepokey(box.path('repokey'));
    assertExit(box.borgTs(['key', 'import', 'repokey', 'repokey.export']), 0, 'import from file');
    assert.equal(IniFile.parse(readFileSync(box.path('repokey/config'), 'utf8')).get('repository', 'key'), key);
    await assertOpens(box, 'repokey');

    dropRepokey(box.path('repokey'));
    const r = box.borgTs(['key', 'import', 'repokey', '-'], { input: readFileSync(box.path('repokey.export'), 'utf8') });
    assertExit(r, 0, 'import from stdin');
    await assertOpens(box, 'repokey');
  });

  it('restores a key file into the keys dir, or to BORG_KEY_FILE', async () => {
    const keyFile = box.path('base/.config/borg/keys/keyfile');
    const original = readFileSync(keyFile, 'utf8');
    unlinkSync(keyFile);
    assertExit(box.borgTs(['key', 'import', 'keyfile', 'keyfile.export']), 0, 'import keyfile');
    assert.equal(readFileSync(keyFile, 'utf8'), original);
    await assertOpens(box, 'keyfile');

    const elsewhere = box.path('elsewhere.key');
    assertExit(box.borgTs(['key', 'import', 'keyfile', 'keyfile.export'], { env: box.with({ BORG_KEY_FILE: elsewhere }) }), 0, 'import to BORG_KEY_FILE');
    assert.equal(readFileSync(elsewhere, 'utf8'), original);
  });

  it('takes a paper key typed on stdin, asking again for a mistyped line', async () => {
    dropRepokey(box.path('repokey'));
    const lines = typedPaperLines(readFileSync(box.path('repokey.paper'), 'utf8'));
    const typo = lines[1]!.replace(/^(.)/, (c) => (c === '0' ? '1' : '0'));
    const r = box.borgTs(['key', 'import', '--paper', 'repokey'], { input: [lines[0], typo, ...lines.slice(1)].join('\n') + '\n' });
    assertExit(r, 0, 'import --paper');
    assert.match(r.stdout, /^id:  1: Line checksum did not match, type line 1 again\n 1:  2: /);
    await assertOpens(box, 'repokey');
  });

  it('gives up a paper import at the end of input without changing anything', () => {
    const lines = typedPaperLines(readFileSync(box.path('repokey.paper'), 'utf8'));
    const before = treeDigest(box.dir);
    const r = box.borgTs(['key', 'import', '--paper', 'repokey'], { input: `${lines[0]}\n${lines[1]}\n` });
    assertExit(r, 0, 'aborted paper import');
    assert.match(r.stdout, / - aborted\n$/);
    assert.equal(treeDigest(box.dir), before);
  });

  it("refuses another repository's key, non-keys and bad usage with one line, changing nothing", () => {
    writeFileSync(box.path('garbage'), 'hello\n');
    const before = treeDigest(box.dir);
    const lines = typedPaperLines(readFileSync(box.path('repokey.paper'), 'utf8'));
    const cases: Array<[string[], RegExp, string?]> = [
      [['key', 'import', 'repokey-blake2', 'repokey.export'], /belongs to a different repository/],
      [['key', 'import', 'repokey', 'keyfile.export'], /belongs to a different repository/],
      [['key', 'import', 'repokey-blake2', '--paper'], /belongs to a different repository/, `${lines[0]}\n`],
      [['key', 'import', 'repokey', 'garbage'], /not a borg key backup/],
      [['key', 'import', 'repokey', 'no-such-file'], /no-such-file: the file does not exist/],
      [['key', 'import', 'repokey'], /give the file to import it from/],
      [['key', 'import', '--paper', 'repokey', 'repokey.paper'], /--paper takes no PATH/],
      [['key', 'import', 'none', 'repokey.export'], /unencrypted repository/],
    ];
    for (const [args, pattern, input] of cases) assertOneLineError(box.borgTs(args, input !== undefined ? { input } : {}), pattern, args.join(' '));
    assert.equal(treeDigest(box.dir), before);
    assert.ok(!existsSync(box.path('base/.config/borg/keys/repokey')));
  });
});
