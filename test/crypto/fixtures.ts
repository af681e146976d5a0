// Shared fixtures of the crypto tests: crypto.json (copied from the spec's vectors) and the real
// borg 1.2.4 repositories with their decoded dumps.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeyMaterial } from '../../src/crypto/key-material.js';
import type { KeyMode } from '../../src/crypto/key-modes.js';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, '..', 'fixtures');

export const PASSPHRASE = 'correct horse battery staple';

export function hex(s: string): Buffer {
  return Buffer.from(s, 'hex');
}

/** The vector repositories: the copy under test/fixtures when present, else the spec's. */
export const REPOS_DIR = existsSync(join(FIXTURES, 'repos', 'repo-repokey'))
  ? join(FIXTURES, 'repos')
  : join(here, '..', '..', '..', 'shared', 'spec', 'vectors', 'repos');

export interface CryptoVectors {
  key_material: Record<string, string | number>;
  plaintext: string;
  envelopes: Array<{
    mode: KeyMode;
    type_byte: number;
    id: string;
    compressed_payload: string;
    envelope: string;
    iv?: number;
    aes_blocks_consumed?: number;
  }>;
  id_hash_extra: Array<{ mode: KeyMode; input: 'empty' | 'zeros_1MiB'; id: string }>;
  blake2b_note: Record<string, string>;
  tam: {
    salt: string;
    input_dict_before_tam: Record<string, unknown>;
    hkdf_example_repokey_blake2_manifest: string;
    vectors: Array<{ mode: KeyMode; context: 'manifest' | 'archive'; tam_key: string; packed_with_tam: string; hmac: string }>;
  };
  key_blobs: Array<{
    mode: KeyMode;
    passphrase: string;
    salt: string;
    iterations: number;
    pbkdf2_output_kek: string;
    inner_key_msgpack: string;
    encrypted_key_msgpack: string;
    base64_wrapped_70: string;
    keyfile_text: string | null;
  }>;
  legacy_passphrase_type_0x01: Record<string, string | number>;
  nonce_example: Record<string, string>;
}

export const vectors = JSON.parse(readFileSync(join(FIXTURES, 'vectors', 'crypto.json'), 'utf8')) as CryptoVectors;

/** The fixed key material of crypto.json for a mode (HMAC or BLAKE2 sized keys). */
export function vectorMaterial(mode: KeyMode): KeyMaterial {
  const km = vectors.key_material;
  const blake2 = mode.endsWith('blake2');
  return {
    encKey: hex(km['enc_key'] as string),
    encHmacKey: hex(km[blake2 ? 'enc_hmac_key_blake2_modes' : 'enc_hmac_key_sha256_modes'] as string),
    idKey: hex(km[blake2 ? 'id_key_blake2_modes' : 'id_key_sha256_modes'] as string),
    chunkSeed: km['chunk_seed'] as number,
    repositoryId: hex(km['repository_id'] as string),
    tamRequired: mode !== 'none',
  };
}

export interface RepoDump {
  config: Record<string, string>;
  key?: Record<string, unknown>;
  objects: Array<{
    id: string;
    segment: number;
    offset: number;
    type_byte: number;
    iv?: number;
    aes_blocks?: number;
    csize: number;
    compression: string;
    size: number;
    sha256: string;
    kind: string;
  }>;
}

export function loadDump(repo: string): RepoDump {
  return JSON.parse(readFileSync(join(REPOS_DIR, `${repo}.dump.json`), 'utf8')) as RepoDump;
}

/** "hex:…" values of the dumps as bytes. */
export function dumpBytes(v: unknown): Buffer {
  if (typeof v !== 'string' || !v.startsWith('hex:')) throw new TypeError(`not a hex dump value: ${String(v)}`);
  return hex(v.slice(4));
}

/** The `key` value of a repository config (INI continuation lines joined with '\n'). */
export function configKeyText(repo: string): string {
  const text = readFileSync(join(REPOS_DIR, repo, 'config'), 'utf8');
  const m = /^key = (.*(?:\n\t.*)*)/m.exec(text);
  if (!m) throw new Error(`no key in ${repo}/config`);
  return m[1]!.replace(/\n\t/g, '\n');
}

/**
 * The stored envelope of one object, read straight from its segment entry (header: crc32, size,
 * tag, 32-byte id). Only what these tests need; segment parsing proper lives in repository/.
 */
export function readObjectEnvelope(repo: string, segment: number, offset: number): { id: Buffer; envelope: Buffer } {
  const data = readFileSync(join(REPOS_DIR, repo, 'data', String(Math.floor(segment / 1000)), String(segment)));
  const size = data.readUInt32LE(offset + 4);
  return { id: data.subarray(offset + 9, offset + 41), envelope: data.subarray(offset + 41, offset + size) };
}

/** Debian's python with borg importable, or null when this machine has no borg. */
export const BORG_PYTHON = existsSync('/usr/bin/python3') && existsSync('/usr/lib/python3/dist-packages/borg') ? '/usr/bin/python3' : null;
