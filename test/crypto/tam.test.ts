import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  ArchiveTAMInvalid,
  ArchiveTAMRequiredError,
  TAMInvalid,
  TAMRequiredError,
  TAMUnsupportedSuiteError,
  UnsupportedManifestError,
} from '../../src/crypto/errors.js';
import { Key } from '../../src/crypto/key.js';
import { packAndAuthenticate, tamKey, unpackAndVerify } from '../../src/crypto/tam.js';
import { IntegrityError } from '../../src/errors.js';
import { decode, encode, type MsgMap, type MsgValue } from '../../src/format/msgpack.js';
import { hex, vectorMaterial, vectors } from './fixtures.js';

const SALT = hex(vectors.tam.salt);

function manifestLike(): MsgMap {
  return {
    version: 1,
    archives: {},
    timestamp: '2024-01-02T03:04:05.000000',
    config: { tam_required: true },
    item_keys: ['mode', 'mtime', 'path'],
  };
}

/** RFC 5869 written out with HMAC-SHA512, to check node's hkdfSync against the definition. */
function rfc5869(ikm: Buffer, salt: Buffer, info: Buffer, length: number): Buffer {
  const prk = createHmac('sha512', salt).update(ikm).digest();
  const out: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let i = 1; Buffer.concat(out).length < length; i++) {
    t = createHmac('sha512', prk).update(Buffer.concat([t, info, Buffer.from([i])])).digest();
    out.push(t);
  }
  return Buffer.concat(out).subarray(0, length);
}

describe('HKDF-SHA512', () => {
  it("node's hkdfSync is RFC 5869 and gives borg's TAM key", () => {
    const m = vectorMaterial('repokey-blake2');
    const ikm = Buffer.concat([m.idKey, m.encKey, m.encHmacKey]);
    const info = Buffer.from('borg-metadata-authentication-manifest');
    const expected = vectors.tam.hkdf_example_repokey_blake2_manifest;
    assert.equal(rfc5869(ikm, SALT, info, 64).toString('hex'), expected);
    assert.equal(Buffer.from(hkdfSync('sha512', ikm, SALT, info, 64)).toString('hex'), expected);
    for (const len of [1, 64, 100, 200]) {
      assert.deepEqual(Buffer.from(hkdfSync('sha512', ikm, SALT, info, len)), rfc5869(ikm, SALT, info, len));
    }
  });
});

describe('TAM (crypto.json)', () => {
  for (const v of vectors.tam.vectors) {
    it(`${v.mode} ${v.context}: key, packing and verification match borg`, () => {
      const key = Key.fromMaterial(v.mode, vectorMaterial(v.mode));
      assert.equal(tamKey(key, SALT, v.context).toString('hex'), v.tam_key);
      const packed = packAndAuthenticate(key, manifestLike(), v.context, SALT);
      assert.equal(packed.toString('hex'), v.packed_with_tam);
      const result = unpackAndVerify(key, hex(v.packed_with_tam), v.context, { required: true });
      assert.equal(result.verified, true);
      assert.deepEqual(result.salt, SALT);
      assert.equal(result.value['tam'], undefined);
      assert.deepEqual(Object.keys(result.value).sort(), ['archives', 'config', 'item_keys', 'timestamp', 'version']);
      assert.equal(result.value['version'], 1);
    });
  }

  it('a manifest TAM does not verify as an archive TAM and vice versa', () => {
    const key = Key.fromMaterial('repokey', vectorMaterial('repokey'));
    const packed = packAndAuthenticate(key, manifestLike(), 'manifest', SALT);
    assert.throws(() => unpackAndVerify(key, packed, 'archive', { required: false }), ArchiveTAMInvalid);
    const archive = packAndAuthenticate(key, manifestLike(), 'archive', SALT);
    assert.throws(() => unpackAndVerify(key, archive, 'manifest', { required: false }), TAMInvalid);
  });
});

describe('unpackAndVerify() rules', () => {
  const key = Key.fromMaterial('repokey-blake2', vectorMaterial('repokey-blake2'));

  it('uses a random salt by default and replaces an existing tam entry', () => {
    const a = packAndAuthenticate(key, manifestLike(), 'manifest');
    const b = packAndAuthenticate(key, manifestLike(), 'manifest');
    assert.notDeepEqual(a, b);
    const first = unpackAndVerify(key, a, 'archive', { required: false, ignoreInvalidArchiveTam: true });
    assert.equal(first.verified, false);
    const rewritten = packAndAuthenticate(key, decode(a) as MsgMap, 'archive', SALT);
    const result = unpackAndVerify(key, rewritten, 'archive', { required: true });
    assert.deepEqual(result.salt, SALT);
  });

  it('missing TAM: error only when required', () => {
    const plain = encode({ ...manifestLike(), name: 'arch' }, { sortKeys: true });
    assert.throws(() => unpackAndVerify(key, plain, 'manifest', { required: true }), TAMRequiredError);
    assert.throws(() => unpackAndVerify(key, plain, 'archive', { required: true }), (e: unknown) => e instanceof ArchiveTAMRequiredError && /'arch'/.test(e.message));
    assert.deepEqual(unpackAndVerify(key, plain, 'manifest', { required: false }), { value: decode(plain), verified: false, salt: null });
  });

  it('unknown suite: error only when required', () => {
    const meta = { ...manifestLike(), tam: { type: 'FUTURE_SUITE', hmac: Buffer.alloc(64), salt: SALT } };
    const packed = encode(meta, { sortKeys: true });
    assert.throws(() => unpackAndVerify(key, packed, 'manifest', { required: true }), TAMUnsupportedSuiteError);
    assert.equal(unpackAndVerify(key, packed, 'manifest', { required: false }).verified, false);
  });

  it('a present but wrong TAM is always an error', () => {
    const packed = packAndAuthenticate(key, manifestLike(), 'manifest', SALT);
    const ts = packed.indexOf(Buffer.from('2024'));
    const bad = Buffer.from(packed);
    bad[ts] = 0x31;
    assert.throws(() => unpackAndVerify(key, bad, 'manifest', { required: false }), TAMInvalid);
    const other = Key.generate('repokey-blake2', Buffer.alloc(32));
    assert.throws(() => unpackAndVerify(other, packed, 'manifest', { required: false }), TAMInvalid);
    const badTams: MsgValue[] = [5, { type: 'HKDF_HMAC_SHA512', salt: SALT }, { type: 'HKDF_HMAC_SHA512', hmac: 1, salt: SALT }];
    for (const tam of badTams) {
      const m = encode({ ...manifestLike(), tam }, { sortKeys: true });
      assert.throws(() => unpackAndVerify(key, m, 'manifest', { required: false }), TAMInvalid);
    }
  });

  it('verification does not depend on key order', () => {
    const packed = packAndAuthenticate(key, manifestLike(), 'manifest', SALT);
    const value = decode(packed) as MsgMap;
    // Re-pack in reverse key order: the HMAC covers bytes, so recompute it the way a writer would.
    const reversed: MsgMap = {};
    for (const k of Object.keys(value).sort().reverse()) reversed[k] = value[k]!;
    const tam = reversed['tam'] as MsgMap;
    tam['hmac'] = Buffer.alloc(64);
    const zeroed = encode(reversed);
    tam['hmac'] = createHmac('sha512', tamKey(key, SALT, 'manifest')).update(zeroed).digest();
    const repacked = encode(reversed);
    assert.notDeepEqual(repacked, packed);
    assert.equal(unpackAndVerify(key, repacked, 'manifest', { required: true }).verified, true);
  });

  it('refuses manifests from the future and data beyond the limits', () => {
    assert.throws(() => unpackAndVerify(key, Buffer.from('c1c1c1c1', 'hex'), 'manifest', { required: false }), UnsupportedManifestError);
    const longName = encode({ archives: { ['x'.repeat(256)]: {} } });
    assert.throws(() => unpackAndVerify(key, longName, 'manifest', { required: false }), IntegrityError);
    const bin = Buffer.from('81a474616d70c40100', 'hex');
    assert.throws(() => unpackAndVerify(key, bin, 'manifest', { required: false }), IntegrityError);
    assert.throws(() => unpackAndVerify(key, Buffer.from('93', 'hex'), 'archive', { required: false }), IntegrityError);
    assert.throws(() => unpackAndVerify(key, encode([1]), 'archive', { required: false }), IntegrityError);
  });

  it('the none mode authenticates with salt || context (a checksum only)', () => {
    const none = Key.generate('none', Buffer.alloc(32));
    assert.deepEqual(tamKey(none, SALT, 'archive'), Buffer.concat([SALT, Buffer.from('archive')]));
    const packed = packAndAuthenticate(none, manifestLike(), 'archive');
    assert.equal(unpackAndVerify(none, packed, 'archive', { required: false }).verified, true);
  });
});
