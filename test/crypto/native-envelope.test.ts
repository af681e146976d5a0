// The native envelope (native/crypto.c, on Node's OpenSSL) gives byte for byte what node:crypto
// gives: HMAC-SHA256 ids, sealed envelopes at any IV, opened payloads; and it refuses a wrong MAC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { openAes, sealAes } from '../../src/crypto/envelope.js';
import { Key } from '../../src/crypto/index.js';
import { IntegrityError } from '../../src/errors.js';
import { envelopeCrypto } from '../../src/platform/native.js';

test('native envelope crypto is built in and matches node:crypto', () => {
  const native = envelopeCrypto();
  assert.ok(native, 'the addon has the OpenSSL envelope functions');
  for (const size of [0, 1, 15, 16, 17, 20_000, 3 << 20]) {
    const encKey = randomBytes(32);
    const macKey = randomBytes(32);
    const mac = (d: Buffer) => createHmac('sha256', macKey).update(d).digest();
    const payload = randomBytes(size);
    assert.ok(native.hmacSha256(macKey, payload).equals(mac(payload)), `hmac of ${size} bytes`);
    for (const iv of [0n, 1n, 0xfffffff0n, (1n << 63n) + 5n]) {
      const sealed: Buffer = native.sealAesHmac(encKey, macKey, 0x03, payload, iv);
      assert.ok(sealed.equals(sealAes(0x03, encKey, mac, payload, iv)), `seal of ${size} bytes at IV ${iv}`);
      assert.ok(native.openAesHmac(encKey, macKey, sealed)!.equals(openAes(encKey, mac, sealed, 'x')));
      const tampered: Buffer = Buffer.from(sealed);
      tampered[tampered.length - 1]! ^= size > 0 ? 1 : 0;
      tampered[40]! ^= 1; // the IV's last byte: covered by the MAC
      assert.equal(native.openAesHmac(encKey, macKey, tampered), null);
    }
  }
});

test('a repokey Key seals and opens with the native path, and reports a bad MAC like borg', () => {
  const key = Key.generate('repokey', randomBytes(32));
  const data = randomBytes(5000);
  const envelope = key.seal(data, 42n);
  assert.ok(key.open(envelope).equals(data));
  assert.equal(key.ivOf(envelope), 42n);
  const bad = Buffer.from(envelope);
  bad[100]! ^= 0x40;
  assert.throws(() => key.open(bad, Buffer.alloc(32, 1)), (e: unknown) => e instanceof IntegrityError && /MAC authentication failed/.test((e as Error).message));
  assert.throws(() => key.open(envelope.subarray(0, 30)), (e: unknown) => e instanceof IntegrityError && /shorter than its header/.test((e as Error).message));
  assert.throws(() => key.seal(data, (1n << 64n) - 2n), RangeError);
  assert.ok(key.idHash(data).equals(createHmac('sha256', key.material.idKey).update(data).digest()));
});
