import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InvalidPaperKey, RepoIdMismatch } from '../../src/crypto/errors.js';
import { keyBlobFromText, keyBlobToText } from '../../src/crypto/key-blob.js';
import { parseKeyFile } from '../../src/crypto/key-file.js';
import { renderKeyHtml } from '../../src/crypto/paper-html.js';
import { formatPaperKey, PaperKeyReader, parsePaperKey } from '../../src/crypto/paper.js';
import { REPOS_DIR } from './fixtures.js';

const keyText = readFileSync(join(REPOS_DIR, 'repo-keyfile-blake2.key'), 'utf8');
const { repositoryId, blobText } = parseKeyFile(keyText);
const blob = keyBlobFromText(blobText);

describe('formatPaperKey()', () => {
  const paper = formatPaperKey(blob, repositoryId);
  const lines = paper.split('\n');

  it('writes the header, the id line and checksummed 18-byte lines', () => {
    assert.equal(lines[0], 'To restore key use borg key import --paper /path/to/repo');
    assert.equal(lines[2], 'BORG PAPER KEY v1');
    const count = Math.ceil(blob.length / 18);
    const total = createHash('sha256').update(blob).digest('hex').slice(0, 12);
    const repo18 = repositoryId.toString('hex').slice(0, 18);
    const idSum = createHash('sha256').update(`${count}/${repo18}/${total}`).digest('hex').slice(0, 2);
    assert.equal(lines[3], `id: ${count} / ${repo18.slice(0, 6)} ${repo18.slice(6, 12)} ${repo18.slice(12)} / ${total.slice(0, 6)} ${total.slice(6)} - ${idSum}`);
    assert.equal(lines.length, 4 + count + 1);
    assert.match(lines[4]!, /^ 1: ([0-9a-f]{6} ){5}[0-9a-f]{6} - [0-9a-f]{2}$/);
    assert.match(lines[4 + count - 1]!, new RegExp(`^${count}: `));
    assert.equal(lines.at(-1), '');
  });

  it('parses back to the same blob', () => {
    assert.deepEqual(parsePaperKey(paper, repositoryId), blob);
  });
});

describe('PaperKeyReader', () => {
  const paper = formatPaperKey(blob, repositoryId);
  const typed = paper
    .split('\n')
    .filter((l) => /^\s*(id|\d+):/.test(l))
    .map((l) => l.slice(l.indexOf(':') + 1));

  it('accepts typed lines with any spacing and upper-case hex, and rebuilds the key text', () => {
    const reader = new PaperKeyReader(repositoryId);
    assert.equal(reader.label, 'id');
    let last;
    for (const line of typed) last = reader.feed(line.toUpperCase().replace(/ /g, '  '));
    assert.ok(last && last.status === 'done');
    assert.deepEqual(last.blob, blob);
    assert.equal(last.blobText, `${keyBlobToText(blob)}\n`);
  });

  it('asks again for a mistyped line and starts over after a wrong overall checksum', () => {
    const reader = new PaperKeyReader(repositoryId);
    assert.equal(reader.feed(typed[0]!.replace(/ - (..)$/, ' - 00')).status, 'retry');
    assert.equal(reader.feed('no dash here').status, 'retry');
    assert.equal(reader.feed(typed[0]!).status, 'accepted');
    assert.equal(reader.label, ' 1');
    const flipped = typed[1]!.replace(/^(\s*)(.)/, (_, s: string, c: string) => s + (c === '0' ? '1' : '0'));
    assert.equal(reader.feed(flipped).status, 'retry');
    assert.equal(reader.feed('zz - 00').status, 'retry');
    assert.equal(reader.feed(typed[1]!).status, 'accepted');
    assert.equal(reader.label, ' 2');

    // A paper key for another blob of the same repository: lines verify, the total does not.
    const other = Buffer.from(blob);
    other[blob.length - 1]! ^= 1;
    const otherTyped = formatPaperKey(other, repositoryId).split('\n').filter((l) => /^\s*(id|\d+):/.test(l)).map((l) => l.slice(l.indexOf(':') + 1));
    const mixed = new PaperKeyReader(repositoryId);
    mixed.feed(typed[0]!);
    for (const line of otherTyped.slice(1, -1)) assert.equal(mixed.feed(line).status, 'accepted');
    const r = mixed.feed(otherTyped.at(-1)!);
    assert.equal(r.status, 'restart');
    assert.equal(mixed.label, 'id');
  });

  it('refuses a paper key of another repository', () => {
    const other = Buffer.from(repositoryId);
    other[0]! ^= 0xff;
    assert.throws(() => new PaperKeyReader(other).feed(typed[0]!), RepoIdMismatch);
    assert.throws(() => parsePaperKey(paper.replace(/^\s*3:.*\n/m, ''), repositoryId), InvalidPaperKey);
  });
});

describe('renderKeyHtml()', () => {
  it('is a self-contained page with the key file text and its paper key', () => {
    const html = renderKeyHtml(keyText);
    assert.ok(html.startsWith('<!doctype html>'));
    assert.ok(html.includes(keyText));
    assert.ok(html.includes('BORG PAPER KEY v1'));
    assert.ok(!/<script|https?:/i.test(html), 'no scripts, no network');
    const withQr = renderKeyHtml(keyText, { qrSvg: (t) => `<svg data-len="${t.length}"></svg>` });
    assert.ok(withQr.includes(`<svg data-len="${keyText.length}"></svg>`));
  });
});
