import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Compressor } from '../../src/compress/index.js';
import { ArchiveTAMInvalid } from '../../src/crypto/errors.js';
import { decryptKeyBlob, keyBlobFromText } from '../../src/crypto/key-blob.js';
import { parseKeyFile } from '../../src/crypto/key-file.js';
import { detectKeyMode } from '../../src/crypto/key-modes.js';
import { Key, MANIFEST_ID } from '../../src/crypto/key.js';
import { IvCounter, IvRangeExhausted } from '../../src/crypto/nonces.js';
import { MAX_PAYLOAD_BLOCKS, ObjectCodec } from '../../src/crypto/object-codec.js';
import { unpackAndVerify } from '../../src/crypto/tam.js';
import { IntegrityError } from '../../src/errors.js';
import { configKeyText, dumpBytes, loadDump, PASSPHRASE, readObjectEnvelope, REPOS_DIR, vectorMaterial } from './fixtures.js';

function repoKey(repo: string): Key {
  const dump = loadDump(repo);
  const manifest = dump.objects.find((o) => o.kind === 'manifest')!;
  const mode = detectKeyMode(readObjectEnvelope(repo, manifest.segment, manifest.offset).envelope[0]!);
  if (mode === 'none') return Key.generate('none', Buffer.from(dump.config['id']!, 'hex'));
  const text = repo === 'repo-keyfile-blake2' ? parseKeyFile(readFileSync(join(REPOS_DIR, `${repo}.key`), 'utf8')).blobText : configKeyText(repo);
  return Key.fromMaterial(mode, decryptKeyBlob(keyBlobFromText(text), PASSPHRASE)!);
}

describe('ObjectCodec.unpack() on the vector repositories', () => {
  for (const repo of ['repo-none', 'repo-repokey', 'repo-repokey-blake2', 'repo-keyfile-blake2', 'repo-authenticated-blake2', 'repo-extra']) {
    it(`${repo}: every object decodes to the dumped data; manifest and archive TAMs verify as borg found`, () => {
      const dump = loadDump(repo);
      const key = repoKey(repo);
      const codec = new ObjectCodec(key, new Compressor('lz4'), new IvCounter(0n));
      const seen = new Set<string>();
      const archives = (dump as unknown as { archives: Array<{ id: string; tam: string; name: string }> }).archives;
      let archivesChecked = 0;
      for (const o of dump.objects) {
        const { id, envelope } = readObjectEnvelope(repo, o.segment, o.offset);
        const data = codec.unpack(id, envelope);
        assert.equal(data.length, o.size, `${o.kind} ${o.id}`);
        assert.equal(createHash('sha256').update(data).digest('hex'), o.sha256);
        seen.add(o.compression.replace(/\(.*/, ''));
        if (o.kind === 'manifest') {
          assert.deepEqual(id, MANIFEST_ID);
          const m = unpackAndVerify(key, data, 'manifest', { required: key.tamRequired });
          assert.equal(m.verified, true);
        }
        if (o.kind === 'archive metadata') {
          const archive = archives.find((a) => a.id === o.id);
          if (!archive) continue; // deleted archive (repo-extra keeps superseded objects)
          archivesChecked++;
          if (archive.tam === 'valid') {
            const meta = unpackAndVerify(key, data, 'archive', { required: true });
            assert.equal(meta.verified, true);
            assert.equal(meta.value['name']!.toString(), archive.name);
          } else {
            // borg 1.2.4 kept the stale TAM on rename: borg >= 1.2.5 refuses such an archive.
            assert.equal(archive.tam, 'INVALID');
            assert.throws(() => unpackAndVerify(key, data, 'archive', { required: false }), ArchiveTAMInvalid);
          }
        }
      }
      assert.equal(archivesChecked, archives.length);
      assert.ok(seen.size >= 1);
    });
  }
});

describe('ObjectCodec.pack()', () => {
  it('reproduces stored borg objects when given the same compression and IV', () => {
    const repo = 'repo-repokey';
    const key = repoKey(repo);
    for (const o of loadDump(repo).objects.filter((x) => x.compression === 'none' && x.kind !== 'manifest').slice(0, 5)) {
      const { id, envelope } = readObjectEnvelope(repo, o.segment, o.offset);
      const data = new ObjectCodec(key, new Compressor('none'), new IvCounter(0n)).unpack(id, envelope);
      const packed = new ObjectCodec(key, new Compressor('none'), new IvCounter(BigInt(o.iv!))).pack(data);
      assert.deepEqual(packed.id, dumpBytes(o.id));
      assert.deepEqual(packed.envelope, envelope);
      assert.equal(packed.csize, o.csize);
      assert.equal(packed.size, o.size);
    }
  });

  it('round-trips in every mode and advances the IV by the payload blocks', () => {
    const data = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(50));
    for (const mode of ['none', 'keyfile', 'repokey', 'authenticated', 'keyfile-blake2', 'repokey-blake2', 'authenticated-blake2'] as const) {
      const key = Key.fromMaterial(mode, vectorMaterial(mode));
      const ivs = new IvCounter(1000n, 1000n + BigInt(MAX_PAYLOAD_BLOCKS) * 2n);
      const codec = new ObjectCodec(key, new Compressor('zstd,3'), ivs);
      const a = codec.pack(data);
      const b = codec.pack(data);
      assert.deepEqual(a.id, key.idHash(data));
      assert.deepEqual(codec.unpack(a.id, a.envelope), data);
      assert.deepEqual(codec.unpack(b.id, b.envelope), data);
      if (key.encrypted) {
        assert.equal(key.ivOf(a.envelope), 1000n);
        assert.equal(key.ivOf(b.envelope), 1000n + BigInt(Key.blocksFor(a.csize - 41)));
        assert.notDeepEqual(a.envelope, b.envelope, 'a fresh IV every time');
      } else {
        assert.equal(ivs.next, 1000n, 'no IVs used without encryption');
        assert.deepEqual(a.envelope, b.envelope);
      }
    }
  });

  it('stores the manifest under the all-zero id and skips the id check for it', () => {
    const key = Key.fromMaterial('repokey-blake2', vectorMaterial('repokey-blake2'));
    const codec = new ObjectCodec(key, new Compressor('lz4'), new IvCounter(0n));
    const manifest = codec.packWithId(MANIFEST_ID, Buffer.from('manifest bytes'));
    assert.deepEqual(manifest.id, MANIFEST_ID);
    assert.deepEqual(codec.unpack(MANIFEST_ID, manifest.envelope), Buffer.from('manifest bytes'));
  });

  it('refuses objects whose data does not match the id, or whose envelope was altered', () => {
    const key = Key.fromMaterial('authenticated', vectorMaterial('authenticated'));
    const codec = new ObjectCodec(key, new Compressor('none'), null);
    const packed = codec.pack(Buffer.from('payload'));
    const otherId = Buffer.from(packed.id);
    otherId[0]! ^= 1;
    assert.throws(() => codec.unpack(otherId, packed.envelope), (e: unknown) => e instanceof IntegrityError && /does not match its id/.test(e.message));
    const altered = Buffer.from(packed.envelope);
    altered[altered.length - 1]! ^= 1;
    assert.throws(() => codec.unpack(packed.id, altered), IntegrityError, 'authenticated mode: the id check catches it');
    const bad = Buffer.from(packed.envelope);
    bad[1] = 0x77; // not a compression header
    assert.throws(() => codec.unpack(packed.id, bad), IntegrityError);

    const aes = new ObjectCodec(Key.fromMaterial('repokey', vectorMaterial('repokey')), new Compressor('lz4'), new IvCounter(0n));
    const sealed = aes.pack(Buffer.from('secret'));
    const flipped = Buffer.from(sealed.envelope);
    flipped[45]! ^= 1;
    assert.throws(() => aes.unpack(sealed.id, flipped), /MAC/);
  });

  it('needs an IV source for encrypted keys and stops at the end of its range', () => {
    const key = Key.fromMaterial('repokey', vectorMaterial('repokey'));
    assert.throws(() => new ObjectCodec(key, new Compressor('none'), null), TypeError);
    const codec = new ObjectCodec(key, new Compressor('none'), new IvCounter(0n, 3n));
    codec.pack(Buffer.alloc(30)); // 32-byte payload: 2 blocks
    assert.throws(() => codec.pack(Buffer.alloc(30)), IvRangeExhausted);
  });
});
