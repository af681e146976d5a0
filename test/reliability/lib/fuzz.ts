// A seeded fuzzer for the decoders that read untrusted bytes: msgpack (whole values and the
// streaming Unpacker), segment files, the RPC stream (both sides), key blobs and key files, and
// the TAM-checked metadata reader. Inputs are valid samples mutated (bit flips, byte changes,
// cuts, splices, length fields set huge) or plain random bytes. Every case must either decode or
// throw the decoder's own error class — never another exception (a bug), never hang.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BorgError } from '../../../src/errors.js';
import { decode, encode, MsgpackError, Unpacker, type MsgValue } from '../../../src/format/msgpack.js';
import { decryptKeyBlob, encryptKeyBlob, keyBlobFromText, keyBlobToText, unpackKeyMaterial, packKeyMaterial } from '../../../src/crypto/key-blob.js';
import { formatKeyFile, parseKeyFile } from '../../../src/crypto/key-file.js';
import { Key } from '../../../src/crypto/key.js';
import { packAndAuthenticate, unpackAndVerify } from '../../../src/crypto/tam.js';
import { RpcStreamDecoder, encodeRequest, encodeResponse, parseRequest, parseResponse } from '../../../src/remote/rpc/rpc-codec.js';
import { encodeDelete, encodePut, COMMIT_ENTRY, MAGIC } from '../../../src/repository/segment-format.js';
import { SegmentPaths } from '../../../src/repository/segment-paths.js';
import { SegmentReader } from '../../../src/repository/segment-reader.js';
import { Prng } from './prng.js';

export const FUZZ_TARGETS = ['msgpack', 'unpacker', 'segment', 'rpc-server', 'rpc-client', 'key-blob', 'key-file', 'tam'] as const;
export type FuzzTarget = (typeof FUZZ_TARGETS)[number];

export interface FuzzOutcome {
  target: FuzzTarget;
  cases: number;
  accepted: number;
  rejected: number;
  /** Cases that threw something other than the decoder's error (bugs), with the seed of the case. */
  failures: string[];
}

/** Mutates `sample` in one of several seeded ways. */
export function mutate(sample: Buffer, rng: Prng): Buffer {
  const out = Buffer.from(sample);
  switch (rng.int(7)) {
    case 0: { // flip bits
      for (let i = rng.range(1, 4); i > 0 && out.length > 0; i--) out[rng.int(out.length)]! ^= 1 << rng.int(8);
      return out;
    }
    case 1: // set bytes to boundary values
      for (let i = rng.range(1, 3); i > 0 && out.length > 0; i--) out[rng.int(out.length)] = rng.pick([0x00, 0x7f, 0x80, 0xc1, 0xd9, 0xdb, 0xdd, 0xdf, 0xff]);
      return out;
    case 2: // cut
      return out.subarray(0, rng.int(out.length + 1));
    case 3: { // splice in random bytes
      const at = rng.int(out.length + 1);
      return Buffer.concat([out.subarray(0, at), rng.bytes(rng.range(1, 16)), out.subarray(at)]);
    }
    case 4: { // a huge 32-bit length somewhere
      if (out.length < 5) return rng.bytes(rng.range(0, 64));
      const at = rng.int(out.length - 4);
      out[at] = rng.pick([0xdb, 0xdd, 0xdf, 0xc6]);
      out.writeUInt32BE(rng.pick([0xffffffff, 0x7fffffff, 0x10000000, out.length * 2]), at + 1);
      return out;
    }
    case 5: { // duplicate a slice
      const a = rng.int(out.length + 1);
      const b = rng.int(out.length + 1);
      return Buffer.concat([out, out.subarray(Math.min(a, b), Math.max(a, b))]);
    }
    default:
      return rng.bytes(rng.range(0, 256));
  }
}

function sampleValue(rng: Prng, depth = 0): MsgValue {
  const kind = rng.int(depth > 3 ? 5 : 8);
  switch (kind) {
    case 0: return rng.int(1 << 30) - (1 << 29);
    case 1: return rng.bytes(rng.pick([0, 1, 31, 32, 33, 300]));
    case 2: return rng.chance(0.5);
    case 3: return null;
    case 4: return BigInt(rng.next()) << 32n;
    case 5: return Array.from({ length: rng.int(20) }, () => sampleValue(rng, depth + 1));
    default: {
      const map: Record<string, MsgValue> = {};
      for (let i = rng.int(18); i > 0; i--) map[`k${rng.int(100)}`] = sampleValue(rng, depth + 1);
      return map;
    }
  }
}

const sampleKey = (() => {
  let key: Key | undefined;
  return () => (key ??= Key.generate('repokey-blake2', Buffer.alloc(32, 7)));
})();

interface Target {
  samples(rng: Prng): Buffer[];
  run(input: Buffer, rng: Prng): Promise<boolean> | boolean;
  /** The decoder's own error classes: throwing one of these is a clean rejection. */
  clean(error: unknown): boolean;
}

function makeTargets(scratch: string): Record<FuzzTarget, Target> {
  const segmentDir = join(scratch, 'repo');
  mkdirSync(join(segmentDir, 'data', '0'), { recursive: true });
  let segmentNo = 0;
  return {
    msgpack: {
      samples: (rng) => [encode(sampleValue(rng)), encode({ a: [1, 2, { b: Buffer.alloc(40) }], c: 'x'.repeat(300) })],
      run: (input) => (decode(input, { maxDepth: 64 }), true),
      clean: (e) => e instanceof MsgpackError,
    },
    unpacker: {
      samples: (rng) => [Buffer.concat([encode(sampleValue(rng)), encode(sampleValue(rng)), encode(sampleValue(rng))])],
      run: (input, rng) => {
        const u = new Unpacker({ maxDepth: 8, maxStrLen: 1 << 20 });
        for (let at = 0; at < input.length;) {
          const n = rng.range(1, 4096);
          u.feed(input.subarray(at, at + n));
          at += n;
          for (const _ of u) void _;
        }
        return true;
      },
      clean: (e) => e instanceof MsgpackError,
    },
    segment: {
      samples: (rng) => [Buffer.concat([MAGIC, encodePut(rng.bytes(32), rng.bytes(rng.range(0, 200))), encodeDelete(rng.bytes(32)), encodePut(rng.bytes(32), rng.bytes(50)), COMMIT_ENTRY])],
      run: async (input) => {
        const segment = segmentNo++;
        writeFileSync(join(segmentDir, 'data', '0', String(segment)), input);
        const reader = new SegmentReader(new SegmentPaths(segmentDir, 1_000_000));
        try {
          for await (const entry of reader.iterObjects(segment, { readData: true, includeData: true })) void entry;
        } finally {
          await reader.close();
          rmSync(join(segmentDir, 'data', '0', String(segment)), { force: true });
        }
        return true;
      },
      clean: (e) => e instanceof BorgError,
    },
    'rpc-server': {
      samples: (rng) => [Buffer.concat([encodeRequest(1, 'open', { path: Buffer.from('/repo'), create: false }), encodeRequest(2, 'get', { id: rng.bytes(32) }, { legacy: rng.chance(0.5) })])],
      run: (input) => {
        const d = new RpcStreamDecoder('server');
        d.feed(input);
        for (const message of d) parseRequest(message);
        return true;
      },
      clean: (e) => e instanceof BorgError,
    },
    'rpc-client': {
      samples: (rng) => [Buffer.concat([encodeResponse(1, { a: rng.bytes(40) } as never), encodeResponse(2, [rng.bytes(32), rng.bytes(32)])])],
      run: (input) => {
        const d = new RpcStreamDecoder('client');
        d.feed(input);
        for (const message of d) parseResponse(message);
        return true;
      },
      clean: (e) => e instanceof BorgError,
    },
    'key-blob': {
      samples: () => [encryptKeyBlob(sampleKey().material, 'pw', { iterations: 1 }), packKeyMaterial(sampleKey().material)],
      run: (input) => {
        // Both the outer (encrypted) and the inner (plain) map decoders; a wrong MAC gives null.
        decryptKeyBlob(input, 'pw');
        unpackKeyMaterial(input);
        return true;
      },
      clean: (e) => e instanceof BorgError,
    },
    'key-file': {
      samples: () => [Buffer.from(formatKeyFile(Buffer.alloc(32, 7), keyBlobToText(encryptKeyBlob(sampleKey().material, 'pw', { iterations: 1 }))))],
      run: (input) => {
        const parsed = parseKeyFile(input.toString('latin1'));
        decryptKeyBlob(keyBlobFromText(parsed.blobText), 'pw');
        return true;
      },
      clean: (e) => e instanceof BorgError,
    },
    tam: {
      samples: (rng) => [packAndAuthenticate(sampleKey(), { version: 1, archives: {}, timestamp: '2024-01-01T00:00:00.000000', config: {}, n: rng.int(100) }, 'manifest')],
      run: (input) => (unpackAndVerify(sampleKey(), input, 'manifest', { required: true }), true),
      clean: (e) => e instanceof BorgError,
    },
  };
}

/** Runs `cases` seeded cases against one decoder. */
export async function fuzzTarget(target: FuzzTarget, rng: Prng, cases: number): Promise<FuzzOutcome> {
  const scratch = mkdtempSync(join(tmpdir(), 'borg-ts-fuzz-'));
  const t = makeTargets(scratch)[target];
  const outcome: FuzzOutcome = { target, cases, accepted: 0, rejected: 0, failures: [] };
  try {
    for (let i = 0; i < cases; i++) {
      const caseSeed = rng.next();
      const caseRng = new Prng(caseSeed);
      const sample = caseRng.pick(t.samples(caseRng));
      const input = caseRng.chance(0.1) ? sample : mutate(caseRng.chance(0.3) ? mutate(sample, caseRng) : sample, caseRng);
      try {
        await t.run(input, caseRng);
        outcome.accepted++;
      } catch (e) {
        if (t.clean(e)) outcome.rejected++;
        else outcome.failures.push(`case seed ${caseSeed}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} (input ${input.toString('hex').slice(0, 200)})`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return outcome;
}
