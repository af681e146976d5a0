// Repository objects from data and back (spec §2.2, §2.4): id hash, compression, envelope.
//
// pack:   data -> id = id_hash(data); payload = compress(data); envelope = seal(payload, next IV)
// unpack: envelope -> open (TYPE byte, MAC before decryption) -> decompress -> check id_hash == id
//
// Synchronous like its parts, so worker threads run it with their own IvCounter range.
import { timingSafeEqual } from 'node:crypto';
import { Compressor, decompress, decompressTransient } from '../compress/index.js';
import { IntegrityError } from '../errors.js';
import { toHex } from '../format/bytes.js';
import { ENVELOPE_OVERHEAD } from './envelope.js';
import { Key, MANIFEST_ID } from './key.js';
import type { IvSource } from './nonces.js';

/** The largest envelope a repository stores (MAX_DATA_SIZE, spec §1.4). */
export const MAX_ENVELOPE_SIZE = 20971479;
/**
 * AES blocks of the largest payload that fits in one object: an IV source with at least this many
 * blocks left can seal any object, so writers refill their range when it drops below this.
 */
export const MAX_PAYLOAD_BLOCKS = Key.blocksFor(MAX_ENVELOPE_SIZE - ENVELOPE_OVERHEAD);

export interface PackedObject {
  id: Buffer;
  envelope: Buffer;
  /** Length of the plaintext data. */
  size: number;
  /** Length of the stored envelope (borg's csize). */
  csize: number;
}

export interface UnpackOptions {
  /** Largest decompressed size accepted (default: the compress layer's limit, MAX_DATA_SIZE). */
  maxSize?: number;
}

export class ObjectCodec {
  readonly key: Key;
  readonly compressor: Compressor;
  readonly #ivSource: IvSource | null;

  /** `ivSource` may be null only for keys without encryption (none, authenticated modes). */
  constructor(key: Key, compressor: Compressor, ivSource: IvSource | null) {
    if (key.encrypted && ivSource === null) throw new TypeError(`A ${key.displayName} key needs an IV source to seal objects`);
    this.key = key;
    this.compressor = compressor;
    this.#ivSource = ivSource;
  }

  /** Packs a chunk (or any object stored under its id hash). */
  pack(data: Uint8Array): PackedObject {
    return this.packWithId(this.key.idHash(data), data);
  }

  /** Packs `data` under a given id, e.g. the manifest under MANIFEST_ID. */
  packWithId(id: Uint8Array, data: Uint8Array): PackedObject {
    // Sealing copies the payload into the envelope, so a transient payload is enough.
    const payload = this.compressor.compressTransient(data);
    // Take the IV only once the payload size is known: the counter advances by its AES blocks.
    const iv = this.key.encrypted ? this.#ivSource!.take(Key.blocksFor(payload.length)) : 0n;
    const envelope = this.key.seal(payload, iv);
    return { id: Buffer.from(id), envelope, size: data.byteLength, csize: envelope.length };
  }

  /**
   * Opens a stored object: the MAC is checked before decrypting, the payload decompressed, and the id
   * recomputed from the data (except for the manifest, whose id is all zeros by convention).
   * Any mismatch is an IntegrityError.
   */
  unpack(id: Uint8Array, envelope: Uint8Array, options: UnpackOptions = {}): Buffer {
    const payload = this.key.open(envelope, id);
    const data = decompress(payload, options.maxSize === undefined ? {} : { maxSize: options.maxSize });
    this.#checkId(id, data);
    return data;
  }

  /**
   * Opens a stored object like unpack, with the same checks and errors, but keeps nothing: the
   * plaintext may live in a scratch buffer (check --verify-data).
   */
  verify(id: Uint8Array, envelope: Uint8Array): void {
    this.#checkId(id, decompressTransient(this.key.open(envelope, id)));
  }

  #checkId(id: Uint8Array, data: Buffer): void {
    if (Buffer.from(id.buffer, id.byteOffset, id.byteLength).equals(MANIFEST_ID)) return;
    const computed = this.key.idHash(data);
    if (computed.length !== id.byteLength || !timingSafeEqual(computed, id)) {
      throw new IntegrityError(`Cannot verify chunk ${toHex(id)}: its data does not match its id`, { args: [toHex(id)] });
    }
  }
}
