// Key material (spec §2.5) and how borg makes it: random for new keys, PBKDF2-derived for the legacy
// passphrase mode (§2.13).
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { keyModeInfo, type KeyMode } from './key-modes.js';

export interface KeyMaterial {
  /** AES-256 key (32 bytes); unused for payloads in the authenticated modes but part of the TAM key. */
  encKey: Buffer;
  /** MAC key: 32 bytes (HMAC modes) or 128 bytes = 64 random + 64 zero (BLAKE2 modes). */
  encHmacKey: Buffer;
  /** Id hash key, sized like encHmacKey. */
  idKey: Buffer;
  /** Buzhash seed as stored in the key: a signed int32 (the chunker uses it as uint32). */
  chunkSeed: number;
  repositoryId: Buffer;
  /** Whether a manifest without valid TAM must be refused (true for every key borg >= 1.0.9 made). */
  tamRequired: boolean;
}

/**
 * Key material as it arrives in a worker thread: structured cloning turns its Buffers into plain
 * Uint8Arrays, which get their Buffer methods back here.
 */
export function reviveKeyMaterial(m: KeyMaterial): KeyMaterial {
  const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  return { ...m, encKey: asBuffer(m.encKey), encHmacKey: asBuffer(m.encHmacKey), idKey: asBuffer(m.idKey), repositoryId: asBuffer(m.repositoryId) };
}

/** PBKDF2 rounds of the legacy passphrase mode; fixed forever by that format. */
export const LEGACY_PASSPHRASE_ITERATIONS = 100000;

/** Reads 4 big-endian bytes as the signed int32 borg stores as chunk_seed. */
function signedInt32(bytes: Buffer): number {
  return bytes.readInt32BE(0);
}

/** Splits 100 bytes the way borg's AES key base does: enc key, MAC key, id key, chunk seed. */
function splitHundredBytes(d: Buffer, repositoryId: Buffer, tamRequired: boolean): KeyMaterial {
  return {
    encKey: Buffer.from(d.subarray(0, 32)),
    encHmacKey: Buffer.from(d.subarray(32, 64)),
    idKey: Buffer.from(d.subarray(64, 96)),
    chunkSeed: signedInt32(d.subarray(96, 100)),
    repositoryId: Buffer.from(repositoryId),
    tamRequired,
  };
}

/** A BLAKE2 key: 64 random bytes padded with 64 zero bytes to one full BLAKE2b block. */
function randomBlake2Key(): Buffer {
  return Buffer.concat([randomBytes(64), Buffer.alloc(64)]);
}

/**
 * Fresh key material for a new repository, drawn as borg draws it. The `none` mode has no secrets:
 * its buffers are empty, its chunk seed is 0 and it never requires a TAM.
 */
export function generateKeyMaterial(mode: KeyMode, repositoryId: Uint8Array): KeyMaterial {
  const repoId = Buffer.from(repositoryId);
  if (mode === 'none') {
    return { encKey: Buffer.alloc(0), encHmacKey: Buffer.alloc(0), idKey: Buffer.alloc(0), chunkSeed: 0, repositoryId: repoId, tamRequired: false };
  }
  const material = splitHundredBytes(randomBytes(100), repoId, true);
  if (keyModeInfo(mode).hash === 'blake2b-256') {
    // borg first draws the HMAC-sized keys, then replaces both by fresh BLAKE2 keys.
    material.encHmacKey = randomBlake2Key();
    material.idKey = randomBlake2Key();
  }
  return material;
}

/**
 * The key material of the legacy `passphrase` mode (TYPE 0x01): derived from the passphrase with the
 * repository id as salt. Used to read such repositories and to migrate them to repokey.
 */
export function legacyPassphraseMaterial(passphrase: string, repositoryId: Uint8Array): KeyMaterial {
  const repoId = Buffer.from(repositoryId);
  const d = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), repoId, LEGACY_PASSPHRASE_ITERATIONS, 100, 'sha256');
  return splitHundredBytes(d, repoId, false);
}

/** A deep copy, so that a Key never shares buffers with its caller. */
export function copyKeyMaterial(m: KeyMaterial): KeyMaterial {
  return {
    encKey: Buffer.from(m.encKey),
    encHmacKey: Buffer.from(m.encHmacKey),
    idKey: Buffer.from(m.idKey),
    chunkSeed: m.chunkSeed,
    repositoryId: Buffer.from(m.repositoryId),
    tamRequired: m.tamRequired,
  };
}

/** Checks that the material can serve `mode`; throws TypeError otherwise (a programming error). */
export function assertMaterialFits(mode: KeyMode, m: KeyMaterial): void {
  if (!Number.isInteger(m.chunkSeed) || m.chunkSeed < -0x80000000 || m.chunkSeed > 0x7fffffff) {
    throw new TypeError(`Invalid chunk seed ${m.chunkSeed}: must be a signed 32-bit integer`);
  }
  if (mode === 'none') return;
  if (m.encKey.length !== 32) throw new TypeError(`Invalid enc_key of ${m.encKey.length} bytes: AES-256 needs 32`);
  if (m.idKey.length === 0 || m.encHmacKey.length === 0) throw new TypeError('Invalid key material: empty id or MAC key');
}
