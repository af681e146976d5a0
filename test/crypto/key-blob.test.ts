import assert from 'node:assert/strict';
import { pbkdf2Sync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InvalidKeyBlob } from '../../src/crypto/errors.js';
import {
  decryptKeyBlob,
  encryptKeyBlob,
  keyBlobFromText,
  keyBlobToText,
  packKeyMaterial,
  unpackKeyMaterial,
} from '../../src/crypto/key-blob.js';
import { formatKeyFile, parseKeyFile } from '../../src/crypto/key-file.js';
import { Key } from '../../src/crypto/key.js';
import { encode } from '../../src/format/msgpack.js';
import { configKeyText, dumpBytes, hex, loadDump, PASSPHRASE, REPOS_DIR, vectorMaterial, vectors } from './fixtures.js';

describe('key blobs (crypto.json)', () => {
  for (const v of vectors.key_blobs) {
    it(`${v.mode}: encryption with a fixed salt reproduces borg byte for byte`, () => {
      assert.equal(pbkdf2Sync(v.passphrase, hex(v.salt), v.iterations, 32, 'sha256').toString('hex'), v.pbkdf2_output_kek);
      const material = vectorMaterial(v.mode);
      material.tamRequired = true;
      assert.equal(packKeyMaterial(material).toString('hex'), v.inner_key_msgpack);
      const blob = encryptKeyBlob(material, v.passphrase, { salt: hex(v.salt), iterations: v.iterations });
      assert.equal(blob.toString('hex'), v.encrypted_key_msgpack);
      assert.equal(keyBlobToText(blob), v.base64_wrapped_70);
      if (v.keyfile_text !== null) {
        assert.equal(formatKeyFile(material.repositoryId, keyBlobToText(blob)), v.keyfile_text);
        const parsed = parseKeyFile(v.keyfile_text);
        assert.deepEqual(parsed.repositoryId, material.repositoryId);
        assert.deepEqual(keyBlobFromText(parsed.blobText), blob);
      }
    });
  }

  it("decrypts borg's blob, and returns null for a wrong passphrase", () => {
    const v = vectors.key_blobs.find((b) => b.mode === 'repokey-blake2')!;
    const blob = keyBlobFromText(v.base64_wrapped_70);
    const material = decryptKeyBlob(blob, v.passphrase);
    assert.ok(material);
    assert.deepEqual(material, { ...vectorMaterial('repokey-blake2'), tamRequired: true });
    assert.equal(decryptKeyBlob(blob, 'Correct horse battery staple'), null);
    assert.equal(decryptKeyBlob(blob, ''), null);
  });
});

describe('key blobs of the vector repositories', () => {
  const cases: Array<[string, () => string]> = [
    ['repo-repokey', () => configKeyText('repo-repokey')],
    ['repo-repokey-blake2', () => configKeyText('repo-repokey-blake2')],
    ['repo-authenticated-blake2', () => configKeyText('repo-authenticated-blake2')],
    ['repo-extra', () => configKeyText('repo-extra')],
    ['repo-keyfile-blake2', () => parseKeyFile(readFileSync(join(REPOS_DIR, 'repo-keyfile-blake2.key'), 'utf8')).blobText],
  ];
  for (const [repo, text] of cases) {
    it(`${repo}: decrypts to the material of the decoded dump`, () => {
      const dump = loadDump(repo);
      const material = decryptKeyBlob(keyBlobFromText(text()), PASSPHRASE);
      assert.ok(material, 'passphrase accepted');
      const k = dump.key!;
      assert.deepEqual(material.encKey, dumpBytes(k['enc_key']));
      assert.deepEqual(material.encHmacKey, dumpBytes(k['enc_hmac_key']));
      assert.deepEqual(material.idKey, dumpBytes(k['id_key']));
      assert.deepEqual(material.repositoryId, dumpBytes(k['repository_id']));
      assert.equal(material.repositoryId.toString('hex'), dump.config['id']);
      assert.equal(material.chunkSeed, k['chunk_seed']);
      assert.equal(material.tamRequired, k['tam_required']);
    });
  }
});

describe('key blob errors', () => {
  const material = vectorMaterial('repokey');
  const fast = { iterations: 1000 };

  it('round-trips with an explicit low iteration count (tests only)', () => {
    const blob = encryptKeyBlob(material, 'pw', fast);
    assert.deepEqual(decryptKeyBlob(blob, 'pw'), material);
    assert.equal(decryptKeyBlob(blob, 'pw2'), null);
    assert.notDeepEqual(encryptKeyBlob(material, 'pw', fast), blob, 'random salt');
  });

  it('treats a tampered ciphertext or hash as a wrong passphrase', () => {
    const blob = encryptKeyBlob(material, 'pw', fast);
    const i = blob.indexOf(Buffer.from('data')) + 8;
    const bad = Buffer.from(blob);
    bad[i]! ^= 1;
    assert.equal(decryptKeyBlob(bad, 'pw'), null);
  });

  it('rejects malformed blobs with InvalidKeyBlob', () => {
    const good = { algorithm: 'sha256', data: Buffer.alloc(10), hash: Buffer.alloc(32), iterations: 1, salt: Buffer.alloc(32), version: 1 };
    const bad: Array<[string, Buffer]> = [
      ['not msgpack', Buffer.from([0xc1])],
      ['not a map', encode([1, 2])],
      ['bin type', Buffer.from('81a464617461c40100', 'hex')],
      ['too many entries', encode(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 1])))],
      ['huge string', encode({ ...good, data: Buffer.alloc(4001) })],
      ['version 2', encode({ ...good, version: 2 })],
      ['other algorithm', encode({ ...good, algorithm: 'sha512' })],
      ['missing salt', encode({ algorithm: 'sha256', data: Buffer.alloc(10), hash: Buffer.alloc(32), iterations: 1, version: 1 })],
      ['iterations as bytes', encode({ ...good, iterations: Buffer.from('1') })],
      ['truncated', encryptKeyBlob(material, 'pw', fast).subarray(0, 50)],
    ];
    for (const [what, blob] of bad) assert.throws(() => decryptKeyBlob(blob, 'pw'), InvalidKeyBlob, what);
  });

  it('rejects inner key maps of an unknown version or with missing fields', () => {
    const inner = packKeyMaterial(material);
    assert.deepEqual(unpackKeyMaterial(inner), material);
    const noTam = encode({ chunk_seed: 1, enc_hmac_key: Buffer.alloc(32), enc_key: Buffer.alloc(32), id_key: Buffer.alloc(32), repository_id: Buffer.alloc(32), version: 1 }, { sortKeys: true });
    assert.equal(unpackKeyMaterial(noTam).tamRequired, false);
    assert.equal(unpackKeyMaterial(noTam, true).tamRequired, true);
    assert.throws(() => unpackKeyMaterial(encode({ version: 2 })), InvalidKeyBlob);
    assert.throws(() => unpackKeyMaterial(encode({ version: 1, chunk_seed: 1 })), InvalidKeyBlob);
  });

  it('text form: 70-character lines, whitespace ignored on reading, invalid base64 refused', () => {
    const blob = encryptKeyBlob(Key.generate('repokey-blake2', Buffer.alloc(32)).material, 'pw', fast);
    const text = keyBlobToText(blob);
    const lines = text.split('\n');
    assert.ok(lines.slice(0, -1).every((l) => l.length === 70));
    assert.ok(lines.at(-1)!.length <= 70 && !text.endsWith('\n'));
    assert.deepEqual(keyBlobFromText(`  ${lines.join('\n\t')}\n`), blob);
    assert.throws(() => keyBlobFromText('abc$'), InvalidKeyBlob);
    assert.throws(() => keyBlobFromText('abcde'), InvalidKeyBlob);
  });
});
