// The decoders of untrusted bytes under a seeded fuzzer (a few hundred cases each here; the torture
// run does many more): msgpack, the streaming unpacker, segment files, the RPC stream of both
// sides, key blobs, key files and TAM-checked metadata. A case decodes or is rejected with the
// decoder's own error; anything else is a bug.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Key } from '../../src/crypto/index.js';
import { unpackAndVerify } from '../../src/crypto/tam.js';
import { BorgError } from '../../src/errors.js';
import { encode } from '../../src/format/msgpack.js';
import { FUZZ_TARGETS, fuzzTarget } from './lib/fuzz.js';
import { Prng } from './lib/prng.js';

describe('decoder fuzzing', () => {
  FUZZ_TARGETS.forEach((target, i) => {
    it(`${target}: 400 seeded cases, only clean rejections`, async () => {
      const outcome = await fuzzTarget(target, new Prng(1000 + i), 400);
      assert.deepEqual(outcome.failures, []);
      assert.ok(outcome.rejected > 0 && outcome.accepted + outcome.rejected === 400);
    });
  });

  it('tam: a suite name of the wrong type is a clean rejection (found by the fuzzer)', () => {
    // A map where the suite name belongs made String() throw a TypeError.
    const key = Key.generate('repokey', Buffer.alloc(32, 1));
    const data = encode({ archives: {}, config: {}, tam: { hmac: Buffer.alloc(64), salt: Buffer.alloc(64), type: { x: 1 } }, version: 1 });
    assert.throws(() => unpackAndVerify(key, data, 'manifest', { required: true }), (e) => e instanceof BorgError);
  });
});
