// End-to-end with the real borg 1.2.4 vector repositories: unlock each key with the passphrase, then
// open stored objects (read straight from their segment entries) and check them against the dumps.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decryptKeyBlob, keyBlobFromText } from '../../src/crypto/key-blob.js';
import { parseKeyFile } from '../../src/crypto/key-file.js';
import { detectKeyMode } from '../../src/crypto/key-modes.js';
import { Key } from '../../src/crypto/key.js';
import { unlockWithPassphrase } from '../../src/crypto/passphrase.js';
import { PassphraseWrong } from '../../src/crypto/errors.js';
import { IntegrityError } from '../../src/errors.js';
import { configKeyText, dumpBytes, loadDump, PASSPHRASE, readObjectEnvelope, REPOS_DIR } from './fixtures.js';

const REPOS = ['repo-none', 'repo-repokey', 'repo-repokey-blake2', 'repo-keyfile-blake2', 'repo-authenticated-blake2', 'repo-extra'];

function blobTextOf(repo: string): string {
  return repo === 'repo-keyfile-blake2'
    ? parseKeyFile(readFileSync(join(REPOS_DIR, `${repo}.key`), 'utf8')).blobText
    : configKeyText(repo);
}

async function openKey(repo: string, env: Record<string, string>): Promise<Key> {
  const dump = loadDump(repo);
  const manifest = dump.objects.find((o) => o.kind === 'manifest')!;
  const mode = detectKeyMode(readObjectEnvelope(repo, manifest.segment, manifest.offset).envelope[0]!);
  if (mode === 'none') return Key.generate('none', Buffer.from(dump.config['id']!, 'hex'));
  const blob = keyBlobFromText(blobTextOf(repo));
  const { value } = await unlockWithPassphrase((p) => decryptKeyBlob(blob, p), 'Enter passphrase: ', {
    env,
    prompt: async () => null,
  });
  return Key.fromMaterial(mode, value);
}

describe('vector repositories', () => {
  for (const repo of REPOS) {
    it(`${repo}: unlocks the key and opens stored objects`, async () => {
      const dump = loadDump(repo);
      const key = await openKey(repo, { BORG_PASSPHRASE: PASSPHRASE });
      if (dump.key) assert.equal(key.chunkSeed, dump.key['chunk_seed']);
      // repo-repokey-blake2 compressed everything with zlib: its objects get only the MAC check below.
      const plain = dump.objects.filter((o) => o.compression === 'none' && o.kind !== 'manifest').slice(0, 20);
      assert.ok(plain.length > 0 || repo === 'repo-repokey-blake2');
      for (const o of plain) {
        const { id, envelope } = readObjectEnvelope(repo, o.segment, o.offset);
        assert.deepEqual(id, dumpBytes(o.id));
        assert.equal(envelope[0], o.type_byte);
        const payload = key.open(envelope, id);
        assert.deepEqual(payload.subarray(0, 2), Buffer.from([0, 0]), 'compression header of "none"');
        const data = payload.subarray(2);
        assert.equal(data.length, o.size);
        assert.equal(createHash('sha256').update(data).digest('hex'), o.sha256);
        assert.deepEqual(key.idHash(data), id);
        assert.equal(key.ivOf(envelope), o.iv === undefined ? null : BigInt(o.iv));
        if (key.encrypted) {
          const bad = Buffer.from(envelope);
          bad[bad.length - 1]! ^= 0x80;
          assert.throws(() => key.open(bad, id), IntegrityError);
          // Re-sealing at the stored IV reproduces borg's envelope exactly.
          assert.deepEqual(key.seal(payload, BigInt(o.iv!)), envelope);
        } else {
          assert.deepEqual(key.seal(payload, 0n), envelope);
        }
      }
      // Every stored object, whatever its compression, passes the MAC check.
      for (const o of dump.objects) {
        const { id, envelope } = readObjectEnvelope(repo, o.segment, o.offset);
        key.open(envelope, id);
      }
    });
  }

  it('a wrong BORG_PASSPHRASE is PassphraseWrong', async () => {
    await assert.rejects(openKey('repo-repokey-blake2', { BORG_PASSPHRASE: 'wrong' }), PassphraseWrong);
  });
});
