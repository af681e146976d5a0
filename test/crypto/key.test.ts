import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IntegrityError, UsageError } from '../../src/errors.js';
import { UnsupportedPayloadError } from '../../src/crypto/errors.js';
import { Key } from '../../src/crypto/key.js';
import { legacyPassphraseMaterial } from '../../src/crypto/key-material.js';
import { detectKeyMode, KEY_MODES, keyModeFromName, keyModeInfo } from '../../src/crypto/key-modes.js';
import { blake2b256 } from '../../src/format/wasm-hashes.js';
import { hex, vectorMaterial, vectors } from './fixtures.js';

describe('key modes', () => {
  it('map init names, TYPE bytes, display names and storage like borg', () => {
    const expected: Array<[string, number, string, boolean, string]> = [
      ['none', 0x02, 'plaintext', false, 'none'],
      ['keyfile', 0x00, 'key file', true, 'keyfile'],
      ['repokey', 0x03, 'repokey', true, 'repokey'],
      ['authenticated', 0x07, 'authenticated', false, 'repokey'],
      ['keyfile-blake2', 0x04, 'key file BLAKE2b', true, 'keyfile'],
      ['repokey-blake2', 0x05, 'repokey BLAKE2b', true, 'repokey'],
      ['authenticated-blake2', 0x06, 'authenticated BLAKE2b', false, 'repokey'],
    ];
    assert.deepEqual([...KEY_MODES], expected.map((e) => e[0]));
    for (const [name, type, display, encrypted, storage] of expected) {
      const mode = keyModeFromName(name);
      const key = Key.generate(mode, Buffer.alloc(32, 1));
      assert.equal(key.typeByte, type);
      assert.equal(key.displayName, display);
      assert.equal(key.encrypted, encrypted);
      assert.equal(key.storage, storage);
      assert.equal(detectKeyMode(type), mode);
      assert.equal(keyModeInfo(mode).typeByte, type);
    }
  });

  it('detectKeyMode() dispatches the legacy passphrase TYPE to repokey and rejects unknown bytes', () => {
    assert.equal(detectKeyMode(0x01), 'repokey');
    assert.throws(() => detectKeyMode(0x08), UnsupportedPayloadError);
    assert.throws(() => detectKeyMode(0xc1), (e: unknown) => e instanceof UnsupportedPayloadError && e.code === 'UnsupportedPayloadError');
  });

  it('keyModeFromName() rejects unknown --encryption values as usage errors', () => {
    assert.throws(() => keyModeFromName('passphrase'), UsageError);
    assert.throws(() => keyModeFromName('Repokey'), /Invalid encryption mode 'Repokey'/);
  });
});

describe('Key.generate()', () => {
  it('draws material the way borg does', () => {
    const repoId = Buffer.alloc(32, 7);
    for (const mode of KEY_MODES) {
      const m = Key.generate(mode, repoId).material;
      assert.deepEqual(m.repositoryId, repoId);
      assert.ok(Number.isInteger(m.chunkSeed) && m.chunkSeed >= -(2 ** 31) && m.chunkSeed < 2 ** 31);
      if (mode === 'none') {
        assert.equal(m.chunkSeed, 0);
        assert.equal(m.tamRequired, false);
        continue;
      }
      assert.equal(m.tamRequired, true);
      assert.equal(m.encKey.length, 32);
      if (mode.endsWith('blake2')) {
        for (const k of [m.idKey, m.encHmacKey]) {
          assert.equal(k.length, 128);
          assert.ok(k.subarray(64).equals(Buffer.alloc(64)), 'BLAKE2 keys end with 64 zero bytes');
          assert.ok(!k.subarray(0, 64).equals(Buffer.alloc(64)));
        }
      } else {
        assert.equal(m.idKey.length, 32);
        assert.equal(m.encHmacKey.length, 32);
      }
    }
  });

  it('makes different keys each time', () => {
    const a = Key.generate('repokey', Buffer.alloc(32));
    const b = Key.generate('repokey', Buffer.alloc(32));
    assert.ok(!a.material.encKey.equals(b.material.encKey));
  });

  it('fromMaterial() copies its input and rejects unusable material', () => {
    const material = vectorMaterial('repokey');
    const key = Key.fromMaterial('repokey', material);
    material.encKey.fill(0);
    assert.deepEqual(key.material.encKey, hex(vectors.key_material['enc_key'] as string));
    assert.throws(() => Key.fromMaterial('repokey', { ...vectorMaterial('repokey'), encKey: Buffer.alloc(16) }), TypeError);
    assert.throws(() => Key.fromMaterial('repokey', { ...vectorMaterial('repokey'), chunkSeed: 2 ** 31 }), TypeError);
  });
});

describe('Key envelopes (crypto.json)', () => {
  for (const v of vectors.envelopes) {
    it(`${v.mode}: id hash, seal and open reproduce borg`, () => {
      const key = Key.fromMaterial(v.mode, vectorMaterial(v.mode));
      const plaintext = hex(vectors.plaintext);
      const payload = hex(v.compressed_payload);
      assert.equal(key.idHash(plaintext).toString('hex'), v.id);
      const iv = BigInt(v.iv ?? 0);
      const envelope = key.seal(payload, iv);
      assert.equal(envelope.toString('hex'), v.envelope);
      assert.deepEqual(key.open(hex(v.envelope)), payload);
      assert.equal(key.ivOf(envelope), v.iv === undefined ? null : iv);
      if (v.aes_blocks_consumed !== undefined) assert.equal(Key.blocksFor(payload.length), v.aes_blocks_consumed);
    });
  }

  for (const v of vectors.id_hash_extra) {
    it(`${v.mode}: id hash of ${v.input}`, () => {
      const key = Key.fromMaterial(v.mode, vectorMaterial(v.mode));
      const data = v.input === 'empty' ? Buffer.alloc(0) : Buffer.alloc(1 << 20);
      assert.equal(key.idHash(data).toString('hex'), v.id);
    });
  }

  it("BLAKE2b-256 is borg's unkeyed construction, not RFC 7693 keyed mode", () => {
    const note = vectors.blake2b_note;
    const key128 = Buffer.concat([Buffer.from(Array.from({ length: 64 }, (_, i) => 0x20 + i)), Buffer.alloc(64)]);
    const digest = blake2b256(key128, hex(note['data']!)).toString('hex');
    assert.equal(digest, note['borg_blake2b_256(key128, data)']);
    assert.notEqual(digest, note['hashlib.blake2b(data, key=key64, digest_size=32) [RFC7693 keyed mode]']);
  });
});

describe('Key.open() rejects tampering', () => {
  const aesModes = vectors.envelopes.filter((v) => v.iv !== undefined);
  for (const v of aesModes) {
    it(`${v.mode}: MAC, IV, ciphertext and TYPE byte`, () => {
      const key = Key.fromMaterial(v.mode, vectorMaterial(v.mode));
      const good = hex(v.envelope);
      for (const offset of [1, 20, 33, 40, 41, good.length - 1]) {
        const bad = Buffer.from(good);
        bad[offset]! ^= 0x01;
        assert.throws(() => key.open(bad), (e: unknown) => e instanceof IntegrityError && /MAC/.test(e.message), `offset ${offset}`);
      }
      const wrongType = Buffer.from(good);
      wrongType[0] = 0x02;
      assert.throws(() => key.open(wrongType), (e: unknown) => e instanceof IntegrityError && e.code === 'IntegrityError');
      assert.throws(() => key.open(good.subarray(0, 40)), IntegrityError);
      assert.throws(() => key.open(Buffer.alloc(0)), IntegrityError);
    });
  }

  it('the TYPE byte is not authenticated: a keyfile envelope opens with the repokey key after retyping', () => {
    const keyfile = vectors.envelopes.find((v) => v.mode === 'keyfile')!;
    const repokey = vectors.envelopes.find((v) => v.mode === 'repokey')!;
    const retyped = hex(keyfile.envelope);
    retyped[0] = 0x03;
    assert.equal(retyped.toString('hex'), repokey.envelope);
  });

  it('non-AES modes check the TYPE byte', () => {
    for (const mode of ['none', 'authenticated', 'authenticated-blake2'] as const) {
      const key = Key.fromMaterial(mode, vectorMaterial(mode));
      const env = key.seal(Buffer.from('0000abc', 'hex'), 0n);
      env[0] = 0x05;
      assert.throws(() => key.open(env), IntegrityError);
    }
  });
});

describe('legacy passphrase mode (TYPE 0x01)', () => {
  const legacy = vectors.legacy_passphrase_type_0x01;

  it('derives the key material from passphrase and repository id', () => {
    const m = legacyPassphraseMaterial(legacy['passphrase'] as string, hex(legacy['repository_id'] as string));
    assert.equal(m.encKey.toString('hex'), legacy['enc_key']);
    assert.equal(m.encHmacKey.toString('hex'), legacy['enc_hmac_key']);
    assert.equal(m.idKey.toString('hex'), legacy['id_key']);
    assert.equal(m.chunkSeed, legacy['chunk_seed']);
  });

  it('envelopes with TYPE 0x01 open with a repokey key holding that material', () => {
    const m = legacyPassphraseMaterial(legacy['passphrase'] as string, hex(legacy['repository_id'] as string));
    const key = Key.fromMaterial('repokey', m);
    const env = key.seal(Buffer.from('0000legacy'), 5n);
    env[0] = 0x01;
    assert.deepEqual(key.open(env), Buffer.from('0000legacy'));
    assert.equal(key.acceptsType(0x01), true);
    assert.equal(Key.fromMaterial('keyfile', m).acceptsType(0x01), false);
    assert.throws(() => Key.fromMaterial('keyfile', m).open(env), IntegrityError);
  });
});

describe('Key.seal()', () => {
  it('refuses IVs outside 64 bits and counter wrap-around', () => {
    const key = Key.fromMaterial('repokey', vectorMaterial('repokey'));
    assert.throws(() => key.seal(Buffer.alloc(1), -1n), RangeError);
    assert.throws(() => key.seal(Buffer.alloc(1), 1n << 64n), RangeError);
    assert.throws(() => key.seal(Buffer.alloc(17), (1n << 64n) - 1n), RangeError);
    assert.equal(key.ivOf(key.seal(Buffer.alloc(16), (1n << 64n) - 1n)), (1n << 64n) - 1n);
  });

  it('round-trips large payloads with a counter spanning many blocks', () => {
    for (const mode of ['keyfile', 'repokey-blake2'] as const) {
      const key = Key.fromMaterial(mode, vectorMaterial(mode));
      const payload = Buffer.alloc(100_003, 0xab);
      const env = key.seal(payload, 0xfffffffffn);
      assert.equal(env.length, payload.length + 41);
      assert.deepEqual(key.open(env), payload);
    }
  });

  it('blocksFor() counts 16-byte AES blocks, rounding up', () => {
    assert.deepEqual([0, 1, 16, 17, 32, 33].map((n) => Key.blocksFor(n)), [0, 1, 1, 2, 2, 3]);
  });
});
