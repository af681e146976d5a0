// The AES-CTR object envelope (spec §2.2): TYPE(1) || MAC(32) || IV(8, big endian) || ciphertext.
// The MAC covers IV || ciphertext only (not the TYPE byte): borg's cipher suite is set up with zero
// bytes of authenticated header, and the vectors confirm it.
import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';
import { IntegrityError } from '../errors.js';

export const MAC_OFFSET = 1;
export const IV_OFFSET = 33;
export const CIPHERTEXT_OFFSET = 41;
/** Bytes an AES envelope adds to its payload. */
export const ENVELOPE_OVERHEAD = 41;
export const AES_BLOCK_SIZE = 16;
/** The IV is stored as a u64; the high 64 bits of the 128-bit counter block are always zero. */
export const MAX_IV = (1n << 64n) - 1n;

/** Computes the 32-byte MAC of IV || ciphertext (HMAC-SHA256 or borg's BLAKE2b-256 construction). */
export type MacFunction = (ivAndCiphertext: Buffer) => Buffer;

/** AES blocks (16 bytes) a payload of `length` bytes uses: the IV advance after encrypting it. */
export function aesBlocks(length: number): number {
  return Math.ceil(length / AES_BLOCK_SIZE);
}

/** The 16-byte initial counter block: 8 zero bytes, then the IV as a big-endian u64. */
function counterBlock(iv: bigint): Buffer {
  const block = Buffer.alloc(16);
  block.writeBigUInt64BE(iv, 8);
  return block;
}

/** Refuses an IV outside 64 bits, or one whose counter would wrap while encrypting `length` bytes. */
export function assertIvFits(iv: bigint, length: number): void {
  if (iv < 0n || iv > MAX_IV) throw new RangeError(`Invalid IV ${iv}: must fit in 64 bits`);
  if (iv + BigInt(aesBlocks(length)) > MAX_IV + 1n) {
    throw new RangeError(`Cannot encrypt at IV ${iv}: the counter would wrap around`);
  }
}

export function envelopeTooShort(what: string, length: number): IntegrityError {
  return new IntegrityError(`Cannot decrypt ${what}: the envelope is ${length} bytes, shorter than its header`);
}

export function macMismatch(what: string): IntegrityError {
  return new IntegrityError(`Cannot decrypt ${what}: MAC authentication failed`);
}

export function sealAes(typeByte: number, encKey: Buffer, mac: MacFunction, payload: Uint8Array, iv: bigint): Buffer {
  assertIvFits(iv, payload.byteLength);
  const cipher = createCipheriv('aes-256-ctr', encKey, counterBlock(iv));
  const ciphertext = cipher.update(payload);
  const out = Buffer.allocUnsafe(ENVELOPE_OVERHEAD + payload.byteLength);
  out[0] = typeByte;
  out.writeBigUInt64BE(iv, IV_OFFSET);
  ciphertext.copy(out, CIPHERTEXT_OFFSET);
  // CTR mode has no padding, so final() yields nothing; call it to release the context.
  cipher.final();
  mac(out.subarray(IV_OFFSET)).copy(out, MAC_OFFSET);
  return out;
}

/**
 * Verifies the MAC in constant time and only then decrypts. The TYPE byte is the caller's business
 * (it is not authenticated). `what` names the object in error messages.
 */
export function openAes(encKey: Buffer, mac: MacFunction, envelope: Buffer, what: string): Buffer {
  if (envelope.length < ENVELOPE_OVERHEAD) throw envelopeTooShort(what, envelope.length);
  const expected = mac(envelope.subarray(IV_OFFSET));
  if (!timingSafeEqual(expected, envelope.subarray(MAC_OFFSET, IV_OFFSET))) throw macMismatch(what);
  const decipher = createDecipheriv('aes-256-ctr', encKey, counterBlock(envelope.readBigUInt64BE(IV_OFFSET)));
  const plain = decipher.update(envelope.subarray(CIPHERTEXT_OFFSET));
  decipher.final();
  return plain;
}

/** The IV stored in an AES envelope. */
export function envelopeIv(envelope: Uint8Array): bigint {
  if (envelope.byteLength < ENVELOPE_OVERHEAD) throw new IntegrityError('Cannot read the IV: the envelope is too short');
  const b = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  return b.readBigUInt64BE(IV_OFFSET);
}
