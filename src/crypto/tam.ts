// TAM, borg's authentication of the manifest and of archive metadata (spec §2.12).
//
// The metadata map gets a `tam` entry {hmac, salt, type: 'HKDF_HMAC_SHA512'}; the whole map is packed
// with sorted keys, HMAC-SHA512 is computed over that packing with the hmac field zeroed, and the map
// is packed again with the real hmac. Verification zeroes the first occurrence of the hmac bytes in
// the original serialization, so it does not depend on how the writer ordered its keys.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { isMap, MsgpackError, Unpacker, type DecodeOptions, type MsgMap, type MsgValue, encode } from '../format/msgpack.js';
import { IntegrityError } from '../errors.js';
import {
  ArchiveTAMInvalid,
  ArchiveTAMRequiredError,
  TAMInvalid,
  TAMRequiredError,
  TAMUnsupportedSuiteError,
  UnsupportedManifestError,
} from './errors.js';
import type { Key } from './key.js';

export type TamContext = 'manifest' | 'archive';

export const TAM_SUITE = 'HKDF_HMAC_SHA512';
const SALT_LENGTH = 64;
const HMAC_LENGTH = 64;
const FUTURE_MANIFEST_PREFIX = Buffer.from([0xc1, 0xc1, 0xc1, 0xc1]);

// borg's limited unpackers: 'manifest' (1.2) and 'archive' (1.2.5+). Neither accepts bin or ext types.
const LIMITS: Record<TamContext, DecodeOptions> = {
  manifest: { maxStrLen: 255, maxArrayLen: 100, maxMapLen: 400000 },
  archive: { maxStrLen: 10000, maxMapLen: 100 },
};

/**
 * The HMAC-SHA512 key of a TAM: HKDF-SHA512 over id_key || enc_key || enc_hmac_key with the TAM salt
 * and info 'borg-metadata-authentication-<context>'. The `none` mode has no secret: its key is
 * salt || context, which makes its TAM a checksum only.
 */
export function tamKey(key: Key, salt: Uint8Array, context: TamContext): Buffer {
  const ctx = Buffer.from(context, 'ascii');
  if (key.mode === 'none') return Buffer.concat([salt, ctx]);
  const { idKey, encKey, encHmacKey } = key.material;
  const ikm = Buffer.concat([idKey, encKey, encHmacKey]);
  const info = Buffer.concat([Buffer.from('borg-metadata-authentication-', 'ascii'), ctx]);
  return Buffer.from(hkdfSync('sha512', ikm, salt, info, 64));
}

/**
 * Packs `meta` (sorted keys, like borg's StableDict) with a fresh TAM; an existing `tam` entry is
 * replaced. Pass `salt` to keep an archive's salt when its metadata is rewritten (borg >= 1.2.5).
 */
export function packAndAuthenticate(key: Key, meta: MsgMap, context: TamContext, salt?: Uint8Array): Buffer {
  const tamSalt = Buffer.from(salt ?? randomBytes(SALT_LENGTH));
  if (tamSalt.length !== SALT_LENGTH) throw new RangeError(`Invalid TAM salt of ${tamSalt.length} bytes: must be ${SALT_LENGTH}`);
  const tam: MsgMap = { type: TAM_SUITE, hmac: Buffer.alloc(HMAC_LENGTH), salt: tamSalt };
  const withTam: MsgMap = { ...meta, tam };
  const zeroed = encode(withTam, { sortKeys: true });
  tam['hmac'] = createHmac('sha512', tamKey(key, tamSalt, context)).update(zeroed).digest();
  // The hmac is a fixed-size raw, so this second packing has exactly the layout of the first.
  return encode(withTam, { sortKeys: true });
}

export interface UnpackAndVerifyOptions {
  /** Refuse metadata without a valid TAM (the key's tamRequired for manifests, per caller for archives). */
  required: boolean;
  /**
   * For archives only: treat an invalid TAM like a missing one (borg's BORG_WORKAROUNDS
   * 'ignore_invalid_archive_tam'). Default false.
   */
  ignoreInvalidArchiveTam?: boolean;
}

export interface UnpackedMetadata {
  /** The metadata map without its `tam` entry. */
  value: MsgMap;
  verified: boolean;
  /** The TAM salt when verified (callers keep it when rewriting archive metadata), else null. */
  salt: Buffer | null;
}

function unpackLimited(data: Buffer, context: TamContext): MsgMap {
  // Like borg's unpacker, read the first value; a truncated object is as bad as a malformed one.
  let value: MsgValue | undefined;
  try {
    const unpacker = new Unpacker({ ...LIMITS[context], copy: true });
    unpacker.feed(data);
    value = unpacker.next();
  } catch (e) {
    if (e instanceof MsgpackError) throw new IntegrityError(`Cannot read the ${context} metadata: ${e.message}`, { cause: e });
    throw e;
  }
  if (value === undefined) throw new IntegrityError(`Cannot read the ${context} metadata: it is truncated`);
  if (!isMap(value)) throw new IntegrityError(`Cannot read the ${context} metadata: it is not a map`);
  return value;
}

/** A hostile TAM may hold any type where the suite name belongs; maps and arrays have no text form. */
function scalarText(value: MsgValue): string {
  return typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' ? String(value) : '<invalid>';
}

function archiveName(value: MsgMap): string {
  const name = value['name'];
  return Buffer.isBuffer(name) ? name.toString('utf8') : '<unknown>';
}

/**
 * Unpacks manifest or archive metadata and checks its TAM with borg >= 1.2.5's rules: a missing TAM
 * or an unknown suite is an error only when `required`; a TAM that is present but does not verify
 * is always an error (unless the archive workaround is set).
 */
export function unpackAndVerify(key: Key, bytes: Uint8Array, context: TamContext, options: UnpackAndVerifyOptions): UnpackedMetadata {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (context === 'manifest' && data.subarray(0, 4).equals(FUTURE_MANIFEST_PREFIX)) throw new UnsupportedManifestError();
  const invalid = (): IntegrityError => (context === 'manifest' ? new TAMInvalid() : new ArchiveTAMInvalid());
  const value = unpackLimited(data, context);
  const tam = value['tam'];
  if (tam === undefined) {
    if (options.required) {
      throw context === 'manifest' ? new TAMRequiredError() : new ArchiveTAMRequiredError(archiveName(value));
    }
    return { value, verified: false, salt: null };
  }
  delete value['tam'];
  if (!isMap(tam)) throw invalid();
  const type = tam['type'];
  const suite = type === undefined ? '<none>' : Buffer.isBuffer(type) ? type.toString('latin1') : scalarText(type);
  if (suite !== TAM_SUITE) {
    if (options.required) throw new TAMUnsupportedSuiteError(suite);
    return { value, verified: false, salt: null };
  }
  const hmac = tam['hmac'];
  const salt = tam['salt'];
  if (!Buffer.isBuffer(hmac) || !Buffer.isBuffer(salt)) throw invalid();
  const offset = data.indexOf(hmac);
  const zeroed = Buffer.from(data);
  zeroed.fill(0, offset, offset + HMAC_LENGTH);
  const computed = createHmac('sha512', tamKey(key, salt, context)).update(zeroed).digest();
  if (hmac.length !== computed.length || !timingSafeEqual(computed, hmac)) {
    if (context === 'archive' && options.ignoreInvalidArchiveTam) return { value, verified: false, salt: null };
    throw invalid();
  }
  return { value, verified: true, salt: Buffer.from(salt) };
}
