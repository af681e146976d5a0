// A repository key: id hash and object envelopes for one of borg's seven modes (spec §2.1–§2.4).
//
// Key is immutable and synchronous, so worker threads can rebuild it from its mode and material
// (`Key.fromMaterial`) and seal/open objects without talking to the main thread. IVs come from the
// caller (see nonces.ts): a Key never decides which counter values are free.
import { createHash, createHmac } from 'node:crypto';
import { IntegrityError } from '../errors.js';
import { toHex } from '../format/bytes.js';
import { blake2b256 } from '../format/wasm-hashes.js';
import { envelopeCrypto, type EnvelopeCrypto } from '../platform/native.js';
import { aesBlocks, assertIvFits, ENVELOPE_OVERHEAD, envelopeIv, envelopeTooShort, macMismatch, openAes, sealAes, type MacFunction } from './envelope.js';
import { assertMaterialFits, copyKeyMaterial, generateKeyMaterial, type KeyMaterial } from './key-material.js';
import { keyModeInfo, LEGACY_PASSPHRASE_TYPE, type KeyMode, type KeyModeInfo, type KeyStorage } from './key-modes.js';

export type { KeyMaterial } from './key-material.js';
export type { KeyMode, KeyStorage } from './key-modes.js';

/** The id under which the manifest is stored (32 zero bytes); it is not id_hash(manifest). */
export const MANIFEST_ID: Buffer = Buffer.alloc(32);

function describe(id: Uint8Array | undefined): string {
  return id ? `chunk ${toHex(id)}` : 'object';
}

export class Key {
  readonly mode: KeyMode;
  readonly material: Readonly<KeyMaterial>;
  readonly #info: KeyModeInfo;
  /** The envelope MAC; null for the modes without encryption. */
  readonly #mac: MacFunction | null;
  readonly #idHash: (data: Uint8Array) => Buffer;
  /** HMAC-SHA256 modes: the same envelope and ids from native code (native/crypto.c), when built. */
  readonly #native: EnvelopeCrypto | null = null;

  private constructor(mode: KeyMode, material: KeyMaterial) {
    assertMaterialFits(mode, material);
    this.mode = mode;
    this.material = Object.freeze(copyKeyMaterial(material));
    this.#info = keyModeInfo(mode);
    const { idKey, encHmacKey } = this.material;
    let mac: MacFunction | null = null;
    switch (this.#info.hash) {
      case 'sha256':
        this.#idHash = (data) => createHash('sha256').update(data).digest();
        break;
      case 'hmac-sha256': {
        mac = (d) => createHmac('sha256', encHmacKey).update(d).digest();
        const native = envelopeCrypto();
        if (native !== null) {
          this.#native = native;
          this.#idHash = (data) => native.hmacSha256(idKey, data);
        } else {
          this.#idHash = (data) => createHmac('sha256', idKey).update(data).digest();
        }
        break;
      }
      case 'blake2b-256':
        this.#idHash = (data) => blake2b256(idKey, data);
        mac = (d) => blake2b256(encHmacKey, d);
        break;
    }
    this.#mac = this.#info.encrypted ? mac : null;
  }

  /** A new key with fresh random material, as `borg init` makes it. */
  static generate(mode: KeyMode, repositoryId: Uint8Array): Key {
    return new Key(mode, generateKeyMaterial(mode, repositoryId));
  }

  /** A key from known material (a decrypted key blob, or material sent to a worker thread). */
  static fromMaterial(mode: KeyMode, material: KeyMaterial): Key {
    return new Key(mode, material);
  }

  /** AES blocks a payload of `length` bytes uses (the IV advance after sealing it). */
  static blocksFor(length: number): number {
    return aesBlocks(length);
  }

  get typeByte(): number {
    return this.#info.typeByte;
  }

  /** The name borg shows for this key type, e.g. 'repokey BLAKE2b'. */
  get displayName(): string {
    return this.#info.displayName;
  }

  /** True for the AES-CTR modes (payloads encrypted and MAC-protected, envelopes carry an IV). */
  get encrypted(): boolean {
    return this.#info.encrypted;
  }

  get storage(): KeyStorage {
    return this.#info.storage;
  }

  get chunkSeed(): number {
    return this.material.chunkSeed;
  }

  get repositoryId(): Buffer {
    return this.material.repositoryId;
  }

  get tamRequired(): boolean {
    return this.material.tamRequired;
  }

  /** The object id of `data`: SHA-256, HMAC-SHA256(id_key) or BLAKE2b-256(id_key || data). */
  idHash(data: Uint8Array): Buffer {
    return this.#idHash(data);
  }

  /**
   * Wraps a compressed payload into this mode's envelope. AES modes encrypt at counter `iv`, which
   * the caller must never reuse (it advances by `Key.blocksFor(payload.length)`); other modes ignore it.
   */
  seal(payload: Uint8Array, iv: bigint): Buffer {
    if (this.#mac === null) {
      const out = Buffer.allocUnsafe(1 + payload.byteLength);
      out[0] = this.#info.typeByte;
      out.set(payload, 1);
      return out;
    }
    if (this.#native !== null) {
      assertIvFits(iv, payload.byteLength);
      return this.#native.sealAesHmac(this.material.encKey, this.material.encHmacKey, this.#info.typeByte, payload, iv);
    }
    return sealAes(this.#info.typeByte, this.material.encKey, this.#mac, payload, iv);
  }

  /**
   * Unwraps an envelope to its compressed payload. Checks the TYPE byte, then (AES modes) the MAC in
   * constant time before decrypting. `id` only names the object in error messages.
   */
  open(envelope: Uint8Array, id?: Uint8Array): Buffer {
    const env = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
    if (env.length < 1) throw new IntegrityError(`Cannot open ${describe(id)}: the envelope is empty`);
    if (!this.acceptsType(env[0]!)) {
      throw new IntegrityError(`Cannot open ${describe(id)}: invalid envelope type ${env[0]} for a ${this.displayName} key`);
    }
    if (this.#mac === null) return env.subarray(1);
    if (this.#native !== null) {
      if (env.length < ENVELOPE_OVERHEAD) throw envelopeTooShort(describe(id), env.length);
      const payload = this.#native.openAesHmac(this.material.encKey, this.material.encHmacKey, env);
      if (payload === null) throw macMismatch(describe(id));
      return payload;
    }
    return openAes(this.material.encKey, this.#mac, env, describe(id));
  }

  /** The IV stored in an envelope of this key, or null for modes without encryption. */
  ivOf(envelope: Uint8Array): bigint | null {
    return this.#info.encrypted ? envelopeIv(envelope) : null;
  }

  /**
   * Whether an envelope TYPE byte belongs to this key. Repokey keys also accept the legacy passphrase
   * TYPE 0x01 (borg reads migrated passphrase repositories through its repokey classes; for the
   * BLAKE2 repokey the MAC check then fails, as in borg).
   */
  acceptsType(typeByte: number): boolean {
    if (typeByte === this.#info.typeByte) return true;
    return typeByte === LEGACY_PASSPHRASE_TYPE && (this.mode === 'repokey' || this.mode === 'repokey-blake2');
  }
}
