// The passphrase-protected key blob shared by key files and repokey configs (spec §2.6).
//
// Outer map (EncryptedKey): algorithm 'sha256', data = AES-256-CTR(KEK, counter 0, inner), hash =
// HMAC-SHA256(KEK, inner), iterations, salt, version 1; KEK = PBKDF2-HMAC-SHA256(passphrase, salt).
// Inner map (Key): the key material. Both are packed with sorted keys like borg's StableDict.
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { decode, encode, isMap, keyText, MsgpackError, type MsgMap, type MsgValue } from '../format/msgpack.js';
import { InvalidKeyBlob } from './errors.js';
import type { KeyMaterial } from './key-material.js';

/** PBKDF2 rounds borg 1.2 writes. Lower values exist only for tests (see `EncryptKeyBlobOptions`). */
export const PBKDF2_ITERATIONS = 100000;

// borg's limited unpacker for the outer map: no arrays, at most 10 entries, strings up to 4000 bytes.
const OUTER_LIMITS = { maxArrayLen: 0, maxMapLen: 10, maxStrLen: 4000, maxDepth: 2 } as const;
// The inner map is small too; generous limits still stop a hostile blob from costing much.
const INNER_LIMITS = { maxArrayLen: 0, maxMapLen: 20, maxStrLen: 4000, maxDepth: 2 } as const;
/** base64 text is wrapped like Python's textwrap.wrap(): lines of 70 characters. */
const LINE_WIDTH = 70;

export interface EncryptKeyBlobOptions {
  /** PBKDF2 rounds; keep the default outside tests. */
  iterations?: number;
  /** 32-byte salt; random unless given (fixed salts are for test vectors only). */
  salt?: Uint8Array;
}

export interface DecryptKeyBlobOptions {
  /**
   * tam_required for a key written before borg 1.0.9 (no such field): borg then asks whether the
   * security dir has a `tam_required` file. Default false.
   */
  tamRequiredIfAbsent?: boolean;
}

function kdf(passphrase: string, salt: Uint8Array, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha256');
}

/** AES-256-CTR with an all-zero initial counter; encryption and decryption are the same operation. */
function ctr(kek: Buffer, data: Uint8Array, decrypt: boolean): Buffer {
  const iv = Buffer.alloc(16);
  const c = decrypt ? createDecipheriv('aes-256-ctr', kek, iv) : createCipheriv('aes-256-ctr', kek, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

/** The inner msgpack map (borg's `Key` item) for `material`. */
export function packKeyMaterial(material: KeyMaterial): Buffer {
  return encode(
    {
      version: 1,
      repository_id: material.repositoryId,
      enc_key: material.encKey,
      enc_hmac_key: material.encHmacKey,
      id_key: material.idKey,
      chunk_seed: material.chunkSeed,
      tam_required: material.tamRequired,
    },
    { sortKeys: true },
  );
}

function field(map: MsgMap, name: string, what: string): MsgValue {
  const v = map[name];
  if (v === undefined) throw new InvalidKeyBlob(`Cannot read the ${what}: field '${name}' is missing`);
  return v;
}

function bytesField(map: MsgMap, name: string, what: string): Buffer {
  const v = field(map, name, what);
  if (!Buffer.isBuffer(v)) throw new InvalidKeyBlob(`Cannot read the ${what}: field '${name}' is not a byte string`);
  return Buffer.from(v);
}

function intField(map: MsgMap, name: string, what: string): number {
  const v = field(map, name, what);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidKeyBlob(`Cannot read the ${what}: field '${name}' is not an integer`);
  return v;
}

function decodeMap(bytes: Uint8Array, limits: object, what: string): MsgMap {
  let value: MsgValue;
  try {
    value = decode(bytes, { ...limits, copy: true });
  } catch (e) {
    if (e instanceof MsgpackError) throw new InvalidKeyBlob(`Cannot read the ${what}: ${e.message}`, { cause: e });
    throw e;
  }
  if (!isMap(value)) throw new InvalidKeyBlob(`Cannot read the ${what}: it is not a map`);
  return value;
}

/** Reads the inner `Key` map; `tamRequiredIfAbsent` stands in for keys older than borg 1.0.9. */
export function unpackKeyMaterial(bytes: Uint8Array, tamRequiredIfAbsent = false): KeyMaterial {
  const what = 'key material';
  const m = decodeMap(bytes, INNER_LIMITS, what);
  const version = intField(m, 'version', what);
  if (version !== 1) throw new InvalidKeyBlob(`Cannot read key version ${version}: only version 1 is supported`, { args: [version] });
  const chunkSeed = intField(m, 'chunk_seed', what);
  if (chunkSeed < -0x80000000 || chunkSeed > 0x7fffffff) throw new InvalidKeyBlob(`Cannot read the ${what}: chunk_seed ${chunkSeed} is not an int32`);
  const tam = m['tam_required'];
  if (tam !== undefined && typeof tam !== 'boolean') throw new InvalidKeyBlob(`Cannot read the ${what}: tam_required is not a boolean`);
  const material: KeyMaterial = {
    encKey: bytesField(m, 'enc_key', what),
    encHmacKey: bytesField(m, 'enc_hmac_key', what),
    idKey: bytesField(m, 'id_key', what),
    chunkSeed,
    repositoryId: bytesField(m, 'repository_id', what),
    tamRequired: tam ?? tamRequiredIfAbsent,
  };
  if (material.encKey.length !== 32) throw new InvalidKeyBlob(`Cannot read the ${what}: enc_key is ${material.encKey.length} bytes, not 32`);
  return material;
}

/** Encrypts `material` under `passphrase`; returns the EncryptedKey msgpack bytes (not yet base64). */
export function encryptKeyBlob(material: KeyMaterial, passphrase: string, options: EncryptKeyBlobOptions = {}): Buffer {
  const iterations = options.iterations ?? PBKDF2_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`Invalid PBKDF2 iteration count ${iterations}`);
  const salt = Buffer.from(options.salt ?? randomBytes(32));
  if (salt.length !== 32) throw new RangeError(`Invalid key blob salt of ${salt.length} bytes: must be 32`);
  const inner = packKeyMaterial(material);
  const kek = kdf(passphrase, salt, iterations);
  return encode(
    {
      version: 1,
      salt,
      iterations,
      algorithm: 'sha256',
      hash: createHmac('sha256', kek).update(inner).digest(),
      data: ctr(kek, inner, false),
    },
    { sortKeys: true },
  );
}

/**
 * Decrypts an EncryptedKey blob. Returns null when the passphrase is wrong (the HMAC over the
 * decrypted inner map does not match); throws InvalidKeyBlob when the blob itself is malformed.
 */
export function decryptKeyBlob(blob: Uint8Array, passphrase: string, options: DecryptKeyBlobOptions = {}): KeyMaterial | null {
  const what = 'encrypted key';
  const outer = decodeMap(blob, OUTER_LIMITS, what);
  const version = intField(outer, 'version', what);
  if (version !== 1) throw new InvalidKeyBlob(`Cannot read encrypted key version ${version}: only version 1 is supported`, { args: [version] });
  const algorithm = bytesField(outer, 'algorithm', what);
  if (algorithm.toString('latin1') !== 'sha256') {
    throw new InvalidKeyBlob(`Cannot read an encrypted key made with algorithm '${keyText(algorithm.toString('latin1'))}'`);
  }
  const iterations = intField(outer, 'iterations', what);
  if (iterations < 1) throw new InvalidKeyBlob(`Cannot read the ${what}: iteration count ${iterations} is invalid`);
  const salt = bytesField(outer, 'salt', what);
  const hash = bytesField(outer, 'hash', what);
  const data = bytesField(outer, 'data', what);
  const kek = kdf(passphrase, salt, iterations);
  const inner = ctr(kek, data, true);
  const mac = createHmac('sha256', kek).update(inner).digest();
  if (hash.length !== mac.length || !timingSafeEqual(mac, hash)) return null;
  return unpackKeyMaterial(inner, options.tamRequiredIfAbsent ?? false);
}

/** base64 of the blob in 70-character lines joined by '\n', without a final newline (borg's text form). */
export function keyBlobToText(blob: Uint8Array): string {
  const b64 = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += LINE_WIDTH) lines.push(b64.slice(i, i + LINE_WIDTH));
  return lines.join('\n');
}

/** Decodes the text form; whitespace (line breaks, config continuation tabs) is ignored. */
export function keyBlobFromText(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    throw new InvalidKeyBlob('Cannot read the key: it is not valid base64');
  }
  return Buffer.from(compact, 'base64');
}
