// `borg-ts key export` through the built program: the key file format for repokey and keyfile
// repositories (to stdout, '-' or a file), the paper and HTML formats, and one-line errors for
// repositories without a key to export.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import { IniFile } from '../../src/repository/ini.js';
import { assertExit, assertOneLineError, Sandbox, treeDigest } from '../interop/tools.js';

describe('borg-ts key export', () => {
  let box: Sandbox;
  let repokeyId: string;
  before(() => {
    box = new Sandbox();
    for (const mode of ['repokey', 'keyfile-blake2', 'none']) assertExit(box.borgTs(['init', '-e', mode, mode]), 0, `init ${mode}`);
    repokeyId = IniFile.parse(readFileSync(box.path('repokey/config'), 'utf8')).get('repository', 'id')!;
  });
  after(() => box.cleanup());

  it('exports a repokey as a key file, without the passphrase', () => {
    const env = box.with({ BORG_PASSPHRASE: undefined });
    const config = IniFile.parse(readFileSync(box.path('repokey/config'), 'utf8'));
    const expected = `BORG_KEY ${repokeyId}\n${config.get('repository', 'key')}\n`;
    for (const args of [['repokey'], ['repokey', '-']]) {
      const r = box.borgTs(['key', 'export', ...args], { env });
      assertExit(r, 0, 'key export');
      assert.deepEqual([r.stdout, r.stderr], [expected, '']);
    }
    assertExit(box.borgTs(['key', 'export', 'repokey', 'exported.key'], { env }), 0, 'key export to a file');
    assert.equal(readFileSync(box.path('exported.key'), 'utf8'), expected);
  });

  it('exports a keyfile key exactly as its key file', () => {
    const r = box.borgTs(['key', 'export', 'keyfile-blake2']);
    assertExit(r, 0, 'key export');
    assert.equal(r.stdout, readFileSync(box.path('base/.config/borg/keys/keyfile_blake2'), 'utf8'));
  });

  it('prints a paper key with checksummed lines and an HTML page', () => {
    const paper = box.borgTs(['key', 'export', '--paper', 'repokey']);
    assertExit(paper, 0, 'key export --paper');
    const lines = paper.stdout.split('\n');
    assert.equal(lines[2], 'BORG PAPER KEY v1');
    assert.match(lines[3]!, new RegExp(`^id: \\d+ / ${repokeyId.slice(0, 6)} ${repokeyId.slice(6, 12)} ${repokeyId.slice(12, 18)} / [0-9a-f]{6} [0-9a-f]{6} - [0-9a-f]{2}$`));
    assert.match(lines[4]!, /^ 1: ([0-9a-f]{6} ){5}[0-9a-f]{6} - [0-9a-f]{2}$/);
    const html = box.borgTs(['key', 'export', '--qr-html', 'repokey', 'key.html']);
    assertExit(html, 0, 'key export --qr-html');
    const page = readFileSync(box.path('key.html'), 'utf8');
    assert.match(page, /^<!doctype html>/);
    assert.ok(page.includes(`BORG_KEY ${repokeyId}`));
    assert.ok(page.includes('BORG PAPER KEY v1'));
    assert.match(page, /<div id="qr"><svg [^>]*viewBox="0 0 \d+ \d+"[^>]*>.*<path d="M/s, 'the page embeds the QR code as SVG');
  });

  it('fails with one line and changes nothing when there is no key to export', () => {
    mkdirSync(box.path('a-directory'));
    writeFileSync(box.path('not-a-repo'), 'x');
    const before = treeDigest(box.dir);
    assertOneLineError(box.borgTs(['key', 'export', 'none']), /unencrypted repository/);
    assertOneLineError(box.borgTs(['key', 'export', 'missing']), /^Cannot open repository .*missing: it does not exist$/);
    assertOneLineError(box.borgTs(['key', 'export', 'not-a-repo']), /not a valid borg repository/);
    assertOneLineError(box.borgTs(['key', 'export', 'repokey', 'a-directory']), /must be a file, not a directory/);
    assertOneLineError(box.borgTs(['key', 'export', '--paper', '--qr-html', 'repokey']), /cannot be used with/);
    assert.equal(treeDigest(box.dir), before);
  });

  it('names the missing key file and a key entry missing from the config', () => {
    const keys = box.path('base/.config/borg/keys');
    renameSync(`${keys}/keyfile_blake2`, box.path('moved-away.key'));
    const before = treeDigest(box.dir);
    assertOneLineError(box.borgTs(['key', 'export', 'keyfile-blake2']), /^Cannot find a key file for repository .*keyfile-blake2 in .*keys$/);
    assert.equal(treeDigest(box.dir), before);
    renameSync(box.path('moved-away.key'), `${keys}/keyfile_blake2`);

    const configPath = box.path('repokey/config');
    const original = readFileSync(configPath, 'utf8');
    const config = IniFile.parse(original);
    config.delete('repository', 'key');
    writeFileSync(configPath, config.toString());
    assertOneLineError(box.borgTs(['key', 'export', 'repokey']), /^Cannot find a key entry in the config of repository .*repokey$/);
    writeFileSync(configPath, original);
  });
});
